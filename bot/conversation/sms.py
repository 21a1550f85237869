"""SMS wiring: the desk that turns incoming SMS into survey turns, and applies delivery reports.

Keywords come before the flow: STOP / HUY / TU CHOI opt the number out, START opts it back in,
and a bare "dung" is a stop only when no question could read it as "đúng". A number with no
open survey gets one short polite answer a day, never a conversation. Numbers are never logged.

Every message is recorded under its provider id in the same transaction as the turn it causes
and the answers it queues (the outbox drain sends them through `AgencySms`), as on Telegram.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from bot.common.phones import e164
from bot.common.settings import Settings
from bot.conversation.reachability import Alerts, ReasonClass, classify
from bot.conversation.turns import Conversations, utc_now
from channels import esms, twilio
from channels.contract import ChannelName, Delivery, Inbound, Outbound, SendOutcome
from channels.sms import DeliveryReport, Keyword, keyword_of
from storage import (
    Database,
    OutboxMessage,
    Survey,
    find_open_survey,
    get_agency,
    get_dossier,
    load_session,
    record_inbound,
    set_survey_status,
    upsert_contact_address,
)
from storage.deliveries import advance_delivery, is_opted_out, set_opted_out
from storage.locks import lock_key
from storage.messages import queue
from storage.reach import close_channel, reopen_channel
from survey_flows import TextReply

log = logging.getLogger(__name__)
CHANNEL = ChannelName.SMS.value
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
    """Turns incoming SMS into survey turns; the answers go out through the outbox (`AgencySms`)."""

    def __init__(
        self, db: Database, settings: Settings, conversations: Conversations, *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db, self._settings, self._talk = db, settings, conversations
        self._clock = clock
        # An SMS reported undelivered/failed: the app points this at the scheduler's fall-back.
        self.on_failed: Callable[[Any, OutboxMessage, str], Awaitable[None]] | None = None
        self.alerts = Alerts()  # account-level codes in delivery reports

    def now(self) -> datetime:
        return self._clock()

    async def handle(self, inbound: Inbound) -> None:
        """Apply one incoming SMS once, in one transaction with its message id and its answers.

        The id, the turn (session, opt-out, evaluation) and the queued answers commit together,
        under the number's lock: a failure or a crash before the commit leaves nothing, so the
        provider's redelivery is applied; after it, a redelivery is dropped and changes nothing.
        """
        phone = e164(inbound.address, "VN") or inbound.address
        async with self._db.grouped() as s:  # SQLite: committed with concurrent turns (group commit)
            await lock_key(s, f"{CHANNEL}:{phone}")  # one number's messages one at a time, in arrival order
            if not await record_inbound(s, channel=CHANNEL, now=self._clock(),
                                        provider_message_id=inbound.provider_message_id):
                return
            await self._apply(s, phone, inbound.text or "")
        self._talk.on_enqueue()

    async def _apply(self, s, phone: str, text: str) -> None:
        keyword = keyword_of(text)
        if keyword is Keyword.STOP:
            return await self._opt_out(s, phone)
        opted_out = await is_opted_out(s, channel=CHANNEL, address=phone)
        survey = await find_open_survey(s, channel=CHANNEL, address=phone)
        if keyword is Keyword.START or (keyword is Keyword.YES and opted_out):
            return await self._opt_in(s, phone)
        if opted_out:
            return  # they said stop: silence until START
        if keyword is Keyword.MAYBE_STOP and (survey is None or survey.status != "active"):
            return await self._opt_out(s, phone)  # no question asked: "dung" can only be "dừng"
        if survey is None:
            return await self._polite(s, phone)
        await self._reply(s, phone, survey, text)

    async def _reply(self, s, phone: str, survey: Survey, text: str) -> None:
        """Resume the session (begin it when the invitation was answered by SMS), in this transaction."""
        turn = await self._talk.go_on_in(s, survey, TextReply(text), channel=CHANNEL, address=phone)
        if turn.session.status == "opted_out":
            await set_opted_out(s, channel=CHANNEL, address=phone, now=self._clock())

    async def _opt_out(self, s, phone: str) -> None:
        """Stop every SMS to this number and end its open survey as opted out."""
        now = self._clock()
        await upsert_contact_address(s, channel=CHANNEL, address=phone, now=now)
        await set_opted_out(s, channel=CHANNEL, address=phone, now=now)
        survey = await find_open_survey(s, channel=CHANNEL, address=phone)
        session = await load_session(s, survey.id) if survey is not None else None
        if survey is not None and (session is None or session.status != "active"):
            await set_survey_status(s, survey.id, "opted_out", now=now, channel=CHANNEL)
        if session is not None and session.status == "active":
            await self._talk.reply_in(s, survey, TextReply("huy"))  # the engine closes it as opted out
        await self._say(s, phone, "stopped")

    async def _opt_in(self, s, phone: str) -> None:
        await set_opted_out(s, channel=CHANNEL, address=phone, now=None)
        await reopen_channel(s, channel=CHANNEL, address_channel=CHANNEL, address=phone)  # a 21610 STOP, lifted
        await self._say(s, phone, "started")

    async def _polite(self, s, phone: str) -> None:
        """One answer a day to a number with nothing open: a second text gets none (no loops)."""
        now = self._clock()
        digest = hashlib.sha256(phone.encode()).hexdigest()[:24]
        if await record_inbound(s, channel=CHANNEL, now=now,
                                provider_message_id=f"polite:{digest}:{now.date().isoformat()}"):
            await self._say(s, phone, "no_survey")

    async def _say(self, s, phone: str, key: str) -> None:
        await queue(s, channel=CHANNEL, address=phone, now=self._clock(),
                    payload={"text": TEXTS[key], "choices": []})

    async def report(self, report: DeliveryReport) -> None:
        """Apply a delivery report; 21610 means the person replied STOP to the provider."""
        now = self._clock()
        async with self._db.transaction() as s:
            row = await advance_delivery(s, channel=CHANNEL, provider_message_id=report.provider_message_id,
                                         status=report.status, now=now, error=report.error)
            if row is not None and report.opted_out:
                await set_opted_out(s, channel=CHANNEL, address=row.address, now=now)
            if row is not None and report.status in FINAL_FAILURES:
                await _classify_report(s, row, report, now, self.alerts)
            handed_on = row is not None and report.status in FINAL_FAILURES and self.on_failed is not None
            if handed_on:
                await self.on_failed(s, row, report.status)  # the invitation goes to the next channel
        if handed_on:
            self._talk.on_enqueue()  # committed: the next channel's invitation goes now, not at the next tick


async def _classify_report(s, row: OutboxMessage, report: DeliveryReport, now: datetime, alerts: Alerts) -> None:
    """A final failure reported later: a person-level code closes SMS for this number only, an
    account-level one alerts the operators; a replayed report never gets here (advance_delivery)."""
    refusal = classify(CHANNEL, Delivery.FAILED, report.error)
    log.info("send failed (delivery report): outbox %s, channel sms, %s-level (%s, code %s)",
             row.id, refusal.klass, refusal.reason, refusal.code or "-")
    if refusal.klass is ReasonClass.PERSON:
        await close_channel(s, channel=CHANNEL, address_channel=CHANNEL, address=row.address,
                            reason=refusal.reason, now=now)
    elif refusal.klass is ReasonClass.ACCOUNT:
        alerts.account(CHANNEL, refusal, row.id)


class AgencySms:
    """The outbox's SMS sender: each message in its agency's encoding (`sms_unicode`).

    The outbox row names its survey (`reference`); a message without one (a keyword's answer)
    takes the server's setting. Reads the database, outside any transaction of a turn.
    """

    channel = ChannelName.SMS

    def __init__(self, db: Database, settings: Settings, sender: SmsSender) -> None:
        self._db, self._settings, self._sender = db, settings, sender

    async def send(self, outbound: Outbound) -> SendOutcome:
        # A failure is logged once, by the dispatcher (outbox id, reason class), never the number.
        return await self._sender.send(outbound, unicode=await self._unicode(outbound.reference))

    async def _unicode(self, reference: str | None) -> bool | None:
        """The agency's own `sms_unicode` setting, else the global one (None: no survey to ask)."""
        if not (reference or "").isdigit():
            return None
        async with self._db.grouped() as s:
            survey = await s.get(Survey, int(reference))  # type: ignore[arg-type]
            dossier = await get_dossier(s, survey.dossier_id) if survey is not None else None
            agency = await get_agency(s, dossier.agency_id) if dossier is not None else None
        own = (agency.settings or {}).get("sms_unicode") if agency is not None else None
        return bool(self._settings.sms_unicode if own is None else own)


# --- the provider from the settings ------------------------------------------------------

STATUS_PATH = "/webhooks/twilio/status"


def twilio_config(settings: Settings) -> twilio.TwilioConfig:
    return twilio.TwilioConfig(
        account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
        from_number=settings.twilio_from_number, messaging_service_sid=settings.twilio_messaging_service_sid,
        api_base_url=settings.twilio_api_base_url, status_callback=settings.public_url + STATUS_PATH,
        unicode=settings.sms_unicode,
    )


def esms_config(settings: Settings) -> esms.EsmsConfig:
    return esms.EsmsConfig(
        api_key=settings.esms_api_key, secret_key=settings.esms_secret_key, brandname=settings.esms_brandname,
        api_base_url=settings.esms_api_base_url, public_url=settings.public_url,
        unicode=settings.sms_unicode, sandbox=settings.esms_sandbox,
    )


@asynccontextmanager
async def open_sms_sender(settings: Settings) -> AsyncIterator[SmsSender | None]:
    """Twilio when its account is configured, else eSMS when its key is, else None (SMS off)."""
    if settings.twilio_account_sid and settings.twilio_auth_token:
        async with twilio.open_twilio(twilio_config(settings)) as sender:
            yield sender
    elif settings.esms_api_key and settings.esms_secret_key:
        async with esms.open_esms(esms_config(settings)) as sender:
            yield sender
    else:
        yield None
