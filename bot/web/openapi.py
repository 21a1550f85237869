"""The OpenAPI 3.1 document of API v1, made from the pydantic models the handlers validate with.

Request bodies, the query of GET /api/v1/evaluations, every response and the error list come from
`bot.office.api_models` (and the error statuses from `ERROR_STATUS`), so the
document and the handlers cannot disagree.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.office import api_models as m

REF = "#/components/schemas/{model}"
INPUTS = (m.DossierIn, m.BatchIn, m.ReturnedIn, m.EmptyIn)
OUTPUTS = (m.Error, m.DossierOut, m.InvitationOut, m.SurveyStatusOut, m.BatchOut, m.EvaluationOut, m.EvaluationPage,
           m.ScoreOut)
#: Error statuses and the codes each may carry, from the handlers' own table.
ERRORS = {str(status): tuple(code for code, s in m.ERROR_STATUS.items() if s == status)
          for status in sorted(set(m.ERROR_STATUS.values()))}


@lru_cache(maxsize=1)
def _components() -> dict[str, Any]:
    _, defs = models_json_schema([(model, "validation") for model in INPUTS]
                                 + [(model, "serialization") for model in OUTPUTS], ref_template=REF)
    components: dict[str, Any] = defs["$defs"]
    return components


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*statuses: str) -> dict[str, Any]:
    return {status: {"description": "Error: " + ", ".join(ERRORS[status]),
                     "content": {"application/json": {"schema": _ref(m.Error)}}} for status in statuses}


CODE = {"name": "code", "in": "path", "required": True,
        "schema": {"type": "string", "pattern": m.CODE_PATTERN, "maxLength": m.CODE_MAX},
        "example": m.CODE_EXAMPLE,
        "description": "Dossier code `<agency electronic id>-<YYMMDD received>-<sequence>`, e.g. "
                       f"{m.CODE_EXAMPLE}; its agency part must be the key's agency or one of its units (else 403)"}
COMMON = ("400", "401", "403", "404", "503")


def _op(summary: str, ok: dict[str, Any], *, body: type[BaseModel] | None = None, required: bool = False,
        created: bool = False, extra: tuple[str, ...] = (), code: bool = True) -> dict[str, Any]:
    responses = {"200": ok} | ({"201": ok} if created else {}) | _errors(*COMMON, *extra)
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if code:
        op["parameters"] = [CODE]
    if body is not None:
        op["requestBody"] = {"required": required, "content": {"application/json": {"schema": _ref(body)}}}
        op["responses"] |= _errors("413")
    return op


def _evaluations_op() -> dict[str, Any]:
    query = m.EvaluationsQuery.model_json_schema()
    parameters = [{"name": name, "in": "query", "required": False, "schema": schema,
                   "description": schema.get("description", "")}
                  for name, schema in query["properties"].items()]
    parameters[0]["description"] = "only evaluations completed at or after this time (RFC 3339, with offset)"
    parameters[1]["description"] = "the previous page's next_cursor (opaque)"
    parameters[2]["description"] = f"page size, at most {m.PAGE_MAX}"
    op = _op("Evaluations since a time, paged by a stable cursor (oldest first)",
             _json(m.EvaluationPage, "A page"), code=False)
    op["parameters"] = parameters
    return op


def _results_op() -> dict[str, Any]:
    schema = m.ResultsQuery.model_json_schema()["properties"]["period"]
    op = _op("The key's agency's total for a period (band only when every indicator is present)",
             _json(m.ScoreOut, "The total"), code=False)
    op["parameters"] = [{"name": "period", "in": "query", "required": True, "schema": schema,
                         "description": schema.get("description", "")}]
    return op


def openapi(server: str) -> dict[str, Any]:
    """The document, with this installation's address as its server."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "hailong API v1", "version": "1.1.0",
                 "description": "Dossiers, satisfaction surveys and their results for one agency (and its units) "
                                "per key. Hồ sơ, khảo sát sự hài lòng và kết quả; mỗi khóa API thuộc một cơ quan "
                                "(và các đơn vị trực thuộc). See docs/integration.md."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/dossiers:batch": {"post": _op(
                f"Create or update up to {m.BATCH_MAX} dossiers (idempotent by code; one result per item)",
                _json(m.BatchOut, "Per-item results"), body=m.BatchIn, required=True, code=False)},
            "/api/v1/dossiers/{code}": {"put": _op("Create or update a dossier", _json(m.DossierOut, "The dossier"),
                                                   body=m.DossierIn, required=True, created=True)},
            "/api/v1/dossiers/{code}/returned": {"post": _op(
                "Mark returned; opens and schedules the survey", _json(m.InvitationOut, "The survey's invitation"),
                body=m.ReturnedIn, extra=("409",))},
            "/api/v1/dossiers/{code}/survey": {
                "post": _op("Open the survey now", _json(m.InvitationOut, "The survey's invitation"), body=m.EmptyIn,
                            created=True, extra=("409",)),
                "get": _op("Read the survey's status", _json(m.SurveyStatusOut, "Status"))},
            "/api/v1/dossiers/{code}/evaluation": {"get": _op(
                "Read the dossier's evaluation (404 not_evaluated until it is answered)",
                _json(m.EvaluationOut, "The evaluation"))},
            "/api/v1/evaluations": {"get": _evaluations_op()},
            "/api/v1/results": {"get": _results_op()},
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                             "responses": {"200": {"description": "OpenAPI 3.1",
                                                                   "content": {"application/json": {
                                                                       "schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": _components(), "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "`hailong api-key create AGENCY_CODE`; also accepted as X-API-Key"}}},
    }
