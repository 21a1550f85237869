"""What API v1 does for an agency's system: upsert a dossier, mark it returned, open or read its survey.

Marking a dossier returned creates its survey at once (the slip needs the link) and records
when its invitation should go out, per the agency's ``survey_delay_minutes`` and contact hours; sending
it at that time is the scheduler's job (bot/conversation/schedule.py): a `jobs` row, kept across restarts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.contact_rules import check_fits, expiry_hours
from bot.common.errors import BadInput, DossierUnknown
from bot.common.settings import Settings
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import Invitation, send_survey
from bot.office.dossiers import write_rows
from bot.office.importer import RowError, check_row
from bot.office.slips import telegram_link
from storage import (
    Agency,
    Database,
    audit,
    find_dossier,
    find_survey,
    has_evaluation,
    upsert_dossier,
)
from survey_flows import DossierStatus, InvalidDossierCode, normalize_code

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FIELDS = ("status", "received_on", "due_on", "returned_on", "field_code", "field_name", "procedure_code",
          "procedure_name", "officer_code", "officer_name", "phone", "applicant_name")


def _code(raw: str) -> str:
    try:
        return normalize_code(raw)
    except InvalidDossierCode as exc:
        raise BadInput(exc.vi, exc.en) from None


async def put_dossier(db: Database, agency: Agency, raw_code: str, body: dict[str, Any], *, now: datetime) -> dict:
    """Create or update one dossier of the key's agency from a JSON body (the CSV import's rules)."""
    code = _code(raw_code)
    await _own(db, agency, code, missing_ok=True)
    raw = {k: "" if body.get(k) is None else str(body[k]) for k in FIELDS}
    row = check_row(1, {**raw, "code": code, "agency_code": agency.code, "agency_name": agency.name})
    if isinstance(row, RowError):
        raise BadInput(row.vi, row.en)
    result = await write_rows(db, [row], now=now)
    if result.errors:
        raise BadInput(result.errors[0].vi, result.errors[0].en)
    return {"code": code, "created": bool(result.created)} | await dossier_json(db, agency, code)


async def dossier_json(db: Database, agency: Agency, code: str) -> dict:
    """The dossier as the API shows it."""
    dossier = await _own(db, agency, code)
    return {"code": dossier.code, "status": dossier.status, "received_on": _day(dossier.received_on),
            "due_on": _day(dossier.due_on), "returned_on": _day(dossier.returned_on)}


async def mark_returned(db: Database, settings: Settings, agency: Agency, raw_code: str, returned_on: date | None,
                        *, now: datetime) -> dict:
    """Set status 10 (returned), open the survey, and record when its invitation is due."""
    code = _code(raw_code)
    dossier = await _own(db, agency, code)
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
    code = _code(raw_code)
    await _own(db, agency, code)
    return await send_survey(db, settings, code, now=now, actor=f"api:{agency.code}")


async def survey_status(db: Database, agency: Agency, raw_code: str) -> dict:
    """Where the dossier's survey stands (no token: status readers need not reach the citizen)."""
    code = _code(raw_code)
    dossier = await _own(db, agency, code)
    async with db.transaction() as s:
        survey = await find_survey(s, dossier_id=dossier.id)
        evaluated = await has_evaluation(s, dossier.id)
    if survey is None:
        return {"dossier_code": code, "status": "none", "evaluated": evaluated}
    return {"dossier_code": code, "status": survey.status, "channel": survey.channel, "evaluated": evaluated,
            "created_at": survey.created_at.isoformat(), "expires_at": survey.expires_at.isoformat(),
            "ended_at": survey.ended_at.isoformat() if survey.ended_at else None}


def invitation_json(settings: Settings, invitation: Invitation) -> dict:
    """How to reach a survey: link, Telegram deep link, QR images."""
    return {"dossier_code": invitation.dossier_code, "created": invitation.created, "link": invitation.link,
            "telegram_link": telegram_link(settings, invitation.token),
            "qr_svg": f"{invitation.link}/qr.svg", "qr_png": f"{invitation.link}/qr.png",
            "expires_at": invitation.expires_at.isoformat()}


async def _own(db: Database, agency: Agency, code: str, *, missing_ok: bool = False):
    """The dossier when it belongs to the agency; another agency's dossier is as unknown as a missing one."""
    async with db.transaction() as s:
        dossier = await find_dossier(s, code)
    if dossier is None and missing_ok:
        return None
    if dossier is None or dossier.agency_id != agency.id:
        raise DossierUnknown(code)
    return dossier


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
