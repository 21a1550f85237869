"""eSMS (Vietnamese brand-name SMS): a pure `render` of the JSON send, a pure `parse_report`, a short `send`.

Sending is `POST /MainService.svc/json/SendMultipleMessage_V4_post_json/` with a `RequestId`,
so a retried request is not sent twice; the delivery report comes back as an HTTPS GET on our
callback URL, which carries a key derived from the secret (eSMS signs nothing).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from channels.contract import ChannelName, Delivery, Outbound, SendOutcome
from channels.sms import DeliveryReport, Encoding, encoding_of
from channels.sms import render as render_text

ESMS_API = "https://rest.esms.vn"
SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
CALLBACK_PATH = "/webhooks/esms/status"
SMS_TYPE_CARE = "2"  # brand-name customer care: the type for service messages
OK = "100"
# CodeResult values that can succeed later unchanged; every other one is final for this message.
RETRY_CODES = frozenset({"99"})


class BadKey(Exception):
    """A delivery report without our callback key, or with a wrong one."""

    code = "bad_key"


@dataclass(frozen=True, slots=True)
class EsmsConfig:
    """Account and brand name: ``{"api_key": "…", "brandname": "UBND-P1", "sandbox": true}``."""

    api_key: str
    secret_key: str
    brandname: str
    api_base_url: str = ESMS_API
    public_url: str = ""  # ours, for the delivery report callback
    unicode: bool = False
    sandbox: bool = False

    @property
    def callback_key(self) -> str:
        """The key in our callback URL: derived from the secret, so nothing more to configure."""
        return hmac.new(self.secret_key.encode(), b"hailong-esms-callback", hashlib.sha256).hexdigest()[:32]


def local_phone(address: str) -> str:
    """eSMS wants Vietnamese numbers as dialled at home: "+84912345678" → "0912345678"."""
    return "0" + address[3:] if address.startswith("+84") else address.lstrip("+")


def request_id(outbound: Outbound) -> str:
    """An id for a message sent outside the outbox (no `key`): same address and text, same id."""
    return hashlib.sha256(f"{outbound.address}\n{render_text(outbound)}".encode()).hexdigest()[:32]


def render(outbound: Outbound, config: EsmsConfig, *, unicode: bool | None = None) -> dict[str, str]:
    """The JSON body of one send; the message's `key` (the outbox row's id) becomes the RequestId."""
    content = render_text(outbound, unicode=config.unicode if unicode is None else unicode)
    body = {
        "ApiKey": config.api_key, "SecretKey": config.secret_key, "Phone": local_phone(outbound.address),
        "Content": content, "Brandname": config.brandname, "SmsType": SMS_TYPE_CARE,
        "IsUnicode": "1" if encoding_of(content) is Encoding.UCS2 else "0",
        "RequestId": outbound.key or request_id(outbound),
    }
    if config.public_url:
        body["CallbackUrl"] = f"{config.public_url}{CALLBACK_PATH}/{config.callback_key}"
    if config.sandbox:
        body["Sandbox"] = "1"
    return body


def outcome(status: int, answer: Mapping[str, Any]) -> SendOutcome:
    """The send's outcome from the HTTP status and eSMS's `{"CodeResult": "100", "SMSID": …}`."""
    if status == 429 or status >= 500:
        return SendOutcome(Delivery.RETRY, error=str(status))
    code = str(answer.get("CodeResult", ""))
    if code == OK:
        return SendOutcome(Delivery.SENT, provider_message_id=str(answer.get("SMSID") or "") or None)
    return SendOutcome(Delivery.RETRY if code in RETRY_CODES else Delivery.FAILED, error=code or str(status))


_SMS_ID = re.compile(r"[\x21-\x7e]{1,100}")  # printable ASCII, as eSMS's ids are


def parse_report(query: Mapping[str, str], key: str, config: EsmsConfig) -> DeliveryReport | None:
    """A delivery report (`?SMSID=…&SendStatus=5&SendSuccess=1…`); None when not final enough to keep."""
    if not hmac.compare_digest(key.encode(), config.callback_key.encode()):
        raise BadKey("wrong callback key")
    sms_id, send_status = query.get("SMSID", ""), query.get("SendStatus", "")
    if not _SMS_ID.fullmatch(sms_id):
        return None  # none, or not an id eSMS gives (control characters, a page of text): nothing to match
    # 1, 2: waiting; 7: with the carrier; 4: refused; 5: done, SendSuccess/SendFailed say how.
    if send_status in ("1", "2"):
        return DeliveryReport(sms_id, "queued")
    if send_status == "7":
        return DeliveryReport(sms_id, "sent")
    if send_status == "4":
        return DeliveryReport(sms_id, "failed", "esms:4")
    if send_status == "5":
        delivered = _count(query.get("SendSuccess")) > 0 or _count(query.get("SendFailed")) == 0
        return DeliveryReport(sms_id, "delivered") if delivered else DeliveryReport(sms_id, "undelivered", "esms:5")
    return None


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


class EsmsSender:
    """Sends brand-name SMS through eSMS; one instance per process, closed by `open_esms`."""

    channel = ChannelName.SMS

    def __init__(self, config: EsmsConfig, http: aiohttp.ClientSession) -> None:
        self.config, self._http = config, http

    async def send(self, outbound: Outbound, *, unicode: bool | None = None) -> SendOutcome:
        """One message out; network trouble and 5xx are worth a retry (the RequestId keeps it once)."""
        url = self.config.api_base_url.rstrip("/") + SEND_PATH
        try:
            async with self._http.post(url, json=render(outbound, self.config, unicode=unicode)) as response:
                answer = await response.json(content_type=None) if response.status < 500 else {}
                return outcome(response.status, answer if isinstance(answer, dict) else {})
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            return SendOutcome(Delivery.RETRY, error=type(exc).__name__)


@asynccontextmanager
async def open_esms(config: EsmsConfig) -> AsyncIterator[EsmsSender]:
    """A sender on one pooled HTTP session, closed after."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        yield EsmsSender(config, http)
