"""HTTP API v1 for agency systems: JSON in and out, one API key per agency, stable error codes.

Errors: ``{"error": {"code": "dossier_unknown", "message": {"vi": "…", "en": "…"}}}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timezone
from functools import wraps

from aiohttp import web

from bot.common.errors import HailongError
from bot.office.apikeys import agency_of_key
from bot.office.dossier_api import invitation_json, mark_returned, open_survey, put_dossier, survey_status
from bot.web.keys import DATABASE, SETTINGS
from bot.web.openapi import openapi
from storage import Agency, StorageError

MAX_BODY = 64 * 1024
STATUS = {"bad_input": 400, "unauthorized": 401, "dossier_unknown": 404, "not_found": 404,
          "dossier_not_returned": 409, "dossier_already_evaluated": 409, "too_big": 413}
log = logging.getLogger(__name__)
routes = web.RouteTableDef()
Handler = Callable[[web.Request, Agency, dict], Awaitable[tuple[int, dict]]]


class ApiError(HailongError):
    """An API refusal with its own stable code."""

    def __init__(self, code: str, vi: str, en: str) -> None:
        super().__init__(vi, en)
        self.code = code


def error(code: str, vi: str, en: str) -> web.Response:
    """The JSON error body every API refusal uses."""
    body = {"error": {"code": code, "message": {"vi": vi, "en": en}}}
    return web.json_response(body, status=STATUS.get(code, 400))


def api_view(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Authenticate, read the JSON body, run the handler, and turn every refusal into a JSON error."""
    @wraps(handler)
    async def view(request: web.Request) -> web.Response:
        try:
            agency = await _agency(request)
            status, body = await handler(request, agency, await _body(request))
        except HailongError as exc:
            return error(exc.code, exc.vi, exc.en)
        except StorageError:
            log.exception("API storage error on %s", request.path)
            return error("storage", "Lỗi lưu trữ, xin thử lại.", "Storage error, please retry.")
        return web.json_response(body, status=status)
    return view


async def _agency(request: web.Request) -> Agency:
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.headers.get("X-API-Key", "")
    agency = await agency_of_key(request.app[DATABASE], key) if key else None
    if agency is None:
        raise ApiError("unauthorized", "Thiếu hoặc sai khóa API.", "Missing or wrong API key.")
    return agency


async def _body(request: web.Request) -> dict:
    if request.method == "GET" or not request.can_read_body:
        return {}
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError("too_big", "Nội dung quá lớn (tối đa 64 KiB).", "Body too large (64 KiB at most).")
    try:
        body = json.loads(await request.read() or b"{}")
    except (ValueError, web.HTTPRequestEntityTooLarge):
        raise ApiError("bad_input", "Nội dung không phải JSON hợp lệ.", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("bad_input", "Nội dung phải là một đối tượng JSON.", "The body must be a JSON object.")
    return body


def _now() -> datetime:
    return datetime.now(timezone.utc)


@routes.get("/api/v1/openapi.json", name="openapi")
async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this API."""
    return web.json_response(openapi(request.app[SETTINGS].public_url))


@routes.put("/api/v1/dossiers/{code}")
@api_view
async def put(request: web.Request, agency: Agency, body: dict) -> tuple[int, dict]:
    """Create or update a dossier."""
    result = await put_dossier(request.app[DATABASE], agency, request.match_info["code"], body, now=_now())
    return (201 if result.pop("created") else 200), result


@routes.post("/api/v1/dossiers/{code}/returned")
@api_view
async def returned(request: web.Request, agency: Agency, body: dict) -> tuple[int, dict]:
    """Mark a dossier returned: its survey opens and its invitation is scheduled."""
    on = body.get("returned_on")
    try:
        day = date.fromisoformat(on) if on else None
    except (TypeError, ValueError):
        raise ApiError("bad_input", "returned_on phải có dạng YYYY-MM-DD.", "returned_on must be YYYY-MM-DD.") from None
    app = request.app
    return 200, await mark_returned(app[DATABASE], app[SETTINGS], agency, request.match_info["code"], day, now=_now())


@routes.post("/api/v1/dossiers/{code}/survey")
@api_view
async def trigger(request: web.Request, agency: Agency, body: dict) -> tuple[int, dict]:
    """Open the dossier's survey now and return how to reach it."""
    app = request.app
    invitation = await open_survey(app[DATABASE], app[SETTINGS], agency, request.match_info["code"], now=_now())
    return (201 if invitation.created else 200), invitation_json(app[SETTINGS], invitation)


@routes.get("/api/v1/dossiers/{code}/survey")
@api_view
async def status(request: web.Request, agency: Agency, body: dict) -> tuple[int, dict]:
    """Where the dossier's survey stands."""
    return 200, await survey_status(request.app[DATABASE], agency, request.match_info["code"])


@routes.route("*", "/api/v1/{tail:.*}")
async def unknown(request: web.Request) -> web.Response:
    """Any other API address or method: a JSON error like every other refusal."""
    return error("not_found", "Không có địa chỉ API này.", "There is no such API address.")
