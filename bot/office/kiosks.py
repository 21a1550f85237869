"""Kiosk desks: a counter tablet's address names its agency and receiving officer.

Kept in the agency's settings: ``{"kiosk_desks": {"quay-1": {"officer": "CB01", "timeout": 90}}}``.

A desk answers only the tablet enrolled to it. A manager makes a one-time enrolment link
(`enrolment_link`, from the CLI or the staff pages) and opens it on the tablet; the tablet gets a
random device secret in a cookie, and only the secret's SHA-256 is kept (``device``). Enrolling
again replaces the tablet. Code lookups are throttled per desk and per client address, and every
refusal is one `KioskRefused` whose reason is for the audit log and the staff desk, never for the
page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.errors import BadInput, DossierAlreadyEvaluated, DossierNotReturned, DossierUnknown
from bot.common.settings import Settings
from bot.conversation.surveys import send_survey
from storage import (
    Agency,
    Database,
    Survey,
    SurveyStatus,
    audit,
    find_agency,
    find_dossier,
    find_officer,
    find_survey,
    get_dossier,
    list_agencies,
    record_sign_in_failure,
    sign_in_failures,
    update_agency_settings,
)
from survey_flows import InvalidDossierCode, normalize_code

DESK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SCANNED = re.compile(r"/s/([A-Za-z0-9_-]{16,64})")  # a QR scanner types the survey link
DEFAULT_TIMEOUT = 90  # seconds of no answer before the tablet goes back to the code screen
ENROL_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ENROL_HOURS = 24  # an enrolment link works once, within this many hours
#: Refused code lookups allowed per minute, per desk and per client address; then every lookup waits.
LOOKUP_LIMIT, LOOKUP_WINDOW = 20, timedelta(minutes=1)
OPEN_STATUSES = frozenset({SurveyStatus.INVITED.value, SurveyStatus.ACTIVE.value})
# The keypad types what a dossier code holds (survey_flows.dossier): the agency id's dot-separated
# parts of letters and digits, "-", the received date's digits, "-", and the sequence (digits after
# an optional two letters or digits). So: the digits, "." and "-"; the letters of the desk's own
# agency id on the main pad (its dossiers' codes start with it); every other letter one tap away.
DIGIT_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "-")
LETTER_KEYS = tuple(string.ascii_uppercase)
EDIT_KEYS = ("DEL", "CLR")


@dataclass(frozen=True, slots=True)
class Keypad:
    """The keys of a desk's code screen; `prefix` types the agency id and its dash in one tap."""

    main: tuple[str, ...]
    letters: tuple[str, ...]
    prefix: str

    def allows(self, key: str) -> bool:
        return key in self.main or key in self.letters or key in EDIT_KEYS or key == self.prefix


def keypad_for(agency_code: str) -> Keypad:
    """The keypad of a desk of the agency with this id (e.g. "000.32.31.H29": H on the main pad)."""
    own = tuple(sorted({c for c in agency_code.upper() if c in LETTER_KEYS}))
    return Keypad(DIGIT_KEYS + own, tuple(c for c in LETTER_KEYS if c not in own), agency_code.upper() + "-")


class KioskRefused(Exception):
    """A code the kiosk will not open. `reason` (unknown, other_agency, not_returned, evaluated,
    ended, throttled) is for the log and the staff; the page says one thing for all but throttled."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Desk:
    """A kiosk desk as its page shows it."""

    id: str
    agency_id: int
    agency_name: str
    officer_name: str | None
    officer_photo: str | None
    timeout: int
    device: str | None = None  # SHA-256 of the enrolled tablet's secret; None until one is enrolled
    agency_code: str = ""
    officer_code: str | None = None

    @property
    def keypad(self) -> Keypad:
        return keypad_for(self.agency_code)

    def admits(self, secret: str | None) -> bool:
        """Whether a browser holding this device secret is the desk's enrolled tablet."""
        if not self.device or not secret or len(secret) > 128:
            return False
        return hmac.compare_digest(self.device, _digest(secret))


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
                        officer.photo_url if officer else None, int(config.get("timeout", DEFAULT_TIMEOUT)),
                        config.get("device"), agency.code, officer.code if officer else None)
    return None


async def _desk_config(s: AsyncSession, desk_id: str) -> tuple[Agency | None, dict[str, Any]]:
    """(agency, that agency's desks) of the agency holding this desk, or (None, {})."""
    for agency in await list_agencies(s):
        desks = dict((agency.settings or {}).get("kiosk_desks", {}))
        if desk_id in desks:
            return agency, desks
    return None, {}


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
        kept = {k: v for k, v in desks.get(desk_id, {}).items() if k in ("device", "enrol", "enrol_until")}
        desks[desk_id] = {"officer": officer_code, "timeout": timeout, **kept}  # the enrolled tablet stays
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


