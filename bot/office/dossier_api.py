"""What API v1 does for an agency's system: upsert a dossier, mark it returned, open or read its survey.

Marking a dossier returned creates its survey at once (the slip needs the link) and records
when its invitation should go out, per the agency's ``survey_delay_minutes`` and contact hours; sending
it at that time is the scheduler's job (bot/conversation/schedule.py): a `jobs` row, kept across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from bot.common.contact_rules import check_fits, expiry_hours
from bot.common.errors import BadInput, DossierUnknown, HailongError
from bot.common.settings import Settings
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import Invitation, send_survey
from bot.office.api_models import BatchIn, DossierIn
from bot.office.dossiers import write_rows
from bot.office.importer import STEP_SEPARATOR, RowError, UnitStep, check_row
from bot.office.slips import telegram_link
from storage import (
    Agency,
    Database,
    Dossier,
    agency_ids,
    agency_tree,
    audit,
    find_dossier,
    find_survey,
    has_evaluation,
    upsert_dossier,
)
from storage.bulk import dossier_agencies
from survey_flows import DossierStatus, InvalidDossierCode, normalize_code

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FIELDS = ("status", "received_on", "due_on", "returned_on", "field_code", "field_name", "procedure_code",
          "procedure_name", "officer_code", "officer_name", "phone", "applicant_name", "unit_steps", "online")


class AgencyForbidden(HailongError):
    """A dossier code whose agency part is neither the key's agency nor one of its units."""

    code = "agency_forbidden"

    def __init__(self, code: str, agency_code: str) -> None:
        part = agency_part(code)
        super().__init__(
            f"Mã hồ sơ {code} thuộc cơ quan {part}, không phải cơ quan {agency_code} của khóa API này "
            "hay một đơn vị trực thuộc.",
            f"Dossier code {code} belongs to agency {part}, which is neither this API key's agency "
            f"{agency_code} nor one of its units.",
        )


def agency_part(code: str) -> str:
    """The agency electronic id a (normalised) dossier code starts with."""
    return code.rsplit("-", 2)[0]


def dossier_code(raw: str) -> str:
    """The normalised code, or BadInput with the reason."""
    try:
        return normalize_code(raw)
    except InvalidDossierCode as exc:
        raise BadInput(exc.vi, exc.en) from None


@dataclass(frozen=True, slots=True)
class Scope:
    """What one API key may reach: its agency and every unit below it, by code and by id."""

    agency: Agency
    codes: dict[str, int]  # upper-cased agency code -> id

    @property
    def ids(self) -> list[int]:
        return sorted(set(self.codes.values()))

    def agency_of(self, code: str) -> tuple[str, int]:
        """(agency code, id) the dossier code's agency part names; AgencyForbidden outside the scope."""
        part = agency_part(code)
        if part not in self.codes:
            raise AgencyForbidden(code, self.agency.code)
        return part, self.codes[part]


async def scope_of(db: Database, agency: Agency) -> Scope:
    """The key's agency and its units."""
    async with db.transaction() as s:
        tree = await agency_tree(s, agency.id)
        codes = {code.upper(): id_ for code, id_ in (await agency_ids(s)).items() if id_ in tree}
    codes[agency.code.upper()] = agency.id
    return Scope(agency, codes)


def _raw(body: BaseModel) -> dict[str, str]:
    """A validated body as the CSV import's text columns."""
    values = body.model_dump(include=set(FIELDS))
    return {k: _text(v) for k, v in values.items()}


