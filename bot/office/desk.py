"""The staff desk: find a dossier by its code (typed, scanned or pasted as a survey link), show what
may be done, and trigger its survey on a channel or print its QR slip.

Refusals raise `DeskRefused(reason)`; the web layer words them (vi, then en). Sending reuses the
scheduler's `queue_invitation` (the outbox row, the invitation text, the channel plan's fallback),
and the survey itself comes from `send_survey`, so the desk, the kiosk, the API and the CLI agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.contact_rules import ContactRules, expiry_hours
from bot.common.errors import DossierAlreadyEvaluated, DossierNotReturned, DossierUnknown
from bot.common.settings import Settings
from bot.conversation.schedule import Scheduler
from bot.conversation.surveys import Invitation, send_survey, start_problem
from bot.office.accounts import Principal
from bot.office.kiosks import SCANNED
from bot.office.slips import Slip, slip_pdf, slip_png, telegram_link
from channels.registry import spec_of
from reports.dossier_scores import sync_exceptions
from storage import (
    Address,
    Database,
    DossierCard,
    Survey,
    audit,
    dossier_card,
    dossier_code_of_token,
    dossier_names,
)
from storage.dossiers import record_exceptions
from storage.locks import lock_key
from storage.results import agency_settings
from storage.schedule import reach_of
from survey_flows import InvalidDossierCode, is_evaluable, normalize_code
from survey_flows.indicators import DossierExceptions

#: What the desk offers, in the order shown; "web" (the link and QR handed over) is always there.
CHANNELS = ("web", "sms", "zalo", "telegram")
MAX_ENTERED = 300  # a pasted survey link is the longest thing a scanner types
NOTE_MAX = 500  # the note that says why a legal exception applies
SLIP_FORMATS = ("pdf", "png")


class DeskRefused(Exception):
    """Why nothing was done: "bad_code", "unknown", "not_returned", "evaluated", "expired", "no_contact",
    "opted_out", "unreachable", "not_configured", "bad_channel"; `values` fill the message."""

    def __init__(self, reason: str, /, **values: object) -> None:  # values may hold a "reason" of their own
        super().__init__(reason)
        self.reason, self.values = reason, values


@dataclass(frozen=True, slots=True)
class ChannelOption:
    """A channel as the desk offers it: how it goes (`via`: a provider channel, "link" or "deep_link"),
    or why it cannot (`problem`), and the masked address it would go to."""

    channel: str
    via: str | None
    problem: str | None
    masked: str | None = None


@dataclass(frozen=True, slots=True)
class Triggered:
    """What a trigger did: the survey's link, the Telegram deep link, whether a message was queued."""

    code: str
    channel: str
    via: str
    link: str
    deep_link: str | None
    masked: str | None
    created: bool


def read_code(entered: str) -> tuple[str | None, str | None]:
    """(dossier code, survey token) from what a person typed or a scanner sent; BadCode when neither."""
    entered = entered.strip()
    if not entered or len(entered) > MAX_ENTERED:
        raise DeskRefused("bad_code")
    scanned = SCANNED.search(entered)
    if scanned:
        return None, scanned.group(1)
    try:
        return normalize_code(entered), None
    except InvalidDossierCode:
        raise DeskRefused("bad_code") from None


async def find_card(db: Database, entered: str, who: Principal | None = None) -> DossierCard:
    """The dossier a code or a survey link names, when `who` (if given) sees its agency;
    DeskRefused("bad_code" / "unknown") otherwise.

    Another agency's dossier is "unknown" with the very values of a code nobody has: the desk never
    tells a user of one agency that a dossier of another exists.
    """
    code, token = read_code(entered)
    async with db.transaction() as s:
        named = await dossier_code_of_token(s, token) if token is not None else code
        card = await dossier_card(s, named) if named else None
    if card is None or (who is not None and not who.sees(card.agency_id)):
        raise DeskRefused("unknown", code=code or "")
    return card


def mask(address: str, channel: str) -> str:
    """Enough of an address to recognise it, never all of it: +84912345678 → 09******78."""
    shown = "0" + address[3:] if channel == "sms" and address.startswith("+84") else address
    if len(shown) <= 4:
        return "*" * len(shown)
    return shown[:2] + "*" * (len(shown) - 4) + shown[-2:]


