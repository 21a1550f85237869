"""What the Zalo OA and ZNS adapters share: the request value, the HTTP call, -124 handling, outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import aiohttp

from channels.contract import Delivery, SendOutcome

TOKEN_INVALID = -124  # UNCONFIRMED only in its number: "invalid access token" on OA and ZNS alike


class ZaloError(Exception):
    """Errors of the Zalo adapters; `code` is stable for callers that branch on it."""

    code = "zalo"


class TokenRefused(ZaloError):
    """The OAuth server refused to refresh (the OA must be authorised again)."""

    code = "token_refused"


@dataclass(frozen=True, slots=True)
class ZaloRequest:
    """One HTTP call: `{"method": "POST", "path": "/v3.0/oa/message/cs", "json": {…}}`."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class TokenSource(Protocol):
    """The OA access token: the current one, and a fresh one when Zalo says it is invalid."""

    async def access_token(self) -> str: ...

    async def refresh(self, stale: str) -> str: ...


async def call(http: aiohttp.ClientSession, base_url: str, request: ZaloRequest,
               token: str | None = None) -> dict[str, Any]:
    """Make one HTTP call and return its JSON body (network errors and 5xx raise ClientError)."""
    headers = dict(request.headers) | ({"access_token": token} if token else {})
    async with http.request(request.method, base_url.rstrip("/") + request.path, json=request.json,
                            data=request.form, params=request.params, headers=headers) as response:
        if response.status >= 500:
            raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
        return cast(dict[str, Any], await response.json(content_type=None))


async def call_with_token(http: aiohttp.ClientSession, base_url: str, request: ZaloRequest,
                          tokens: TokenSource) -> dict[str, Any]:
    """One call with the access token; on -124 one refresh and one retry."""
    token = await tokens.access_token()
    body = await call(http, base_url, request, token)
    if body.get("error") == TOKEN_INVALID:
        body = await call(http, base_url, request, await tokens.refresh(token))
    return body


def outcome(body: Mapping[str, Any], *, unreachable: frozenset[int] = frozenset(),
            outside_window: frozenset[int] = frozenset()) -> SendOutcome:
    """The dispatcher's view of an answer: 0 sent, listed codes unreachable or out of window, else failed."""
    error = body.get("error")
    if error == 0:
        data = body.get("data") or {}
        pid = data.get("message_id") or data.get("msg_id")
        return SendOutcome(Delivery.SENT, provider_message_id=str(pid) if pid else None)
    if error in unreachable:
        return SendOutcome(Delivery.UNREACHABLE, error=str(error))
    if error in outside_window:
        return SendOutcome(Delivery.FAILED, error="outside_window")
    return SendOutcome(Delivery.FAILED, error=str(error))


async def send_with_token(http: aiohttp.ClientSession, base_url: str, request: ZaloRequest,
                          tokens: TokenSource, **codes: frozenset[int]) -> SendOutcome:
    """Send one request and map the answer; network trouble and a refused refresh are retried later."""
    try:
        body = await call_with_token(http, base_url, request, tokens)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return SendOutcome(Delivery.RETRY, error=type(exc).__name__)
    except TokenRefused:
        return SendOutcome(Delivery.RETRY, retry_after=600.0, error="token_refused")
    return outcome(body, **codes)
