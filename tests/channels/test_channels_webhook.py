"""Outgoing webhooks: the signature a receiver can recompute, a time window, and what each answer means to the outbox."""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp
from aiohttp import web

from channels.contract import Delivery, Outbound
from channels.webhook import WebhookSender, sign, verify

SECRET = "s3cr3t-of-the-agency"
BODY = json.dumps({"event": "evaluation.completed", "agency_code": "000.32.31.H29"}).encode()


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1764900000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1764900000, BODY) == f"v1={expected}"
    assert verify(SECRET, "1764900000", f"v1={expected}", BODY, now=1764900100)
    assert not verify(SECRET, "1764900000", f"v1={expected}", BODY, now=1764900000 + 301)  # too old
    assert not verify(SECRET, "1764900000", f"v1={expected}", BODY + b"x", now=1764900000)
    assert not verify(SECRET, "soon", f"v1={expected}", BODY, now=1764900000)
    assert not verify("other", "1764900000", f"v1={expected}", BODY, now=1764900000)


async def test_answers_map_to_sent_retry_and_failed() -> None:
    seen: list[tuple[dict, bytes]] = []
    statuses = iter([204, 503, 429, 410, 302])

    async def hook(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        status = next(statuses)
        headers = {"Retry-After": "7"} if status == 429 else ({"Location": "http://elsewhere/"} if status == 302 else {})
        return web.Response(status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the port the OS picked

    async def secret_of(body: bytes) -> str | None:
        return SECRET if json.loads(body)["agency_code"] == "000.32.31.H29" else None

    try:
        async with aiohttp.ClientSession() as http:
            sender = WebhookSender(http, secret_of, clock=lambda: 1764900000.5)
            out = Outbound("webhook", f"http://127.0.0.1:{port}/hook", BODY.decode(), key="outbox-9")  # type: ignore[arg-type]
            outcomes = [await sender.send(out) for _ in range(5)]
            unknown = await sender.send(Outbound("webhook", out.address, '{"agency_code": "x"}'))  # type: ignore[arg-type]
            closed = await sender.send(Outbound("webhook", "http://127.0.0.1:9/hook", BODY.decode()))  # type: ignore[arg-type]
    finally:
        await runner.cleanup()
    assert [o.delivery for o in outcomes] == [Delivery.SENT, Delivery.RETRY, Delivery.RETRY, Delivery.FAILED,
                                              Delivery.FAILED]  # redirects are not followed
    assert outcomes[2].retry_after == 7.0
    assert unknown.delivery is Delivery.FAILED and closed.delivery is Delivery.RETRY
    headers, body = seen[0]
    assert body == BODY and headers["X-Hailong-Timestamp"] == "1764900000"
    assert verify(SECRET, headers["X-Hailong-Timestamp"], headers["X-Hailong-Signature"], body, now=1764900000)
    assert headers["X-Hailong-Delivery"] == "outbox-9" and headers["Content-Type"] == "application/json"
