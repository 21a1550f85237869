"""Kiosk desks: a counter tablet's address names its agency and receiving officer.

Kept in the agency's settings: ``{"kiosk_desks": {"quay-1": {"officer": "CB01", "timeout": 90}}}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.common.errors import BadInput
from bot.common.settings import Settings
from bot.conversation.surveys import send_survey
from storage import (
    Database,
    Survey,
    find_agency,
    find_dossier,
    find_officer,
    find_survey,
    get_dossier,
    list_agencies,
    update_agency_settings,
)
from survey_flows import InvalidDossierCode, normalize_code

DESK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SCANNED = re.compile(r"/s/([A-Za-z0-9_-]{16,64})")  # a QR scanner types the survey link
DEFAULT_TIMEOUT = 90  # seconds of no answer before the tablet goes back to the code screen


@dataclass(frozen=True, slots=True)
class Desk:
    """A kiosk desk as its page shows it."""

    id: str
    agency_id: int
    agency_name: str
    officer_name: str | None
    officer_photo: str | None
    timeout: int


async def find_desk(db: Database, desk_id: str) -> Desk | None:
    """The desk with this id (desk ids are unique across agencies), or None."""
    if not DESK_ID.match(desk_id):
        return None
    async with db.transaction() as s:
        for agency in await list_agencies(s):
            config = (agency.settings or {}).get("kiosk_desks", {}).get(desk_id)
            if config is None:
                continue
            officer = await find_officer(s, agency.id, config["officer"]) if config.get("officer") else None
            return Desk(desk_id, agency.id, agency.name, officer.name if officer else None,
                        officer.photo_url if officer else None, int(config.get("timeout", DEFAULT_TIMEOUT)))
    return None


async def set_desk(db: Database, agency_code: str, desk_id: str, *, officer_code: str | None,
                   timeout: int = DEFAULT_TIMEOUT) -> str:
    """Create or change a desk of an agency; returns its kiosk path."""
    if not DESK_ID.match(desk_id):
        raise BadInput("Mã quầy chỉ gồm chữ, số, - và _ (tối đa 32 ký tự).",
                       "A desk id is letters, digits, - and _ (32 at most).")
    taken = await find_desk(db, desk_id)
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
        if taken is not None and agency is not None and taken.agency_id != agency.id:
            raise BadInput(f"Quầy {desk_id} đã thuộc cơ quan khác.", f"Desk {desk_id} belongs to another agency.")
        if agency is None:
            raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
        if officer_code and await find_officer(s, agency.id, officer_code) is None:
            raise BadInput(f"Không có cán bộ {officer_code}.", f"There is no officer {officer_code}.")
        desks = dict((agency.settings or {}).get("kiosk_desks", {}))
        desks[desk_id] = {"officer": officer_code, "timeout": timeout}
        await update_agency_settings(s, agency.id, {"kiosk_desks": desks})
    return f"/kiosk/{desk_id}"


async def survey_at_desk(db: Database, settings: Settings, desk: Desk, entered: str, *,
                         now: datetime) -> Survey | None:
    """The survey of a typed dossier code or a scanned survey link, when the dossier belongs to
    this desk's agency; None otherwise. Refusals (not returned, evaluated) raise as in send_survey."""
    scanned = SCANNED.search(entered)
    async with db.transaction() as s:
        if scanned:
            survey = await find_survey(s, token=scanned.group(1))
            dossier = await get_dossier(s, survey.dossier_id) if survey is not None else None
        else:
            try:
                dossier = await find_dossier(s, normalize_code(entered))
            except InvalidDossierCode:
                return None
    if dossier is None or dossier.agency_id != desk.agency_id:
        return None
    invitation = await send_survey(db, settings, dossier.code, now=now, actor=f"kiosk:{desk.id}")
    async with db.transaction() as s:
        return await find_survey(s, token=invitation.token)
