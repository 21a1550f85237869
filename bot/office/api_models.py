"""The bodies of API v1 as pydantic models: the handlers validate with them, the OpenAPI document is made from them.

One source for both, so the document and the handlers cannot disagree. Request models are strict
and refuse unknown fields; they are read from the raw JSON bytes (`model_validate_json`), where
strict mode still takes ISO dates as strings.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

#: A dossier code as the API takes it in a path or a body (the normalisation upper-cases it);
#: `<agency electronic id>-<YYMMDD received>-<sequence, 4+ digits, optionally 2 letters/digits before>`.
CODE_PATTERN = r"^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*-[0-9]{6}-(?:[A-Za-z0-9]{2})?[0-9]{4,}$"
CODE_RE = re.compile(CODE_PATTERN)
CODE_MAX = 64
CODE_EXAMPLE = "000.32.31.H29-261118-0001"
BATCH_MAX = 500  # dossiers in one POST /api/v1/dossiers:batch
PAGE_MAX = 500  # evaluations in one page of GET /api/v1/evaluations
CURSOR_PATTERN = r"^[0-9]{1,9}$"  # evaluation ids are 32-bit integers
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")
#: Every error code with its HTTP status (ErrorBody.code lists the same codes; a test holds them equal).
ERROR_STATUS = {"bad_input": 400, "unauthorized": 401, "agency_forbidden": 403, "dossier_unknown": 404,
                "not_evaluated": 404, "not_found": 404, "method_not_allowed": 405, "dossier_not_returned": 409,
                "dossier_already_evaluated": 409, "too_big": 413, "storage": 503}

#: Text without control characters (PostgreSQL refuses NUL; none belongs in a name).
_PLAIN = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=CODE_MAX,
                            description=f"Dossier code, e.g. {CODE_EXAMPLE} (upper-cased on the way in)",
                            examples=[CODE_EXAMPLE])]


Short = Annotated[str, Field(max_length=64, pattern=_PLAIN)]
Name = Annotated[str, Field(max_length=255, pattern=_PLAIN)]
Long = Annotated[str, Field(max_length=500, pattern=_PLAIN)]
Phone = Annotated[str, Field(max_length=32, pattern=_PLAIN,
                             description="applicant's phone; 0912… and +84912… are one number")]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class UnitStepIn(_In):
    """One participating unit's part of the dossier (indicator 2): its deadline and the day it finished."""

    unit: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f:|]+$",
                               description="the unit's code or name (no ':' or '|')", examples=["STP"])]
    due_on: date
    done_on: date


class DossierIn(_In):
    """A dossier's fields (the CSV import's columns without code and agency)."""

    status: int = Field(ge=1, le=10, description="national status code 1-10; 9 processed, 10 returned")
    received_on: date
    due_on: date | None = None
    returned_on: date | None = Field(default=None, description="required when status is 10")
    field_code: Short | None = None
    field_name: Name | None = None
    procedure_code: Short | None = None
    procedure_name: Long | None = None
    officer_code: Short | None = None
    officer_name: Name | None = None
    phone: Phone | None = None
    applicant_name: Name | None = None
    unit_steps: list[UnitStepIn] | None = Field(
        default=None, max_length=30,
        description="each participating unit's deadline and completion day; indicator 2 is computed from them "
                    "and is 'not measured' without them")
    online: bool | None = Field(default=None, description="submitted online (trực tuyến); counts for indicator 9")


class BatchDossierIn(DossierIn):
    """One dossier of a batch: its code and its fields."""

    code: Code


class BatchIn(_In):
    """Up to BATCH_MAX dossiers, each written like PUT /api/v1/dossiers/{code}."""

    dossiers: list[BatchDossierIn] = Field(min_length=1, max_length=BATCH_MAX)


class ReturnedIn(_In):
    """When the result was handed back (today in Asia/Ho_Chi_Minh when absent)."""

    returned_on: date | None = None


class EmptyIn(_In):
    """No fields."""


class EvaluationsQuery(_In):
    """The query of GET /api/v1/evaluations."""

    since: AwareDatetime | None = None
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN)
    limit: int = Field(default=100, ge=1, le=PAGE_MAX)

    @field_validator("since", mode="before")
    @classmethod
    def _rfc3339(cls, value: object) -> object:
        """Only RFC 3339 text (what `format: date-time` means); pydantic alone would take a Unix time."""
        if value is not None and not (isinstance(value, str) and _RFC3339.fullmatch(value)):
            raise ValueError("not an RFC 3339 date-time with an offset")
        if value is None:
            return None
        text = value.upper()
        head, dot, rest = text.partition(".")
        if dot:  # Python reads at most 6 fraction digits; RFC 3339 allows more
            digits = len(rest) - len(rest.lstrip("0123456789"))
            text = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
        return datetime.fromisoformat(text)


