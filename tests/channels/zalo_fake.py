"""A local HTTP server speaking the Zalo OA, OAuth and ZNS APIs, recording calls.

One `FakeZalo()` serves all three APIs on one host; `FakeZalo.hosts()` gives three servers, each
speaking only its own API (the others' paths are 404) and sharing one OA token pair, as Zalo's
three hosts do; each records only the calls it received.

- OA `POST /v3.0/oa/message/cs` and ZNS `POST /message/template`, `GET /rating/get` want a valid
  `access_token` header, else `{"error": -124}`.
- OAuth `POST /v4/oa/access_token` trades the current refresh token (single use) for a new pair;
  a used or unknown one gets `{"error": -14014}` like Zalo's refusal.
- `errors[path]` scripts the next answers' error codes; `ratings` is what rating/get returns.
Also `sign(event)`: an event body and headers signed as the OA would (the formula of channels.zalo).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from live import FakeServer

from channels.zalo import SIGNATURE_HEADER, signature

APP_ID = "4321"
OA_SECRET = "oa-secret-key"
APP_SECRET = "app-secret"


def sign(event: dict[str, Any], *, secret: str = OA_SECRET, prefix: str = "mac=") -> tuple[bytes, dict[str, str]]:
    """The raw body of an event and its signature header."""
    body = json.dumps(event, ensure_ascii=False).encode()
    mac = signature(str(event.get("app_id", APP_ID)), body, str(event.get("timestamp", "")), secret)
    return body, {SIGNATURE_HEADER: prefix + mac, "Content-Type": "application/json"}


@dataclass
class Call:
    """One recorded request: method, path, the token header, and its JSON, form or query."""

    method: str
    path: str
    token: str | None
    body: dict[str, Any]
    secret_key: str | None = None


OA, OAUTH, ZNS = "oa", "oauth", "zns"


@dataclass
class Account:
    """The OA's current token pair as Zalo holds it (shared by the three hosts)."""

    access_token: str = "AT-1"
    refresh_token: str = "RT-1"


@dataclass
class FakeZalo(FakeServer):
    apis: frozenset[str] = frozenset({OA, OAUTH, ZNS})
    account: Account = field(default_factory=Account)
    calls: list[Call] = field(default_factory=list)
    errors: dict[str, list[int]] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    refresh_delay: float = 0.0
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _serial: int = 0

    @classmethod
    def hosts(cls) -> tuple[FakeZalo, FakeZalo, FakeZalo]:
        """The OA, OAuth and ZNS hosts, one API each, sharing one token pair (not started)."""
        account = Account()
        oa, oauth, zns = (cls(apis=frozenset({api}), account=account) for api in (OA, OAUTH, ZNS))
        return oa, oauth, zns

    @property
    def access_token(self) -> str:
        return self.account.access_token

    @property
    def refresh_token(self) -> str:
        return self.account.refresh_token

    def routes(self, app: web.Application) -> None:
        if OA in self.apis:
            app.router.add_post("/v3.0/oa/message/cs", self._message)
        if ZNS in self.apis:
            app.router.add_post("/message/template", self._template)
            app.router.add_get("/rating/get", self._ratings)
        if OAUTH in self.apis:
            app.router.add_post("/v4/oa/access_token", self._refresh)

    def sent(self, path: str = "/v3.0/oa/message/cs") -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def texts(self) -> list[str]:
        return [c.body["message"]["text"] for c in self.sent()]

    async def _record(self, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        self.calls.append(Call(request.method, request.path, request.headers.get("access_token"), body))
        scripted = self.errors.get(request.path)
        if scripted:
            return web.json_response({"error": scripted.pop(0), "message": "scripted"})
        if request.headers.get("access_token") != self.access_token:
            return web.json_response({"error": -124, "message": "Access token is invalid"})
        return None

    async def _message(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = await self._record(request, body)
        if refused is not None:
            return refused
        self._serial += 1
        return web.json_response({"error": 0, "message": "Success", "data": {
            "message_id": f"oa-msg-{self._serial}", "user_id": body["recipient"]["user_id"]}})

    async def _template(self, request: web.Request) -> web.Response:
        refused = await self._record(request, await request.json())
        if refused is not None:
            return refused
        self._serial += 1
        return web.json_response({"error": 0, "message": "Success", "data": {
            "msg_id": f"zns-msg-{self._serial}", "sent_time": "1700000000000",
            "quota": {"dailyQuota": "500", "remainingQuota": "499"}}})

    async def _ratings(self, request: web.Request) -> web.Response:
        refused = await self._record(request, dict(request.query))
        if refused is not None:
            return refused
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return web.json_response({"error": 0, "message": "Success", "data": {
            "total": len(self.ratings), "data": self.ratings[offset:offset + limit]}})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.calls.append(Call("POST", request.path, None, form, request.headers.get("secret_key")))
        await asyncio.sleep(self.refresh_delay)  # widen the window in which a second refresh could slip in
        if form.get("refresh_token") != self.refresh_token or request.headers.get("secret_key") != APP_SECRET:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        n = int(self.refresh_token.split("-")[1]) + 1
        self.account.access_token, self.account.refresh_token = f"AT-{n}", f"RT-{n}"
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})
