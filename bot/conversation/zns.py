"""Zalo ZNS: the rating invitation for a dossier, its `user_feedback` rating as an evaluation, reconcile.

A ZNS rating carries no user id: it is matched by `tracking_id` (our survey id) or by the
`msg_id` recorded when the invitation was sent, and written like any other evaluation, the stars
going through the schema's `stars5` scale so levels mean the same on every channel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.surveys import send_survey
from bot.conversation.turns import record_answers, utc_now
from channels.contract import ChannelName, Delivery, Outbound, SendOutcome
from channels.zalo_zns import ZnsFeedback, ZnsSender
from storage import (
    AnswerIn,
    Database,
    Survey,
    contact_address,
    find_open_survey,
    get_agency,
    get_dossier,
    record_inbound,
    set_survey_status,
)
from storage.locks import lock_key
from storage.provider_tokens import (
    record_template_message,
    template_ids_since,
    template_message_survey,
)
from survey_flows import Schema

CHANNEL = ChannelName.ZALO.value
FLOW_ID = "zns-rating"  # not a flow file: the rating template Zalo shows, named for reports
TEMPLATE_SETTING = "zalo_zns_template_id"  # an agency's own approved template, in its settings


class ZnsNotConfigured(HailongError):
    code = "zns_not_configured"

    def __init__(self) -> None:
        super().__init__("Chưa cấu hình mẫu ZNS đánh giá dịch vụ (ZALO_ZNS_RATING_TEMPLATE_ID).",
                         "No ZNS rating template is configured (ZALO_ZNS_RATING_TEMPLATE_ID).")


class NoPhone(HailongError):
    code = "no_phone"

    def __init__(self, code: str) -> None:
        super().__init__(f"Hồ sơ {code} không có số điện thoại.", f"Dossier {code} has no phone number.")


@dataclass(frozen=True, slots=True)
class ZnsInvite:
    """The outcome of one invitation: `{"dossier_code": "…", "survey_id": 7, "delivery": "sent"}`."""

    dossier_code: str
    survey_id: int
    outcome: SendOutcome


class ZnsInvitations:
    """The `Sender` of ZNS invitations (channel "zalo_zns"): survey → dossier code, agency template, msg_id kept.

    The outbox row's address is the phone and `reference` the survey id; the Outbound's own text is
    not sent (a ZNS template's wording is approved by Zalo), the dossier code fills its parameter.
    """

    channel = ChannelName.ZALO

    def __init__(self, db: Database, settings: Settings, zns: ZnsSender, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._db, self._settings, self._zns, self._clock = db, settings, zns, clock

    async def send(self, outbound: Outbound) -> SendOutcome:
        """Send the rating template of the survey named by `reference` to the phone."""
        async with self._db.transaction() as s:
            survey_id = await _survey_of(s, outbound)
            facts = None if survey_id is None else await _invite_facts(s, self._settings, survey_id)
        if survey_id is None or facts is None:
            return SendOutcome(Delivery.FAILED, error="no_survey")
        code, template = facts
        if not template:
            return SendOutcome(Delivery.FAILED, error="no_template")
        outbound = replace(outbound, text=code, reference=str(survey_id))
        outcome = await self._zns.send_rating(outbound, template_id=template)
        if outcome.delivery is Delivery.SENT and outcome.provider_message_id:
            async with self._db.transaction() as s:
                await record_template_message(s, channel=CHANNEL, survey_id=survey_id, template_id=template,
                                              provider_message_id=outcome.provider_message_id, now=self._clock())
        return outcome


async def _survey_of(s: AsyncSession, outbound: Outbound) -> int | None:
    """The survey named by `reference`; without one, the open survey of the phone's contact."""
    if (outbound.reference or "").isdigit():
        return int(outbound.reference)  # type: ignore[arg-type]
    survey = await find_open_survey(s, channel="sms", address=outbound.address)
    return None if survey is None else survey.id


async def _invite_facts(s: AsyncSession, settings: Settings, survey_id: int) -> tuple[str, str] | None:
    """The survey's dossier code and the rating template of its agency (or the default one)."""
    survey = await s.get(Survey, survey_id)
    if survey is None:
        return None
    dossier = await get_dossier(s, survey.dossier_id)
    agency = await get_agency(s, dossier.agency_id)
    settings_of_agency = agency.settings if agency is not None else None
    return dossier.code, str((settings_of_agency or {}).get(TEMPLATE_SETTING) or settings.zalo_zns_rating_template_id)


async def invite_by_zns(db: Database, settings: Settings, sender: ZnsInvitations, raw_code: str, *,
                        now: datetime) -> ZnsInvite:
    """Create (or find) the dossier's survey and send its rating template to the dossier's phone."""
    invitation = await send_survey(db, settings, raw_code, now=now, actor="zalo-zns")
    async with db.transaction() as s:
        survey = await s.get(Survey, invitation.survey_id)
        assert survey is not None  # send_survey has just made or found it
        phone = await _phone(s, survey.dossier_id)
    if phone is None:
        raise NoPhone(invitation.dossier_code)
    outbound = Outbound(ChannelName.ZALO, phone, invitation.dossier_code, reference=str(survey.id))
    outcome = await sender.send(outbound)
    if outcome.error == "no_template":
        raise ZnsNotConfigured()
    return ZnsInvite(invitation.dossier_code, survey.id, outcome)


async def _phone(s: AsyncSession, dossier_id: int) -> str | None:
    """The dossier's phone: its contact's SMS address (E.164)."""
    dossier = await get_dossier(s, dossier_id)
    if dossier.contact_id is None:
        return None
    return await contact_address(s, dossier.contact_id, "sms")


# --- the rating as an evaluation ---------------------------------------------------------


def rating_answers(schema: Schema, feedback: ZnsFeedback, lang: str = "vi") -> list[AnswerIn]:
    """The rating as schema answers: stars through `stars5`, reasons as codes, the note as comment."""
    scale = schema.scale("stars5")
    option = next(o for o in scale.options if o.value == feedback.rate)  # type: ignore[union-attr]
    answers = [AnswerIn(field="satisfaction.overall", value=option.value, level=option.level)]
    codes, unknown = _reason_codes(schema, feedback.feedbacks)
    if codes:
        answers.append(AnswerIn(field="reasons", items=codes))
    # Reasons the schema does not know are kept word for word with the note.
    comment = "\n".join(x for x in (feedback.note, *unknown) if x)
    if comment:
        answers.append(AnswerIn(field="comment", text=comment))
    return answers


def _reason_codes(schema: Schema, labels: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    known = {_fold(text): o.code for o in schema.reasons for _, text in o.label.items}
    codes: list[str] = []
    unknown: list[str] = []
    for label in labels:
        code = known.get(_fold(label))
        if code is None:
            unknown.append(label)
            code = "other"
        if code not in codes:
            codes.append(str(code))
    return tuple(codes), unknown


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip(" .")


async def apply_rating(db: Database, schema: Schema, feedback: ZnsFeedback, *, now: datetime) -> str:
    """Record the rating's id and write it once, in one transaction (reconcile's way; see `apply_rating_in`)."""
    async with db.transaction() as s:
        if not await record_inbound(s, channel=CHANNEL, now=now, provider_message_id=feedback_id(feedback)):
            return "duplicate"
        return await apply_rating_in(s, schema, feedback, now=now)


async def apply_rating_in(s: AsyncSession, schema: Schema, feedback: ZnsFeedback, *, now: datetime) -> str:
    """Write a rating in the caller's transaction, which recorded its id: "recorded", "duplicate"
    (already rated/evaluated) or "unknown" (no survey). Database work only, under the survey's lock."""
    survey = await _rated_survey(s, feedback)
    if survey is None:
        return "unknown"
    await lock_key(s, f"survey:{survey.id}")  # the lock a chat turn of this survey takes
    return await _record(s, schema, survey, feedback, now)


def feedback_id(feedback: ZnsFeedback) -> str:
    """The inbound key of a rating, the same from the webhook and from rating/get."""
    return f"feedback:{feedback.msg_id}"


async def _rated_survey(s: AsyncSession, feedback: ZnsFeedback) -> Survey | None:
    if feedback.tracking_id and feedback.tracking_id.isdigit():
        survey = await s.get(Survey, int(feedback.tracking_id))
        if survey is not None:
            return survey
    survey_id = await template_message_survey(s, channel=CHANNEL, provider_message_id=feedback.msg_id)
    return None if survey_id is None else await s.get(Survey, survey_id)


async def _record(s: AsyncSession, schema: Schema, survey: Survey, feedback: ZnsFeedback, now: datetime) -> str:
    if not await record_answers(s, schema, survey, rating_answers(schema, feedback), channel=CHANNEL,
                                flow_id=FLOW_ID, language="vi", now=now, flow_revision=0):
        return "duplicate"  # evaluated meanwhile on another channel: the first evaluation stands
    await set_survey_status(s, survey.id, "completed", now=now, channel=CHANNEL)
    return "recorded"


async def reconcile(db: Database, schema: Schema, sender: ZnsSender, settings: Settings, *,
                    now: datetime, days: int = 7) -> dict[str, int]:
    """Pull the ratings of the last `days` and write the ones the webhook missed; counts by result."""
    since = now - timedelta(days=days)
    async with db.transaction() as s:
        templates = set(await template_ids_since(s, channel=CHANNEL, since=since))
    templates |= {settings.zalo_zns_rating_template_id} - {""}
    counts: dict[str, int] = {}
    for template in sorted(templates):
        for feedback in await sender.ratings(template, since=since, until=now):
            result = await apply_rating(db, schema, feedback, now=now)
            counts[result] = counts.get(result, 0) + 1
    return counts
