"""HTTP API v1 for agency systems: JSON in and out, one API key per agency, stable error codes.

Errors: ``{"error": {"code": "dossier_unknown", "message": {"vi": "…", "en": "…"}}}``. Bodies and
queries are validated with the pydantic models of `bot.office.api_models`, the same models the
OpenAPI document (`bot.web.openapi`) is made from.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from functools import wraps
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.common.errors import HailongError
from bot.office.api_models import (
    CODE_MAX,
    CODE_RE,
    ERROR_STATUS,
    BatchIn,
    DossierIn,
    EmptyIn,
    EvaluationsQuery,
    ResultsQuery,
    ReturnedIn,
    problem,
)
from bot.office.apikeys import KeyGrant, grant_of_key
from bot.office.dossier_api import (
    invitation_json,
    mark_returned,
    open_survey,
    put_batch,
    put_dossier,
    survey_status,
)
from bot.office.results_api import agency_results, evaluation_of, evaluations_since
from bot.web.keys import DATABASE, SETTINGS
from bot.web.openapi import openapi
from storage import StorageError

MAX_BODY = 64 * 1024
MAX_BATCH_BODY = 1024 * 1024  # 500 dossiers of about 2 KiB
STATUS = ERROR_STATUS  # every error code with its HTTP status; the OpenAPI document lists the same
#: The API's addresses and their methods (for 405 on a wrong method).
ROUTES = ((re.compile(r"/api/v1/openapi\.json"), ("GET",)),
          (re.compile(r"/api/v1/dossiers:batch"), ("POST",)),
          (re.compile(r"/api/v1/dossiers/[^/]+"), ("PUT",)),
          (re.compile(r"/api/v1/dossiers/[^/]+/returned"), ("POST",)),
          (re.compile(r"/api/v1/dossiers/[^/]+/survey"), ("GET", "POST")),
          (re.compile(r"/api/v1/dossiers/[^/]+/evaluation"), ("GET",)),
          (re.compile(r"/api/v1/evaluations"), ("GET",)),
          (re.compile(r"/api/v1/results"), ("GET",)))
log = logging.getLogger(__name__)
routes = web.RouteTableDef()
Handler = Callable[[web.Request, KeyGrant, Any], Awaitable[tuple[int, dict[str, Any]]]]  # Any: the view's model


class ApiError(HailongError):
    """An API refusal with its own stable code."""

    def __init__(self, code: str, vi: str, en: str) -> None:
        super().__init__(vi, en)
        self.code = code


def error(code: str, vi: str, en: str, *, headers: dict[str, str] | None = None) -> web.Response:
    """The JSON error body every API refusal uses."""
    body = {"error": {"code": code, "message": {"vi": vi, "en": en}}}
    return web.json_response(body, status=STATUS.get(code, 400), headers=headers)


def api_view(model: type[BaseModel] | None = None, *, max_body: int = MAX_BODY
             ) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.Response]]]:
    """Authenticate, check the path's dossier code, validate the body with `model`, run the handler,
    and turn every refusal into a JSON error."""
    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        @wraps(handler)
        async def view(request: web.Request) -> web.Response:
            try:
                grant = await _grant(request)
                _check_code(request)
                body = await _body(request, model, max_body) if model is not None else None
                status, answer = await handler(request, grant, body)
            except HailongError as exc:
                return error(exc.code, exc.vi, exc.en)
            except StorageError:
                log.exception("API storage error on %s", request.method)
                return error("storage", "Lỗi lưu trữ, xin thử lại.", "Storage error, please retry.")
            return web.json_response(answer, status=status)
        return view
    return wrap


async def _grant(request: web.Request) -> KeyGrant:
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.headers.get("X-API-Key", "")
    grant = await grant_of_key(request.app[DATABASE], key) if key else None
    if grant is None:
        raise ApiError("unauthorized", "Thiếu hoặc sai khóa API.", "Missing or wrong API key.")
    return grant


def _check_code(request: web.Request) -> None:
    """A dossier code in the path must have the documented form (the OpenAPI pattern)."""
    code = request.match_info.get("code")
    if code is not None and (len(code) > CODE_MAX or not CODE_RE.fullmatch(code)):
        raise ApiError("bad_input", "Mã hồ sơ không đúng dạng <mã cơ quan>-<YYMMDD>-<số thứ tự>.",
                       "The dossier code is not of the form <agency id>-<YYMMDD>-<sequence>.")


async def _body(request: web.Request, model: type[BaseModel], max_body: int) -> BaseModel:
    too_big = ApiError("too_big", f"Nội dung quá lớn (tối đa {max_body // 1024} KiB).",
                       f"Body too large ({max_body // 1024} KiB at most).")
    if (request.content_length or 0) > max_body:
        raise too_big
    try:
        raw = await request.read() if request.can_read_body else b""
    except web.HTTPRequestEntityTooLarge:
        raise too_big from None
    if len(raw) > max_body:
        raise too_big
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}")
    except ValidationError as exc:
        raise ApiError("bad_input", *problem(exc)) from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


@routes.get("/api/v1/openapi.json", name="openapi")
async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this API."""
    return web.json_response(openapi(request.app[SETTINGS].public_url))