# --- responses ---------------------------------------------------------------------------------

class Message(BaseModel):
    vi: str
    en: str


class ErrorBody(BaseModel):
    code: Literal["unauthorized", "agency_forbidden", "bad_input", "too_big", "dossier_unknown", "not_found",
                  "method_not_allowed", "dossier_not_returned", "dossier_already_evaluated",
                  "not_evaluated", "storage"]
    message: Message


class Error(BaseModel):
    """Every refusal: a stable code and a message in Vietnamese and English."""

    error: ErrorBody


class UnitStepOut(BaseModel):
    unit: str
    due_on: date
    done_on: date


class DossierOut(BaseModel):
    code: str
    status: int
    received_on: date | None
    due_on: date | None
    returned_on: date | None
    unit_steps: list[UnitStepOut] | None = None
    online: bool | None = None


class InvitationOut(BaseModel):
    dossier_code: str
    created: bool
    link: str
    telegram_link: str | None
    qr_svg: str
    qr_png: str
    expires_at: datetime
    send_at: datetime | None = Field(default=None, description="when the invitation is due (POST …/returned only)")


class SurveyStatusOut(BaseModel):
    dossier_code: str
    status: Literal["none", "invited", "active", "completed", "duplicate", "expired", "opted_out"]
    evaluated: bool
    channel: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None


class BatchItemOut(BaseModel):
    index: int = Field(description="position in the request's list, from 0")
    code: str
    result: Literal["created", "updated", "error"]
    error: ErrorBody | None = None


class BatchOut(BaseModel):
    created: int
    updated: int
    errors: int
    results: list[BatchItemOut]


class AnswerOut(BaseModel):
    field: str = Field(description="schema field, e.g. satisfaction.overall or indicator.3")
    type: Literal["points", "level", "reasons", "text", "unknown"]
    scale: str | None = Field(description="the answer scale the question used (sat3, sat5, stars5), if any")
    value: int | None = Field(description="the value on that scale (stars, points, count)")
    level: int | None = Field(description="the canonical level: 2 very satisfied, 1 satisfied, 0 not satisfied")
    level_label: Message | None = None
    items: list[str] | None = Field(default=None, description="reason codes")
    text: str | None = Field(default=None, description="free text; only for keys allowed to read it")


class IndicatorOut(BaseModel):
    indicator: int
    points: int


class PortalSources(BaseModel):
    """The schema field(s) each portal answer came from (null when none was answered)."""

    overall: str | None
    convenience: str | None
    timeliness: str | None
    staff_attitude: str | None


class PortalOut(BaseModel):
    """The four questions public portals show, as canonical levels (2 very satisfied, 1 satisfied,
    0 not satisfied) or null: the satisfaction question when the flow asked it, else the indicator
    points (convenience: the worse of indicators 3 and 4; timeliness: 1; staff attitude: 7)."""

    overall: int | None
    convenience: int | None
    timeliness: int | None
    staff_attitude: int | None
    sources: PortalSources


class EvaluationOut(BaseModel):
    id: int
    dossier_code: str
    agency_code: str
    channel: str
    language: str
    completed_at: datetime
    schema_version: str
    flow_id: str | None
    flow_revision: int | None
    answers: list[AnswerOut]
    indicators: list[IndicatorOut]
    portal: PortalOut


class EvaluationPage(BaseModel):
    items: list[EvaluationOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page (also when has_more is false, "
                                                "to pick up later evaluations)")
    has_more: bool


class ResultsQuery(_In):
    """The query of GET /api/v1/results."""

    period: str = Field(pattern=r"^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]|9M))?$", max_length=7,
                        description="report period: 2026-05, 2026-Q2, 2026-H1, 2026-9M or 2026")


class ScoreOut(BaseModel):
    """The agency's total for a period: the same figures as the public page, staff report, XLSX and CSV."""

    agency: str
    period: str
    first: date
    last: date
    score: dict[str, object] = Field(description="total, maximum, present and missing indicators, band (only when "
                                                 "all are present), each indicator's figure and where it comes "
                                                 "from, and the total in words (phrase.vi, phrase.en)")


def problem(exc: ValidationError) -> tuple[str, str]:
    """The first validation problem, in Vietnamese and English (never the submitted value)."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "Nội dung không phải JSON hợp lệ.", "The body is not valid JSON."
    if kind == "model_type" or kind == "model_attributes_type":
        return "Nội dung phải là một đối tượng JSON.", "The body must be a JSON object."
    if kind == "extra_forbidden":
        return f"Trường không được phép: {where}.", f"Field not allowed: {where}."
    if kind == "missing":
        return f"Thiếu trường bắt buộc: {where}.", f"Required field missing: {where}."
    return f"Giá trị không hợp lệ ở {where}: {first.get('msg', '')}.", f"Invalid value at {where}: {first.get('msg', '')}."