def dossier_problem(card: DossierCard, now: datetime) -> str | None:
    """Why no channel at all may be used for this dossier now, or None."""
    if not is_evaluable(card.status):
        return "not_returned"
    if card.evaluated_on is not None:
        return "evaluated"
    if card.survey_status is not None:
        problem = start_problem(Survey(status=card.survey_status, expires_at=card.survey_expires_at), now)
        return {"expired": "expired", "used": "evaluated"}.get(problem or "")
    return None


def channel_options(card: DossierCard, settings: Settings, senders: Collection[str]) -> list[ChannelOption]:
    """Every channel of the desk with how it would go or why it cannot."""
    usable = {a.channel: a for a in card.addresses if not a.unreachable}
    known = {a.channel: a for a in card.addresses}
    deep = bool(settings.telegram_bot_username)
    options = [ChannelOption("web", "link", None)]
    options.append(_send_option("sms", ["sms"], card, usable, known, senders))
    options.append(_send_option("zalo", ["zalo", "zalo_zns"], card, usable, known, senders))
    telegram = _send_option("telegram", ["telegram"], card, usable, known, senders)
    if telegram.problem is not None and deep:  # no chat to write to: hand over the deep link instead
        telegram = ChannelOption("telegram", "deep_link", None)
    elif telegram.problem == "no_contact":
        telegram = ChannelOption("telegram", None, "not_configured")
    options.append(telegram)
    return options


def _send_option(channel: str, vias: list[str], card: DossierCard, usable: dict[str, Address],
                 known: dict[str, Address], senders: Collection[str]) -> ChannelOption:
    """The first provider channel of `vias` that has a sender and an address (ZNS goes to the phone)."""
    problem = "no_contact"
    for via in vias:
        filed = spec_of(via).address_channel
        if filed not in known:
            continue
        address = known[filed]
        if card.opted_out:
            return ChannelOption(channel, None, "opted_out", mask(address.address, filed))
        if filed not in usable:
            problem = "unreachable"
        elif via not in senders:
            problem = "not_configured" if problem == "no_contact" else problem
        else:
            return ChannelOption(channel, via, None, mask(address.address, filed))
    return ChannelOption(channel, None, problem)


async def trigger(db: Database, settings: Settings, scheduler: Scheduler | None, card: DossierCard,
                  channel: str, *, senders: Collection[str], actor: str, now: datetime) -> Triggered:
    """Open (or find) the dossier's survey and invite on `channel`; DeskRefused when it may not."""
    option = _option(card, channel, settings, senders, now)
    invitation = await _survey(db, settings, card, actor=actor, now=now)
    queued = False
    async with db.transaction() as s:
        await lock_key(s, f"survey:{invitation.survey_id}")
        if option.via not in ("link", "deep_link"):
            queued = await _queue(s, scheduler, invitation.survey_id, option.via or "", now)
            if not queued:
                raise DeskRefused("no_contact")  # the contact changed since the page was drawn
        await audit(s, actor=actor, action="survey.trigger", subject=f"dossier:{card.code}", now=now,
                    detail={"channel": channel, "via": option.via, "queued": queued})
    if queued and scheduler is not None:
        scheduler.on_enqueue()
    deep = telegram_link(settings, invitation.token) if channel == "telegram" else None
    return Triggered(card.code, channel, option.via or "", invitation.link, deep, option.masked, invitation.created)


def _ensure_evaluable(card: DossierCard, now: datetime) -> None:
    """DeskRefused when the dossier cannot be surveyed now (not returned, evaluated, ...)."""
    problem = dossier_problem(card, now)
    if problem is not None:
        raise DeskRefused(problem, channel=card.evaluated_on or "")


def _option(card: DossierCard, channel: str, settings: Settings, senders: Collection[str],
            now: datetime) -> ChannelOption:
    if channel not in CHANNELS:
        raise DeskRefused("bad_channel")
    _ensure_evaluable(card, now)
    option = next(o for o in channel_options(card, settings, senders) if o.channel == channel)
    if option.problem is not None:
        raise DeskRefused(option.problem)
    return option