def _text(value: object) -> str:
    """One JSON value as the import's cell: dates ISO, booleans 1/0, unit steps "unit:due:done|…"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):  # unit_steps (the model refuses ':' and '|' in a unit)
        return STEP_SEPARATOR.join(UnitStep(s["unit"], s["due_on"], s["done_on"]).to_text() for s in value)
    return str(value)


async def put_dossier(db: Database, agency: Agency, raw_code: str, body: DossierIn, *, now: datetime) -> dict[str, Any]:
    """Create or update one dossier of the key's agency or a unit from a JSON body (the CSV import's rules)."""
    code = dossier_code(raw_code)
    scope = await scope_of(db, agency)
    part, _ = scope.agency_of(code)
    await own_or_missing(db, scope, code)
    row = check_row(1, {**_raw(body), "code": code, "agency_code": _stored_code(scope, part)})
    if isinstance(row, RowError):
        raise BadInput(row.vi, row.en)
    result = await write_rows(db, [row], now=now)
    if result.errors:
        raise BadInput(result.errors[0].vi, result.errors[0].en)
    return {"code": code, "created": bool(result.created)} | await dossier_json(db, agency, code)


def _code_or_none(raw: str) -> str | None:
    try:
        return normalize_code(raw)
    except InvalidDossierCode:
        return None


def _stored_code(scope: Scope, part: str) -> str:
    """The agency code as stored (codes are compared upper-cased)."""
    return scope.agency.code if part == scope.agency.code.upper() else part


async def put_batch(db: Database, agency: Agency, body: BatchIn, *, now: datetime) -> dict[str, Any]:
    """Create or update many dossiers at once with the CSV import's code; one result per item, by position.

    Idempotent by code: sending the same batch again updates the same dossiers. An item is refused on
    its own (bad code, another agency's code, a row the import refuses, a code twice in the batch).
    """
    scope = await scope_of(db, agency)
    results: list[dict[str, Any]] = [{} for _ in body.dossiers]
    rows = []
    seen: set[str] = set()
    async with db.transaction() as s:  # the batch's stored dossiers, read at once: code -> agency id
        codes = {_code_or_none(item.code) for item in body.dossiers}
        stored = await dossier_agencies(s, {code for code in codes if code is not None})
    for index, item in enumerate(body.dossiers):
        try:
            code = dossier_code(item.code)
            results[index] = {"index": index, "code": code}
            part, _ = scope.agency_of(code)
            if code in seen:
                raise BadInput(f"Mã hồ sơ {code} lặp lại trong lô.", f"Dossier code {code} appears twice in the batch.")
            seen.add(code)
            if code in stored and stored[code] not in scope.codes.values():
                raise DossierUnknown(code)
            row = check_row(index + 1, {**_raw(item), "code": code, "agency_code": _stored_code(scope, part)})
            if isinstance(row, RowError):
                raise BadInput(row.vi, row.en)
        except HailongError as exc:
            results[index] = {"index": index, "code": results[index].get("code", item.code), "result": "error",
                              "error": {"code": exc.code, "message": {"vi": exc.vi, "en": exc.en}}}
            continue
        rows.append(row)
    written = await write_rows(db, rows, now=now)
    failed = {e.line: e for e in written.errors}
    for row in rows:
        index = row.line - 1
        if row.line in failed:
            error = failed[row.line]
            results[index] |= {"result": "error", "error": {"code": "bad_input", "message": {"vi": error.vi, "en": error.en}}}
        else:
            results[index]["result"] = written.outcomes.get(row.line, "updated")
    counts = {kind: sum(r["result"] == kind for r in results) for kind in ("created", "updated", "error")}
    async with db.transaction() as s:
        await audit(s, actor=f"api:{agency.code}", action="dossier.batch", subject=f"agency:{agency.code}", now=now,
                    detail={"created": counts["created"], "updated": counts["updated"], "errors": counts["error"]})
    return {"created": counts["created"], "updated": counts["updated"], "errors": counts["error"], "results": results}


async def dossier_json(db: Database, agency: Agency, code: str) -> dict[str, Any]:
    """The dossier as the API shows it."""
    dossier = await own_dossier(db, await scope_of(db, agency), code)
    return {"code": dossier.code, "status": dossier.status, "received_on": _day(dossier.received_on),
            "due_on": _day(dossier.due_on), "returned_on": _day(dossier.returned_on),
            "unit_steps": dossier.unit_steps, "online": dossier.online}


async def mark_returned(db: Database, settings: Settings, agency: Agency, raw_code: str, returned_on: date | None,
                        *, now: datetime) -> dict[str, Any]:
    """Set status 10 (returned), open the survey, and record when its invitation is due."""
    code = dossier_code(raw_code)
    dossier = await own_dossier(db, await scope_of(db, agency), code)
    # Refused before anything is written when the agency's plan cannot invite before the expiry.
    check_fits(agency.settings, now, now + timedelta(hours=expiry_hours(agency.settings, settings)))
    async with db.transaction() as s:
        await upsert_dossier(
            s, code=code, agency_id=dossier.agency_id, status=int(DossierStatus.RETURNED),
            received_on=dossier.received_on, due_on=dossier.due_on,
            returned_on=returned_on or now.astimezone(VN).date(), procedure_id=dossier.procedure_id,
            officer_id=dossier.officer_id, contact_id=dossier.contact_id, now=now,
        )
    invitation = await send_survey(db, settings, code, now=now, actor=f"api:{agency.code}")
    async with db.transaction() as s:
        # The invitation's timer (after the delay, inside contact hours) and the expiry's, as rows.
        send_at = await schedule_survey(s, survey_id=invitation.survey_id, agency_settings=agency.settings,
                                        returned_at=now, expires_at=invitation.expires_at, now=now)
        await audit(s, actor=f"api:{agency.code}", action="survey.schedule", subject=f"dossier:{code}",
                    now=now, detail={"survey_id": invitation.survey_id, "send_at": send_at.isoformat()})
    return invitation_json(settings, invitation) | {"send_at": send_at.isoformat()}


async def open_survey(db: Database, settings: Settings, agency: Agency, raw_code: str, *, now: datetime) -> Invitation:
    """Create (or find) the survey of one of the agency's dossiers now."""
    code = dossier_code(raw_code)
    await own_dossier(db, await scope_of(db, agency), code)
    return await send_survey(db, settings, code, now=now, actor=f"api:{agency.code}")


async def survey_status(db: Database, agency: Agency, raw_code: str) -> dict[str, Any]:
    """Where the dossier's survey stands (no token: status readers need not reach the citizen)."""
    code = dossier_code(raw_code)
    dossier = await own_dossier(db, await scope_of(db, agency), code)
    async with db.transaction() as s:
        survey = await find_survey(s, dossier_id=dossier.id)
        evaluated = await has_evaluation(s, dossier.id)
    if survey is None:
        return {"dossier_code": code, "status": "none", "evaluated": evaluated}
    return {"dossier_code": code, "status": survey.status, "channel": survey.channel, "evaluated": evaluated,
            "created_at": survey.created_at.isoformat(), "expires_at": survey.expires_at.isoformat(),
            "ended_at": survey.ended_at.isoformat() if survey.ended_at else None}


def invitation_json(settings: Settings, invitation: Invitation) -> dict[str, Any]:
    """How to reach a survey: link, Telegram deep link, QR images."""
    return {"dossier_code": invitation.dossier_code, "created": invitation.created, "link": invitation.link,
            "telegram_link": telegram_link(settings, invitation.token),
            "qr_svg": f"{invitation.link}/qr.svg", "qr_png": f"{invitation.link}/qr.png",
            "expires_at": invitation.expires_at.isoformat()}


async def own_dossier(db: Database, scope: Scope, code: str) -> Dossier:
    """The dossier when its code and its record are the key's agency's or a unit's.

    A code naming another agency is refused as such (AgencyForbidden: the code alone says so, nothing
    stored is revealed); a dossier stored under another agency is as unknown as a missing one.
    """
    dossier = await own_or_missing(db, scope, code)
    if dossier is None:
        raise DossierUnknown(code)
    return dossier


async def own_or_missing(db: Database, scope: Scope, code: str) -> Dossier | None:
    """`own_dossier`, or None when no dossier has that code yet."""
    scope.agency_of(code)
    async with db.transaction() as s:
        dossier = await find_dossier(s, code)
    if dossier is not None and dossier.agency_id not in scope.codes.values():
        raise DossierUnknown(code)
    return dossier


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