@routes.post("/api/v1/dossiers:batch")
@api_view(BatchIn, max_body=MAX_BATCH_BODY)
async def batch(request: web.Request, grant: KeyGrant, body: BatchIn) -> tuple[int, dict[str, Any]]:
    """Create or update up to 500 dossiers; one result per item."""
    return 200, await put_batch(request.app[DATABASE], grant.agency, body, now=_now())


@routes.put("/api/v1/dossiers/{code}")
@api_view(DossierIn)
async def put(request: web.Request, grant: KeyGrant, body: DossierIn) -> tuple[int, dict[str, Any]]:
    """Create or update a dossier."""
    result = await put_dossier(request.app[DATABASE], grant.agency, request.match_info["code"], body, now=_now())
    return (201 if result.pop("created") else 200), result


@routes.post("/api/v1/dossiers/{code}/returned")
@api_view(ReturnedIn)
async def returned(request: web.Request, grant: KeyGrant, body: ReturnedIn) -> tuple[int, dict[str, Any]]:
    """Mark a dossier returned: its survey opens and its invitation is scheduled."""
    app = request.app
    return 200, await mark_returned(app[DATABASE], app[SETTINGS], grant.agency, request.match_info["code"],
                                    body.returned_on, now=_now())


@routes.post("/api/v1/dossiers/{code}/survey")
@api_view(EmptyIn)
async def trigger(request: web.Request, grant: KeyGrant, body: EmptyIn) -> tuple[int, dict[str, Any]]:
    """Open the dossier's survey now and return how to reach it."""
    app = request.app
    invitation = await open_survey(app[DATABASE], app[SETTINGS], grant.agency, request.match_info["code"], now=_now())
    return (201 if invitation.created else 200), invitation_json(app[SETTINGS], invitation)


@routes.get("/api/v1/dossiers/{code}/survey")
@api_view()
async def status(request: web.Request, grant: KeyGrant, body: None) -> tuple[int, dict[str, Any]]:
    """Where the dossier's survey stands."""
    return 200, await survey_status(request.app[DATABASE], grant.agency, request.match_info["code"])


@routes.get("/api/v1/dossiers/{code}/evaluation")
@api_view()
async def evaluation(request: web.Request, grant: KeyGrant, body: None) -> tuple[int, dict[str, Any]]:
    """The dossier's evaluation: answers with scale and level, indicator points, channel, time, versions."""
    return 200, await evaluation_of(request.app[DATABASE], grant.agency, request.match_info["code"],
                                    free_text=grant.free_text)


@routes.get("/api/v1/evaluations")
@api_view()
async def evaluations(request: web.Request, grant: KeyGrant, body: None) -> tuple[int, dict[str, Any]]:
    """Evaluations since a time, paged by a stable cursor."""
    return 200, await evaluations_since(request.app[DATABASE], grant.agency, _query(request),
                                        free_text=grant.free_text)


@routes.get("/api/v1/results")
@api_view()
async def results(request: web.Request, grant: KeyGrant, body: None) -> tuple[int, dict[str, Any]]:
    """The agency's total for a period, as every report shows it."""
    if set(request.query) - {"period"} or len(request.query.getall("period", [])) > 1:
        raise ApiError("bad_input", "Chỉ nhận tham số period (một lần).", "Only the period parameter (once).")
    try:
        query = ResultsQuery.model_validate_json(json.dumps(dict(request.query)))
    except ValidationError as exc:
        raise ApiError("bad_input", *problem(exc)) from None
    return 200, await agency_results(request.app[DATABASE], request.app[SETTINGS], grant.agency, query.period,
                                     now=datetime.now(timezone.utc))


def _query(request: web.Request) -> EvaluationsQuery:
    """The query validated with its model (JSON mode: strict, yet dates as text); a repeated name is refused."""
    values: dict[str, object] = {}
    for name in request.query:
        if len(request.query.getall(name)) > 1:
            raise ApiError("bad_input", f"Tham số {name} lặp lại.", f"Parameter {name} is repeated.")
        value = request.query[name]
        values[name] = int(value) if name == "limit" and re.fullmatch(r"[0-9]{1,6}", value) else value
    try:
        return EvaluationsQuery.model_validate_json(json.dumps(values))
    except ValidationError as exc:
        raise ApiError("bad_input", *problem(exc)) from None


@routes.route("*", "/api/v1/{tail:.*}")
async def unknown(request: web.Request) -> web.Response:
    """Any other API address, or a wrong method (405 with Allow): a JSON error like every other refusal."""
    for pattern, methods in ROUTES:
        if pattern.fullmatch(request.path):
            return error("method_not_allowed", "Phương thức không được hỗ trợ ở địa chỉ này.",
                         "This method is not allowed at this address.", headers={"Allow": ", ".join(methods)})
    return error("not_found", "Không có địa chỉ API này.", "There is no such API address.")
