"""A local HTTP server that speaks the Bot API (`POST /bot<token>/<method>`), recording every call.

Answers `{"ok": true, "result": …}`; `fail(method, status, …)` scripts the next answer of a
method (403 Forbidden, 429 with `parameters.retry_after`, 400 …); `updates` feeds getUpdates.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from live import FakeServer


@dataclass
class FakeBotApi(FakeServer):
    """The recorded calls as (method, params); params JSON-decoded where they hold JSON."""

    token: str = "123:TEST"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    stalls: dict[str, float] = field(default_factory=dict)
    # Told of every call (method, params, result) as it is answered: bench/turns.py timestamps the questions.
    listener: Callable[[str, dict[str, Any], Any], None] | None = None
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _message_id: int = 100

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    def fail(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        self.failures.setdefault(method, []).append((status, description, retry_after))

    def stall(self, method: str, seconds: float) -> None:
        """Answer every call of `method` only after `seconds` (a slow or hung Bot API)."""
        self.stalls[method] = seconds

    def sent(self, method: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Calls made, getMe and getUpdates left out; only `method` when given."""
        return [(m, p) for m, p in self.calls
                if m not in ("getMe", "getUpdates") and (method is None or m == method)]

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        if method != "getUpdates":
            self.calls.append((method, params))
        if method in self.stalls:
            await asyncio.sleep(self.stalls[method])
        if self.failures.get(method):
            status, description, retry_after = self.failures[method].pop(0)
            return _error(status, description, retry_after)
        result = self._result(method, params)
        if self.listener is not None:
            self.listener(method, params, result)
        return web.json_response({"ok": True, "result": result})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 123, "is_bot": True, "first_name": "Hai Long", "username": "hailong_bot"}
        if method == "getUpdates":
            updates, self.updates = self.updates, []
            return updates
        if method == "sendMessage":
            self._message_id += 1
            return {"message_id": self._message_id, "date": 0, "text": params.get("text", ""),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}}
        if method == "editMessageText":  # the Bot API answers with the edited message
            return {"message_id": int(params["message_id"]), "date": 0, "edit_date": 0, "text": params.get("text", ""),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}}
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return await request.json()
    form = await request.post()
    return {k: _decode(v) for k, v in form.items()}


def _decode(value: Any) -> Any:
    text = str(value)
    return json.loads(text) if text[:1] in "[{" else text


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
