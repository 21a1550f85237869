"""A local HTTP server that speaks eSMS's JSON send (`POST /MainService.svc/json/SendMultipleMessage_V4_post_json/`).

Records every JSON body; answers `{"CodeResult": "100", "SMSID": …}`, the same SMSID again for
a RequestId it has seen (eSMS's idempotency); `fail(code)` scripts the next CodeResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from live import FakeServer

from channels.esms import SEND_PATH


@dataclass
class FakeEsms(FakeServer):
    """The recorded request bodies, in order."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_post(SEND_PATH, self._send)

    def fail(self, code: str, status: int = 200) -> None:
        self.failures.append((status, code))

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.failures:
            status, code = self.failures.pop(0)
            return web.json_response({"CodeResult": code, "ErrorMessage": f"error {code}"}, status=status)
        sms_id = self.seen.setdefault(body["RequestId"], f"esms-{len(self.seen) + 1:04d}")
        return web.json_response({"CodeResult": "100", "CountRegenerate": 0, "SMSID": sms_id})