async def enrolment_link(db: Database, desk_id: str, *, actor: str, now: datetime,
                         agencies: frozenset[int] | None = None) -> str:
    """A one-time path that enrols the tablet opening it as this desk's (valid ENROL_HOURS).

    `agencies` limits which agencies' desks the actor may enrol (None: every agency)."""
    token = secrets.token_urlsafe(24)
    async with db.transaction() as s:
        agency, desks = await _desk_config(s, desk_id) if DESK_ID.match(desk_id) else (None, {})
        if agency is None or (agencies is not None and agency.id not in agencies):
            raise BadInput(f"Không có quầy {desk_id}.", f"There is no desk {desk_id}.")
        until = now + timedelta(hours=ENROL_HOURS)
        desks[desk_id] = {**desks[desk_id], "enrol": _digest(token), "enrol_until": until.isoformat()}
        await update_agency_settings(s, agency.id, {"kiosk_desks": desks})
        await audit(s, actor=actor, action="kiosk.enrol_link", subject=f"kiosk:{desk_id}", now=now,
                    detail={"until": until.isoformat()})
    return f"/kiosk/{desk_id}/enrol/{token}"


async def enrol_device(db: Database, desk_id: str, token: str, *, now: datetime, address: str) -> str | None:
    """Use an enrolment link: the new device secret for the tablet's cookie, or None when the link
    is unknown, used or expired. The previous tablet of the desk is no longer admitted."""
    if not ENROL_TOKEN.match(token) or not DESK_ID.match(desk_id):
        return None
    async with db.transaction() as s:
        agency, desks = await _desk_config(s, desk_id)
        config = desks.get(desk_id, {})
        stored, until = config.get("enrol"), config.get("enrol_until")
        if agency is None or not stored or not until or not hmac.compare_digest(stored, _digest(token)) \
                or datetime.fromisoformat(until) < now:
            return None
        secret = secrets.token_urlsafe(32)
        config = {k: v for k, v in config.items() if k not in ("enrol", "enrol_until")}
        desks[desk_id] = {**config, "device": _digest(secret)}
        await update_agency_settings(s, agency.id, {"kiosk_desks": desks})
        await audit(s, actor=f"ip:{address}", action="kiosk.enrolled", subject=f"kiosk:{desk_id}", now=now)
    return secret


_REASONS: dict[type[Exception], str] = {DossierUnknown: "unknown", BadInput: "unknown", DossierNotReturned: "not_returned",
            DossierAlreadyEvaluated: "evaluated"}


async def open_at_desk(db: Database, settings: Settings, desk: Desk, entered: str, *, address: str,
                       now: datetime) -> Survey:
    """`survey_at_desk` behind the lookup throttle: the survey, or KioskRefused. Each refusal counts
    against the desk and the client address; past LOOKUP_LIMIT in LOOKUP_WINDOW every lookup is
    refused as "throttled" until the window has moved on."""
    keys = [f"kiosk-desk:{desk.id}", f"kiosk-ip:{address}"[:128]]
    async with db.transaction() as s:
        for key in keys:
            count, _ = await sign_in_failures(s, key, now - LOOKUP_WINDOW)
            if count >= LOOKUP_LIMIT:
                raise KioskRefused("throttled")
    try:
        survey = await survey_at_desk(db, settings, desk, entered, now=now)
        reason = None if survey is not None else "unknown"
    except tuple(_REASONS) as refused:
        survey, reason = None, _REASONS[type(refused)]
    if survey is not None and survey.status not in OPEN_STATUSES:
        survey, reason = None, "ended"
    if survey is None:
        async with db.transaction() as s:
            await record_sign_in_failure(s, keys, now)
            await audit(s, actor=f"kiosk:{desk.id}", action="kiosk.refused", subject=f"kiosk:{desk.id}", now=now,
                        detail={"reason": reason})
        raise KioskRefused(reason or "unknown")
    return survey


@dataclass(frozen=True, slots=True)
class DeskRow:
    """A desk as the managers' page lists it."""

    id: str
    agency_code: str
    agency_name: str
    officer: str | None
    enrolled: bool
    agency_id: int = 0
    photo: str | None = None


async def desks_for(db: Database, agencies: frozenset[int] | None) -> list[DeskRow]:
    """The desks of the agencies a user sees (None: all), by agency and desk id."""
    async with db.transaction() as s:
        rows = []
        for agency in await list_agencies(s):
            if agencies is not None and agency.id not in agencies:
                continue
            for desk_id, config in sorted((agency.settings or {}).get("kiosk_desks", {}).items()):
                officer = await find_officer(s, agency.id, config["officer"]) if config.get("officer") else None
                rows.append(DeskRow(desk_id, agency.code, agency.name, config.get("officer"), bool(config.get("device")),
                                    agency.id, officer.photo_url if officer else None))
    return sorted(rows, key=lambda r: (r.agency_code, r.id))
