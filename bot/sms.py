"""SMS wiring: the desk that turns incoming SMS into survey turns, and applies delivery reports.

Keywords come before the flow: STOP / HUY / TU CHOI opt the number out, START opts it back in,
and a bare "dung" is a stop only when no question could read it as "đúng". A number with no
open survey gets one short polite answer a day, never a conversation. Numbers are never logged.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from bot.conversation import Conversations, Turn, utc_now
from bot.phones import e164
from bot.settings import Settings
from channels.contract import ChannelName, Choice, Delivery, Inbound, Outbound, SendOutcome
from channels.sms import DeliveryReport, Keyword, keyword_of
from storage import (
    Database, NotFound, OutboxMessage, StaleSession, Survey, find_open_survey, get_agency, get_dossier, load_session,
    mark_unreachable, record_inbound, set_survey_status, upsert_contact_address,
)
from storage.deliveries import advance_delivery, is_opted_out, record_sent, set_opted_out
from survey_flows import TextReply

log = logging.getLogger(__name__)
CHANNEL = ChannelName.SMS.value
RETRIES = 3
FINAL_FAILURES = frozenset({"undelivered", "failed"})

TEXTS = {
    "stopped": "Đã ngừng gửi tin khảo sát. Gửi START để nhận lại. / No more survey SMS. Send START to resume.",
    "started": "Đã nhận lại tin khảo sát. Gửi HUY để ngừng. / Survey SMS resumed. Send STOP to stop.",
    "no_survey": "Hiện không có khảo sát nào đang mở. Cảm ơn Ông/Bà! / There is no open survey. Thank you!",
}


class SmsSender(Protocol):
    """A `channels.Sender` that also takes an agency's Unicode choice (Twilio, eSMS)."""

    channel: ChannelName

    async def send(self, outbound: Outbound, *, unicode: bool | None = None) -> SendOutcome: ...


