"""Survey invitations: one survey per dossier, a single-use token, a link to reach it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.contact_rules import expiry_hours
from bot.common.errors import BadInput, DossierAlreadyEvaluated, DossierNotReturned, DossierUnknown
from bot.common.settings import Settings
from storage import (
    Database,
    Dossier,
    DuplicateSurvey,
    Survey,
    audit,
    create_survey,
    find_dossier,
    find_survey,
    get_agency,
    has_evaluation,
)
from survey_flows import InvalidDossierCode, is_evaluable, normalize_code


def new_token() -> str:
    """A survey token: 192 random bits, 32 chars of `A-Za-z0-9_-` (fits a Telegram deep link)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Invitation:
    """How to reach a survey: its token and link; `created` is False when it already existed."""

    survey_id: int
    dossier_code: str
    token: str
    link: str
    expires_at: datetime
    created: bool


async def send_survey(
    db: Database, settings: Settings, raw_code: str, *, now: datetime, actor: str = "cli",
    flow_id: str | None = None,
) -> Invitation:
    """Create the survey of a returned, not yet evaluated dossier (or return the open one)."""
    async with db.transaction() as s:
        return await send_survey_in(s, settings, raw_code, now=now, actor=actor, flow_id=flow_id)


async def send_survey_in(
    s: AsyncSession, settings: Settings, raw_code: str, *, now: datetime, actor: str = "cli", flow_id: str | None = None,
) -> Invitation:
    """`send_survey` in the caller's transaction (a chat turn's): database work only.

    Its refusals (HailongError) are raised before it writes anything, so the caller may answer
    them and go on in the same transaction.
    """
    try:
        code = normalize_code(raw_code)
    except InvalidDossierCode as exc:
        raise BadInput(exc.vi, exc.en) from None
    dossier = await find_dossier(s, code)
    if dossier is None:
        raise DossierUnknown(code)
    if not is_evaluable(dossier.status):
        raise DossierNotReturned(code, dossier.status)
    if await has_evaluation(s, dossier.id):
        raise DossierAlreadyEvaluated(code)
    survey, created = await _open_survey(s, settings, dossier, now=now, flow_id=flow_id)
    if created:
        await audit(s, actor=actor, action="survey.create", subject=f"dossier:{code}", now=now)
    return Invitation(
        survey.id, code, survey.token, survey_link(settings, survey.token), survey.expires_at, created
    )


async def _open_survey(s: AsyncSession, settings: Settings, dossier: Dossier, *, now: datetime, flow_id: str | None) -> tuple[Survey, bool]:
    existing = await find_survey(s, dossier_id=dossier.id)
    if existing is not None:
        return existing, False
    try:
        survey = await create_survey(
            s, dossier_id=dossier.id, token=new_token(), flow_id=flow_id or settings.default_flow,
            now=now, expires_at=now + timedelta(hours=await _expiry_hours(s, settings, dossier.agency_id)),
            contact_id=dossier.contact_id,
        )
    except DuplicateSurvey:
        # Another worker created it between our look-up and insert: the database decided.
        return await find_survey(s, dossier_id=dossier.id), False  # type: ignore[return-value]
    return survey, True


async def _expiry_hours(s: AsyncSession, settings: Settings, agency_id: int) -> int:
    """The agency's own expiry (settings page), else the server's HAILONG_SURVEY_TTL_HOURS."""
    agency = await get_agency(s, agency_id)
    return expiry_hours(agency.settings if agency is not None else None, settings)


def survey_link(settings: Settings, token: str) -> str:
    """The web link of a survey; the web page itself comes with the web survey."""
    return f"{settings.public_url}/s/{token}"


def start_problem(survey: Survey | None, now: datetime) -> str | None:
    """Why a token cannot start its survey in a chat ("unknown", "used", "expired"), or None."""
    if survey is None:
        return "unknown"
    if survey.status not in ("invited", "active"):
        return "expired" if survey.status == "expired" else "used"
    return "expired" if survey.expires_at <= now else None
