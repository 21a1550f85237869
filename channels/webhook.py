"""Outgoing webhooks to an agency's one-stop system: a JSON body signed with HMAC-SHA256, a short POST.

Headers of every delivery:
- `X-Hailong-Timestamp`: Unix seconds when this attempt was signed (a retry is signed again);
- `X-Hailong-Signature`: `v1=` + hex HMAC-SHA256 with the agency's webhook secret over
  `"{timestamp}.{body}"` (the body's exact bytes);
- `X-Hailong-Delivery`: the delivery's id, the same on every retry (for deduplication).

A receiver recomputes the signature over the raw body, compares in constant time and refuses a
timestamp more than five minutes away from its clock (docs/integration.md has the snippet).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable

import aiohttp

from channels.contract import Delivery, Outbound, SendOutcome

CHANNEL = "webhook"
TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock
TIMEOUT = 10.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 over `"{timestamp}." + body` with the secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, timestamp: str, signature: str, body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature (constant-time compare)."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


class WebhookSender:
    """The outbox's sender for channel "webhook": the address is the URL, the text the JSON body.

    `secret_of(body)` finds the secret of the agency the body belongs to (None: no longer configured,
    the delivery fails). 2xx is delivered; 408, 425, 429 and 5xx or a network error are retried by the
    outbox with back-off; any other status is final (the row ends `failed`, visible to admins).
    """

    channel = CHANNEL

    def __init__(self, http: aiohttp.ClientSession, secret_of: Callable[[bytes], Awaitable[str | None]],
                 *, clock: Callable[[], float] = time.time) -> None:
        self._http, self._secret_of, self._clock = http, secret_of, clock

    async def send(self, outbound: Outbound) -> SendOutcome:
        body = outbound.text.encode()
        secret = await self._secret_of(body)
        if not secret:
            return SendOutcome(Delivery.FAILED, error="no webhook secret")
        stamp = int(self._clock())
        headers = {"Content-Type": "application/json", "User-Agent": "hailong-webhook/1",
                   "X-Hailong-Timestamp": str(stamp), "X-Hailong-Signature": sign(secret, stamp, body),
                   "X-Hailong-Delivery": outbound.key or ""}
        try:
            async with self._http.post(outbound.address, data=body, headers=headers, allow_redirects=False,
                                       timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as response:
                status = response.status
                retry_after = _seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return SendOutcome(Delivery.RETRY, error=type(exc).__name__)
        if 200 <= status < 300:
            return SendOutcome(Delivery.SENT, provider_message_id=outbound.key)
        if status in (408, 425, 429) or status >= 500:
            return SendOutcome(Delivery.RETRY, retry_after=retry_after, error=f"HTTP {status}")
        return SendOutcome(Delivery.FAILED, error=f"HTTP {status}")


def _seconds(value: str | None) -> float | None:
    try:
        return min(float(value), 3600.0) if value else None
    except ValueError:
        return None