class SmsDesk:
    """Turns incoming SMS into survey turns and sends the answers back through one provider."""

    def __init__(
        self, db: Database, settings: Settings, conversations: Conversations, sender: SmsSender, *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db, self._settings, self._talk, self._sender = db, settings, conversations, sender
        self._clock = clock
        # An SMS reported undelivered/failed: the app points this at the scheduler's fall-back.
        self.on_failed: Callable[[Any, OutboxMessage, str], Awaitable[None]] | None = None

    def now(self) -> datetime:
        return self._clock()

    async def handle(self, inbound: Inbound) -> None:
        """Apply one incoming SMS once: a redelivered message id is dropped before anything happens."""
        phone = e164(inbound.address, "VN") or inbound.address
        async with self._db.transaction() as s:
            fresh = await record_inbound(s, channel=CHANNEL, now=self._clock(),
                                         provider_message_id=inbound.provider_message_id)
        if fresh:
            await self._apply(phone, inbound.text or "")

    async def _apply(self, phone: str, text: str) -> None:
        keyword = keyword_of(text)
        if keyword is Keyword.STOP:
            return await self._opt_out(phone, text)
        async with self._db.transaction() as s:
            opted_out = await is_opted_out(s, channel=CHANNEL, address=phone)
            survey = await find_open_survey(s, channel=CHANNEL, address=phone)
        if keyword is Keyword.START or (keyword is Keyword.YES and opted_out):
            return await self._opt_in(phone)
        if opted_out:
            return  # they said stop: silence until START
        if keyword is Keyword.MAYBE_STOP and (survey is None or survey.status != "active"):
            return await self._opt_out(phone, text)  # no question asked: "dung" can only be "dừng"
        if survey is None:
            return await self._polite(phone)
        await self._reply(phone, survey, text)

    async def _reply(self, phone: str, survey: Survey, text: str) -> None:
        """Resume the session (begin it when the invitation was answered by SMS)."""
        turn = await self._turn(survey, text)
        if turn.session.status == "opted_out":
            async with self._db.transaction() as s:
                await set_opted_out(s, channel=CHANNEL, address=phone, now=self._clock())
        await self._deliver(phone, survey, turn)

    async def _turn(self, survey: Survey, text: str) -> Turn:
        for attempt in range(RETRIES):
            try:
                return await self._talk.reply(survey, TextReply(text))
            except StaleSession:
                if attempt == RETRIES - 1:
                    raise
            except NotFound:  # invited, not begun: the reply to the invitation starts the survey
                return await self._talk.begin(survey, channel=CHANNEL)
        raise AssertionError("unreachable")

    async def _opt_out(self, phone: str, text: str) -> None:
        """Stop every SMS to this number and end its open survey as opted out."""
        now = self._clock()
        async with self._db.transaction() as s:
            await upsert_contact_address(s, channel=CHANNEL, address=phone, now=now)
            await set_opted_out(s, channel=CHANNEL, address=phone, now=now)
            survey = await find_open_survey(s, channel=CHANNEL, address=phone)
            session = await load_session(s, survey.id) if survey is not None else None
            if survey is not None and (session is None or session.status != "active"):
                await set_survey_status(s, survey.id, "opted_out", now=now, channel=CHANNEL)
        if session is not None and session.status == "active":
            await self._talk.reply(survey, TextReply("huy"))  # the engine closes it as opted out
        await self._send_text(phone, TEXTS["stopped"])

    async def _opt_in(self, phone: str) -> None:
        async with self._db.transaction() as s:
            await set_opted_out(s, channel=CHANNEL, address=phone, now=None)
        await self._send_text(phone, TEXTS["started"])

    async def _polite(self, phone: str) -> None:
        """One answer a day to a number with nothing open: a second text gets none (no loops)."""
        now = self._clock()
        digest = hashlib.sha256(phone.encode()).hexdigest()[:24]
        async with self._db.transaction() as s:
            first = await record_inbound(s, channel=CHANNEL, now=now,
                                         provider_message_id=f"polite:{digest}:{now.date().isoformat()}")
        if first:
            await self._send_text(phone, TEXTS["no_survey"])

    async def report(self, report: DeliveryReport) -> None:
        """Apply a delivery report; 21610 means the person replied STOP to the provider."""
        now = self._clock()
        async with self._db.transaction() as s:
            row = await advance_delivery(s, channel=CHANNEL, provider_message_id=report.provider_message_id,
                                         status=report.status, now=now, error=report.error)
            if row is not None and report.opted_out:
                await set_opted_out(s, channel=CHANNEL, address=row.address, now=now)
            if row is not None and report.status in FINAL_FAILURES and self.on_failed is not None:
                await self.on_failed(s, row, report.status)  # the invitation goes to the next channel

    # --- sending ------------------------------------------------------------------------

    async def _deliver(self, phone: str, survey: Survey, turn: Turn) -> None:
        unicode = await self._unicode(survey)
        for message in turn.messages:
            choices = tuple(Choice(c.code, c.label) for c in message.choices)
            outbound = Outbound(ChannelName.SMS, phone, message.text, choices, step=message.step_id)
            if not await self._send(outbound, survey.id, unicode):
                return

    async def _send_text(self, phone: str, text: str) -> None:
        await self._send(Outbound(ChannelName.SMS, phone, text), None, None)

    async def _send(self, outbound: Outbound, survey_id: int | None, unicode: bool | None) -> bool:
        """Send now and keep the row, so delivery reports find it by the provider's id."""
        outcome = await self._sender.send(outbound, unicode=unicode)
        now, phone = self._clock(), outbound.address
        async with self._db.transaction() as s:
            status = "sent" if outcome.delivery is Delivery.SENT else "failed"
            await record_sent(s, channel=CHANNEL, address=phone, payload=_payload(outbound), now=now,
                              provider_message_id=outcome.provider_message_id, status=status,
                              survey_id=survey_id, error=outcome.error)
            if outcome.delivery is Delivery.OPTED_OUT:
                await set_opted_out(s, channel=CHANNEL, address=phone, now=now)
            elif outcome.delivery is Delivery.UNREACHABLE:
                await mark_unreachable(s, channel=CHANNEL, address=phone, now=now)
        if outcome.delivery is not Delivery.SENT:
            log.warning("sms not sent: %s %s", outcome.delivery, outcome.error)
        return outcome.delivery is Delivery.SENT

    async def _unicode(self, survey: Survey) -> bool:
        """The agency's own `sms_unicode` setting, else the global one."""
        async with self._db.transaction() as s:
            dossier = await get_dossier(s, survey.dossier_id)
            agency = await get_agency(s, dossier.agency_id) if dossier is not None else None
        own = (agency.settings or {}).get("sms_unicode") if agency is not None else None
        return bool(self._settings.sms_unicode if own is None else own)


def _payload(outbound: Outbound) -> dict[str, Any]:
    return {"step": outbound.step, "text": outbound.text,
            "choices": [{"code": c.code, "label": c.label} for c in outbound.choices]}
