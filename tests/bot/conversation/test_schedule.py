"""Invitations at a decent hour, one reminder, expiry, channel fallback; timers are rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.common.contact_rules import ContactRules
from bot.common.settings import load_settings
from bot.conversation.dispatch import Dispatcher, Policy
from bot.conversation.schedule import Scheduler, schedule_survey
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from channels.contract import Delivery, SendOutcome
from storage import (
    AnswerIn,
    OutboxMessage,
    Survey,
    find_survey,
    record_evaluation,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from storage.limits import Rate
from storage.tables import Job
from survey_flows import load_schema
from tests.bot.conversation.test_dispatch import Clock, FakeSender

# Wednesday 25/11/2026 10:00 in Hà Nội.
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"
PLAN = {"channel_plan": ["zalo_zns", "sms", "telegram"], "survey_delay_minutes": 60,
        "contact_hours": ["07:30-11:30", "13:30-17:00"], "holidays": ["2026-11-27"], "reminder_hours": 24}
FAST = Policy(default_rate=Rate(1000, 1000), recipient_rate=Rate(1000, 1000))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-11-25 03:00", "2026-11-25 03:00"),  # Wed 10:00 local: inside the morning window
    ("2026-11-25 04:45", "2026-11-25 06:30"),  # 11:45 local: after lunch
    ("2026-11-25 10:30", "2026-11-26 00:30"),  # 17:30 local: next morning
    ("2026-11-26 10:00", "2026-11-30 00:30"),  # Thu evening: Fri holiday, weekend, Monday
])
def test_contact_hours_weekends_and_holidays(at: str, expected: str) -> None:
    assert ContactRules.of(PLAN).next_open(utc(at)) == utc(expected)


@pytest.fixture
async def setup(db):
    """A returned dossier whose citizen has a phone and a Telegram chat, and its survey."""
    settings = load_settings(env_file=None, default_flow="quick")
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        agency.settings = PLAN
        phone = await upsert_contact_address(s, channel="sms", address="+84912345678", now=T0)
        dossier, _ = await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10,
                                          received_on=date(2026, 11, 18), returned_on=date(2026, 11, 25),
                                          contact_id=phone.contact_id, now=T0)
        s.add(type(phone)(contact_id=phone.contact_id, channel="telegram", address="4242", created_at=T0))
    invitation = await send_survey(db, settings, CODE, now=T0)
    async with db.transaction() as s:
        due = await schedule_survey(s, survey_id=invitation.survey_id, agency_settings=PLAN, returned_at=T0,
                                    expires_at=invitation.expires_at, now=T0)
    assert due == T0 + timedelta(minutes=60)
    clock = Clock()
    talk = Conversations(db, load_schema(), clock=clock)
    scheduler = Scheduler(db, settings, talk, {"sms", "telegram"}, clock=clock)
    return scheduler, clock, invitation.survey_id, agency.id, dossier.id


async def _outbox(db) -> list[tuple[str, str, str]]:
    async with db.transaction() as s:
        rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.channel, r.status, r.payload.get("kind", "")) for r in rows]


async def test_the_invitation_goes_out_once_at_its_time_then_one_reminder(db, setup) -> None:
    scheduler, clock, survey_id, *_ = setup
    assert await scheduler.run_due() == 0 and await _outbox(db) == []
    clock.advance(3600)
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0  # done: never twice
    assert await _outbox(db) == [("sms", "pending", "invite")]  # zalo_zns has no sender: skipped
    async with db.transaction() as s:
        remind = await s.scalar(select(Job).where(Job.kind == "remind"))
    assert remind.due_at == utc("2026-11-26 04:00")  # 24 h later, Thursday 11:00 local
    clock.now = remind.due_at
    await scheduler.run_due()
    assert [k for _, _, k in await _outbox(db)] == ["invite", "remind"]


async def test_a_bounced_invitation_falls_back_to_the_next_channel(db, setup) -> None:
    scheduler, clock, *_ = setup
    clock.advance(3600)
    await scheduler.run_due()
    sms = FakeSender(script=[SendOutcome(Delivery.UNREACHABLE, error="21614")])
    telegram = FakeSender(channel="telegram")
    dispatcher = Dispatcher(db, {"sms": sms, "telegram": telegram}, policy=FAST, clock=clock,
                            on_final=scheduler.fall_back, guard=scheduler.still_wanted)
    await dispatcher.drain()
    assert await _outbox(db) == [("sms", "unreachable", "invite"), ("telegram", "sent", "invite")]
    assert "/s/" in telegram.seen[0].text and telegram.seen[0].address == "4242"


async def test_who_answered_at_the_kiosk_is_never_contacted(db, setup) -> None:
    scheduler, clock, survey_id, agency_id, dossier_id = setup
    clock.advance(3600)
    await scheduler.run_due()  # the invitation is queued …
    async with db.transaction() as s:  # … and the citizen answers at the kiosk before it goes out
        await record_evaluation(s, dossier_id=dossier_id, agency_id=agency_id, channel="kiosk",
                                schema_version="1", completed_at=clock.now,
                                answers=[AnswerIn(field="satisfaction.overall", value=2, level=2)])
    sender = FakeSender()
    await Dispatcher(db, {"sms": sender}, policy=FAST, clock=clock, guard=scheduler.still_wanted).drain()
    assert sender.seen == [] and await _outbox(db) == [("sms", "cancelled", "invite")]
    clock.advance(86400 * 2)
    await scheduler.run_due()
    assert len(await _outbox(db)) == 1


async def test_expiry_ends_an_open_session_through_the_same_path(db, setup) -> None:
    scheduler, clock, survey_id, *_ = setup
    talk = scheduler._talk
    async with db.transaction() as s:
        survey = await s.get(Survey, survey_id)
    await talk.begin(survey, channel="telegram", address="4242")
    clock.now = survey.expires_at
    await scheduler.run_due()
    async with db.transaction() as s:
        survey = await s.get(Survey, survey_id, populate_existing=True)
        jobs = list(await s.scalars(select(Job)))
    assert survey.status == "expired" and survey.ended_at is not None
    assert {j.status for j in jobs} == {"done"}
    assert (await _outbox(db))[-1][0] == "telegram"  # the goodbye went to the chat


async def test_an_unopened_survey_expires_and_its_reminder_never_fires(db, setup) -> None:
    scheduler, clock, survey_id, *_ = setup
    async with db.transaction() as s:
        survey = await find_survey(s, dossier_id=(await s.get(Survey, survey_id)).dossier_id)
    clock.now = survey.expires_at + timedelta(hours=1)
    await scheduler.run_due()
    async with db.transaction() as s:
        assert (await s.get(Survey, survey_id, populate_existing=True)).status == "expired"
    assert all(kind != "remind" for _, _, kind in await _outbox(db))


async def test_an_sms_invitation_fits_one_gsm7_segment_and_chat_ones_stay_bilingual(db, setup) -> None:
    from channels.sms import size_of

    scheduler, clock, *_ = setup
    clock.advance(3600)
    await scheduler.run_due()
    sms = FakeSender(script=[SendOutcome(Delivery.FAILED, error="30008")])
    telegram = FakeSender(channel="telegram")
    await Dispatcher(db, {"sms": sms, "telegram": telegram}, policy=FAST, clock=clock,
                     on_final=scheduler.fall_back, guard=scheduler.still_wanted).drain()
    text = sms.seen[0].text
    assert CODE in text and "/s/" in text and text.isascii()
    assert size_of(text).segments == 1
    assert "Mời Ông/Bà" in telegram.seen[0].text and "Please rate" in telegram.seen[0].text


async def test_a_blocked_telegram_invitation_goes_to_sms_through_the_bot_api(db, setup) -> None:
    """Telegram answers 403 (the citizen blocked the bot): the chat is marked unreachable and the
    plan's next channel, SMS, takes the invitation; the real sender talks to a local Bot API."""
    from channels.telegram import TelegramSender, open_bot
    from storage import ContactAddress, update_agency_settings
    from tests.channels.telegram_fake import FakeBotApi

    scheduler, clock, survey_id, agency_id, _ = setup
    async with db.transaction() as s:
        await update_agency_settings(s, agency_id, {"channel_plan": ["telegram", "sms"]})
    clock.advance(3600)
    await scheduler.run_due()
    api = FakeBotApi()
    await api.start()
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    sms = FakeSender()
    try:
        async with open_bot(api.token, api.base_url) as bot:
            await Dispatcher(db, {"telegram": TelegramSender(bot), "sms": sms}, policy=FAST, clock=clock,
                             on_final=scheduler.fall_back, guard=scheduler.still_wanted).drain()
    finally:
        await api.stop()
    assert [p["chat_id"] for _, p in api.sent("sendMessage")] == ["4242"]
    assert await _outbox(db) == [("telegram", "unreachable", "invite"), ("sms", "sent", "invite")]
    assert sms.seen[0].address == "+84912345678" and "/s/" in sms.seen[0].text
    async with db.transaction() as s:
        chat = await s.scalar(select(ContactAddress).where(ContactAddress.channel == "telegram"))
    assert chat.unreachable_at == clock.now