async def _survey(db: Database, settings: Settings, card: DossierCard, *, actor: str, now: datetime) -> Invitation:
    """The dossier's survey from send_survey, its refusals as the desk's."""
    try:
        return await send_survey(db, settings, card.code, now=now, actor=actor)
    except DossierUnknown:
        raise DeskRefused("unknown", code=card.code) from None
    except DossierNotReturned:
        raise DeskRefused("not_returned") from None
    except DossierAlreadyEvaluated:
        raise DeskRefused("evaluated", channel="") from None


async def _queue(s: AsyncSession, scheduler: Scheduler | None, survey_id: int, via: str, now: datetime) -> bool:
    """Queue the invitation on `via` through the scheduler, as the plan's step when it is one (so a
    failure falls back along the agency's plan), else as a plan of its own."""
    reach = await reach_of(s, survey_id)
    if scheduler is None or reach is None:
        return False
    plan = list(ContactRules.of(reach.agency_settings).plan)
    start = plan.index(via) if via in plan else 0
    plan = plan if via in plan else [via]
    reach = replace(reach, agency_settings={**reach.agency_settings, "channel_plan": plan})
    if reach.addresses.get(spec_of(via).address_channel) is None:
        return False
    return await scheduler.queue_invitation(s, reach, "invite", start, now)


async def slip(db: Database, settings: Settings, card: DossierCard, fmt: str, *, actor: str,
               now: datetime) -> bytes:
    """The printable return slip (PDF or PNG) of the dossier's survey, opened when needed."""
    if fmt not in SLIP_FORMATS:
        raise DeskRefused("bad_channel")
    _ensure_evaluable(card, now)
    invitation = await _survey(db, settings, card, actor=actor, now=now)
    async with db.transaction() as s:
        names = await dossier_names(s, card.id)
    paper = Slip(card.code, names.get("procedure", ""), names.get("agency", ""), invitation.link, invitation.expires_at)
    data = await asyncio.to_thread(slip_pdf if fmt == "pdf" else slip_png, paper)  # NoFont before the audit
    async with db.transaction() as s:
        await audit(s, actor=actor, action="survey.slip", subject=f"dossier:{card.code}", now=now,
                    detail={"format": fmt})
    return data


async def plan_warning(db: Database, settings: Settings, agency_id: int, *, now: datetime) -> dict[str, int] | None:
    """When the agency's plan can leave a returned dossier waiting for its invitation past the
    survey's expiry: `{"hours": longest wait, "ttl": survey hours}` for the desk to warn; else None."""
    async with db.transaction() as s:
        stored = await agency_settings(s, agency_id)
    rules, ttl = ContactRules.of(stored), expiry_hours(stored, settings)
    if "none" in rules.plan:
        return None  # no invitations at all: nothing to miss
    try:
        wait = rules.longest_wait(now)
    except ValueError:
        return {"hours": 60 * 24, "ttl": ttl}
    return {"hours": ceil(wait.total_seconds() / 3600), "ttl": ttl} if wait >= timedelta(hours=ttl) else None


async def record_dossier_exceptions(db: Database, card: DossierCard, exceptions: DossierExceptions, *,
                                    actor: str, now: datetime) -> int:
    """Record the legal exceptions of indicators 3 and 4 on a dossier, with who and when, and re-score
    its evaluation at once (reports change); returns how many evaluation facts changed.

    A note is required when an exception is claimed (the appraisal asks why); unchecking both clears
    them (kept as a record, with its note). DeskRefused("exception_note" / "exception_note_long").
    """
    note = exceptions.note.strip()
    if len(note) > NOTE_MAX:
        raise DeskRefused("exception_note_long", most=NOTE_MAX)
    if (exceptions.applicant_fault or exceptions.appraisal_body) and not note:
        raise DeskRefused("exception_note")
    if any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in note):
        raise DeskRefused("exception_note")
    stored = DossierExceptions(exceptions.applicant_fault, exceptions.appraisal_body, note).to_json()
    async with db.transaction() as s:
        await record_exceptions(s, card.id, {**stored, "by": actor, "at": now.isoformat()})
        changed = await sync_exceptions(s, [card.id])
        await audit(s, actor=actor, action="dossier.exceptions", subject=f"dossier:{card.code}", now=now,
                    detail={"applicant_fault": exceptions.applicant_fault,
                            "appraisal_body": exceptions.appraisal_body, "rescored": changed})
    return changed
