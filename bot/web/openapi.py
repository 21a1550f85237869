"""The OpenAPI 3.1 document of API v1, written by hand: it is small and it is the contract."""

from __future__ import annotations

from typing import Any

CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "Dossier code, e.g. 000.32.31.H29-261118-0001 (case and spaces normalised)"}
ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
DATE = {"type": ["string", "null"], "format": "date"}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _op(summary: str, ok: dict[str, Any], body: str | None = None, created: bool = False) -> dict[str, Any]:
    responses = {"200": ok, "400": ERROR, "401": ERROR, "404": ERROR, "409": ERROR}
    if created:
        responses["201"] = ok
    op: dict[str, Any] = {"summary": summary, "parameters": [CODE], "responses": responses}
    if body:
        op["requestBody"] = {"required": body == "DossierIn",
                             "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
    return op


SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["unauthorized", "bad_input", "too_big", "dossier_unknown",
                                                 "dossier_not_returned", "dossier_already_evaluated", "storage"]},
            "message": {"type": "object", "properties": {"vi": {"type": "string"}, "en": {"type": "string"}}}}}}},
    "DossierIn": {"type": "object", "required": ["status", "received_on"], "properties": {
        "status": {"type": "integer", "minimum": 1, "maximum": 10, "description": "national status code; 10 = returned"},
        "received_on": {"type": "string", "format": "date"}, "due_on": DATE, "returned_on": DATE,
        **{k: {"type": ["string", "null"]} for k in ("field_code", "field_name", "procedure_code", "procedure_name",
                                                      "officer_code", "officer_name", "phone", "applicant_name")}}},
    "Dossier": {"type": "object", "properties": {
        "code": {"type": "string"}, "status": {"type": "integer"}, "received_on": DATE, "due_on": DATE,
        "returned_on": DATE}},
    "Returned": {"type": "object", "properties": {"returned_on": DATE}},
    "Invitation": {"type": "object", "properties": {
        "dossier_code": {"type": "string"}, "created": {"type": "boolean"}, "link": {"type": "string", "format": "uri"},
        "telegram_link": {"type": ["string", "null"]}, "qr_svg": {"type": "string"}, "qr_png": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"},
        "send_at": {"type": "string", "format": "date-time", "description": "when the invitation is due (returned only)"}}},
    "SurveyStatus": {"type": "object", "properties": {
        "dossier_code": {"type": "string"},
        "status": {"type": "string", "enum": ["none", "invited", "active", "completed", "duplicate", "expired", "opted_out"]},
        "channel": {"type": ["string", "null"]}, "evaluated": {"type": "boolean"},
        "created_at": {"type": "string"}, "expires_at": {"type": "string"}, "ended_at": {"type": ["string", "null"]}}},
}


def openapi(server: str) -> dict[str, Any]:
    """The document, with this installation's address as its server."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "hailong API v1", "version": "1.0.0",
                 "description": "Dossiers and satisfaction surveys for one agency per key. "
                                "Hồ sơ và khảo sát sự hài lòng; mỗi khóa API thuộc một cơ quan."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/dossiers/{code}": {"put": _op("Create or update a dossier", _json("Dossier", "The dossier"), "DossierIn", True)},
            "/api/v1/dossiers/{code}/returned": {"post": _op("Mark returned; opens and schedules the survey",
                                                             _json("Invitation", "The survey's invitation"), "Returned")},
            "/api/v1/dossiers/{code}/survey": {
                "post": _op("Open the survey now", _json("Invitation", "The survey's invitation"), created=True),
                "get": _op("Read the survey's status", _json("SurveyStatus", "Status"))},
        },
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer", "description": "`hailong api-key create AGENCY_CODE`; also accepted as X-API-Key"}}},
    }
