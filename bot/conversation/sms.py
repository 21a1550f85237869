"""SMS's own pieces: delivery reports, the outbox's sender in each agency's encoding, the provider.

Incoming SMS take the one inbound path (bot/conversation/inbox.py), where the registry's SMS
entry makes keywords come before the flow: STOP / HUY / TU CHOI opt the number out, START opts
it back in, and a bare "dung" is a stop only when no question could read it as "đúng"; a number
with no open survey gets one short polite answer a day. Numbers are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.settings import Settings
from bot.conversation.reachability import Alerts, ReasonClass, classify
from bot.conversation.turns import Conversations, utc_now
from channels import esms, twilio
from channels.contract import ChannelName, Delivery, Outbound, SendOutcome
from channels.sms import DeliveryReport
from storage import (
    Database,
    OutboxMessage,
    Survey,
    get_agency,
    get_dossier,
)
from storage.deliveries import advance_delivery, set_opted_out
from storage.reach import close_channel

log = logging.getLogger(__name__)
CHANNEL = ChannelName.SMS.value
FINAL_FAILURES = frozenset({"undelivered", "failed"})

class SmsSender(Protocol):
    """A `channels.Sender` that also takes an agency's Unicode choice (Twilio, eSMS)."""

    channel: ChannelName

    async def send(self, outbound: Outbound, *, unicode: bool | None = None) -> SendOutcome: ...


class SmsReports:
    """Applies the SMS providers' delivery reports (incoming SMS take the one inbound path, bot.conversation.inbox)."""

    def __init__(
        self, db: Database, conversations: Conversations, *, clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db, self._talk, self._clock = db, conversations, clock
        # An SMS reported undelivered/failed: the app points this at the scheduler's fall-back.
        # The scheduler's fall_back: an outbox row (this OutboxMessage reads like a Claimed one) and its status.
        self.on_failed: Callable[[AsyncSession, Any, Any], Awaitable[None]] | None = None
        self.alerts = Alerts()  # account-level codes in delivery reports

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
            on_failed = self.on_failed
            handed_on = row is not None and report.status in FINAL_FAILURES and on_failed is not None
            if row is not None and on_failed is not None and handed_on:
                await on_failed(s, row, report.status)  # the invitation goes to the next channel
        if handed_on:
            self._talk.on_enqueue()  # committed: the next channel's invitation goes now, not at the next tick


async def _classify_report(s: AsyncSession, row: OutboxMessage, report: DeliveryReport, now: datetime, alerts: Alerts) -> None:
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
        account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token.get_secret_value(),
        from_number=settings.twilio_from_number, messaging_service_sid=settings.twilio_messaging_service_sid,
        api_base_url=settings.twilio_api_base_url, status_callback=settings.public_url + STATUS_PATH,
        unicode=settings.sms_unicode,
    )


def esms_config(settings: Settings) -> esms.EsmsConfig:
    return esms.EsmsConfig(
        api_key=settings.esms_api_key.get_secret_value(), secret_key=settings.esms_secret_key.get_secret_value(), brandname=settings.esms_brandname,
        api_base_url=settings.esms_api_base_url, public_url=settings.public_url,
        unicode=settings.sms_unicode, sandbox=settings.esms_sandbox,
    )


@asynccontextmanager
async def open_sms_sender(settings: Settings) -> AsyncIterator[SmsSender | None]:
    """Twilio when its account is configured, else eSMS when its key is, else None (SMS off)."""
    if settings.twilio_account_sid and settings.twilio_auth_token.get_secret_value():
        async with twilio.open_twilio(twilio_config(settings)) as sender:
            yield sender
    elif settings.esms_api_key.get_secret_value() and settings.esms_secret_key.get_secret_value():
        async with esms.open_esms(esms_config(settings)) as sender:
            yield sender
    else:
        yield None
