"""A local HTTP server that speaks Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).

Records every request (path, Basic auth user, form fields); answers 201 with a message
resource `{"sid": "SM…", "status": "queued", …}`; `fail(status, code)` scripts the next answer
as Twilio's error body `{"code": 21610, "message": …, "status": 400}`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from aiohttp import web
from live import FakeServer


@dataclass
class FakeTwilio(FakeServer):
    """The recorded requests as (path, account user, form fields)."""

    account_sid: str = "AC" + "0" * 32
    auth_token: str = "test-auth-token"
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    failures: list[tuple[int, int]] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _count: int = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)

    def fail(self, status: int, code: int) -> None:
        self.failures.append((status, code))

    def bodies(self) -> list[str]:
        return [form["Body"] for _, _, form in self.requests]

    async def _create(self, request: web.Request) -> web.Response:
        user, _, password = base64.b64decode(request.headers["Authorization"].split()[1]).decode().partition(":")
        if password != self.auth_token or request.match_info["sid"] != user:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append((request.path, user, form))
        if self.failures:
            status, code = self.failures.pop(0)
            return web.json_response({"code": code, "message": f"error {code}", "status": status,
                                      "more_info": f"https://www.twilio.com/docs/errors/{code}"}, status=status)
        self._count += 1
        sid = f"SM{self._count:032d}"
        return web.json_response({"sid": sid, "account_sid": user, "status": "queued", "to": form["To"],
                                  "body": form["Body"], "num_segments": "1", "direction": "outbound-api"},
                                 status=201)
