"""SMS end to end: Twilio webhooks signed with Twilio's own validator posted to the running app,
replies asserted on a local server that speaks Twilio's REST API (nothing of ours is patched)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import aiohttp
import pytest
from aiohttp import web
from live import serve_app_here
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.common.phones import e164
from bot.common.settings import Settings, load_settings
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import send_survey
from bot.web.keys import SCHEDULER
from storage import (
    Contact,
    ContactAddress,
    Evaluation,
    InboundMessage,
    OutboxMessage,
    Survey,
    find_agency,
    find_contact_address,
    update_agency_settings,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from storage.tables import SurveySession
from tests.bot.conversation.test_telegram import drained
from tests.bot.dispatchkit import break_alert_rule
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.twilio_fake import FakeTwilio

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"
PHONE = "+84912345678"
PUBLIC = "https://khaosat.example.vn"  # what Twilio calls; the app itself listens on 127.0.0.1
_sids = itertools.count(1)


@dataclass
class Running:
    url: str
    twilio: FakeTwilio
    db: object
    token: str
    statuses: list[int] = field(default_factory=list)

    async def sms(self, body: str, *, sender: str = PHONE, sid: str | None = None,
                  sign_url: str | None = None, signature: str | None = None) -> int:
        params = {"MessageSid": sid or f"SM{next(_sids):032d}", "AccountSid": self.twilio.account_sid,
                  "From": sender, "To": "+15005550006", "Body": body, "NumSegments": "1"}
        return await self.post("/webhooks/twilio", params, sign_url=sign_url, signature=signature)

    async def status(self, sid: str, status: str, error: str | None = None) -> int:
        params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": self.twilio.account_sid}
        return await self.post("/webhooks/twilio/status", params | ({"ErrorCode": error} if error else {}))

    async def post(self, path: str, params: dict, *, sign_url: str | None = None, signature: str | None = None) -> int:
        if signature is None:
            signature = RequestValidator(self.twilio.auth_token).compute_signature(sign_url or PUBLIC + path, params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        async with aiohttp.ClientSession() as http:
            async with http.post(self.url + path, data=params, headers=headers) as response:
                self.statuses.append(response.status)
        await drained(self.db)  # the answers go out through the outbox, drained in the background
        return response.status


async def seed(db, settings: Settings, phone: str = "0912 345 678") -> str:
    """A returned dossier whose applicant's phone was imported in its national form."""
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        address = await upsert_contact_address(s, channel="sms", address=e164(phone), now=T0)
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=T0,
                             contact_id=address.contact_id)
    return (await send_survey(db, settings, CODE, now=datetime.now(timezone.utc))).token


@pytest.fixture
async def running(db, database_url: str) -> AsyncIterator[Running]:
    twilio = FakeTwilio()
    await twilio.start()
    settings = load_settings(
        env_file=None, database_url=database_url, default_flow="quick", public_url=PUBLIC,
        twilio_account_sid=twilio.account_sid, twilio_auth_token=twilio.auth_token,
        twilio_from_number="+15005550006", twilio_api_base_url=twilio.base_url,
    )
    token = await seed(db, settings)
    try:
        async with serve_app_here(create_app(settings)) as url:
            yield Running(url, twilio, db, token)
    finally:
        await twilio.stop()


async def count(db, table) -> int:
    async with db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def survey_status(db) -> str:
    async with db.transaction() as s:
        return (await s.scalar(select(Survey).execution_options(populate_existing=True))).status


async def opted_out(db) -> bool:
    async with db.transaction() as s:
        return (await s.scalar(select(Contact).execution_options(populate_existing=True))).opted_out_at is not None


async def test_a_whole_survey_by_sms(running: Running) -> None:
    for body in ("Chao", "5", "hai long", "Nhanh gọn"):
        assert await running.sms(body) == 200
    bodies = running.twilio.bodies()
    assert bodies[0] == f"Cham diem ho so {CODE}: 1 (kem) den 5 (rat tot)?\n1. Kem\n2. Chua tot\n3. Binh thuong\n4. Tot\n5. Rat tot"
    assert bodies[1].endswith("\n1. Rat hai long\n2. Hai long\n3. Khong hai long")
    assert all(body.isascii() for body in bodies) and len(bodies) == 4
    assert {form["To"] for _, _, form in running.twilio.requests} == {PHONE}
    assert {form["StatusCallback"] for _, _, form in running.twilio.requests} == {PUBLIC + "/webhooks/twilio/status"}
    async with running.db.transaction() as s:
        evaluation = await s.scalar(select(Evaluation))
    assert evaluation.channel == "sms" and await survey_status(running.db) == "completed"


@pytest.mark.parametrize("case", ["unsigned", "wrong", "internal-url"])
async def test_unsigned_wrongly_signed_or_wrong_url_is_403_and_changes_nothing(running: Running, case: str) -> None:
    kwargs = {"unsigned": {"signature": ""}, "wrong": {"signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
              "internal-url": {"sign_url": running.url + "/webhooks/twilio"}}[case]
    assert await running.sms("STOP", **kwargs) == 403
    assert await running.post("/webhooks/twilio/status", {"MessageSid": "SM1", "MessageStatus": "failed",
                                                          "ErrorCode": "21610"}, **kwargs) == 403
    assert running.twilio.requests == [] and await count(running.db, InboundMessage) == 0
    assert not await opted_out(running.db) and await survey_status(running.db) == "invited"


async def test_a_message_sid_delivered_three_times_acts_once(running: Running) -> None:
    await asyncio.gather(*(running.sms("Chao", sid="SM" + "9" * 32) for _ in range(3)))
    assert running.statuses == [200, 200, 200] and len(running.twilio.requests) == 1


async def test_statuses_never_move_backwards_and_21610_opts_out(running: Running) -> None:
    await running.sms("Chao")
    [sid] = [row for row in await _sids_sent(running.db)]
    for status in ("delivered", "sent", "queued", "failed"):
        assert await running.status(sid, status) == 204
    async with running.db.transaction() as s:
        assert (await s.scalar(select(OutboxMessage.status))) == "delivered"
    await running.sms("5")
    second = (await _sids_sent(running.db))[-1]
    await running.status(second, "failed", "21610")
    assert await opted_out(running.db)


async def _sids_sent(db) -> list[str]:
    async with db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage.provider_message_id).order_by(OutboxMessage.id)))


@pytest.mark.parametrize("word", ["STOP", "HUY", "Tu choi", "Từ chối"])
async def test_stop_words_end_the_survey_and_silence_the_number(running: Running, word: str) -> None:
    await running.sms("Chao")
    await running.sms(word)
    assert await opted_out(running.db) and await survey_status(running.db) == "opted_out"
    assert running.twilio.bodies()[-1].startswith("Da ngung gui tin khao sat")
    sent = len(running.twilio.requests)
    await running.sms("5")
    assert len(running.twilio.requests) == sent  # opted out: no answer at all
    await running.sms("START")
    assert not await opted_out(running.db) and running.twilio.bodies()[-1].startswith("Da nhan lai")


async def test_dung_is_a_stop_only_where_it_cannot_mean_yes(running: Running) -> None:
    await running.sms("đúng")  # with its diacritics: "yes", never a stop
    assert not await opted_out(running.db)
    await running.sms("DUNG")  # invited, no question asked yet: it can only be "dừng"
    assert await opted_out(running.db) and await survey_status(running.db) == "opted_out"


async def test_an_unknown_number_gets_one_polite_answer_never_a_loop(running: Running) -> None:
    for body in ("Xin chao", "Alo?", "1"):
        await running.sms(body, sender="+84987654321")
    assert running.twilio.bodies() == ["Hien khong co khao sat nao dang mo. Cam on Ong/Ba! / There is no open survey. Thank you!"]


async def test_after_the_survey_ended_one_polite_answer(running: Running) -> None:
    for body in ("Chao", "5", "hai long", "bo qua"):
        await running.sms(body)
    sent = len(running.twilio.requests)
    await running.sms("Cam on")
    await running.sms("Cam on nhieu")
    assert len(running.twilio.requests) == sent + 1 and running.twilio.bodies()[-1].startswith("Hien khong co")


async def test_numbers_are_one_contact_whichever_way_written(running: Running) -> None:
    await running.sms("Chao", sender="+84912345678")
    assert len(running.twilio.requests) == 1 and running.twilio.bodies()[0].startswith("Cham diem")
    assert e164("0912345678") == e164("+84 912 345 678") == e164("84912345678") == PHONE
    assert await count(running.db, Contact) == 1


# --- the message id and the turn commit together (issue #7, point 4) -----------------------



async def facts(db) -> tuple:
    """What an SMS can change: ids seen, queued answers, evaluations, the session and the survey."""
    async with db.transaction() as s:
        ids = sorted(await s.scalars(select(InboundMessage.provider_message_id)))
        session = await s.scalar(select(SurveySession).execution_options(populate_existing=True))
    return (ids, await count(db, OutboxMessage), await count(db, Evaluation), session.version, session.status,
            await survey_status(db))


async def test_a_failed_turn_records_no_message_id_so_its_redelivery_is_applied(running: Running) -> None:
    for body in ("Chao", "5", "hai long"):
        assert await running.sms(body) == 200
    sid, sent = "SM" + "7" * 32, len(running.twilio.requests)
    await break_alert_rule(running.db, True)
    before = await facts(running.db)
    status = await running.sms("Nhanh gọn", sid=sid)
    assert await facts(running.db) == before  # neither the MessageSid nor any part of the turn
    assert status == 500  # not acknowledged: Twilio may deliver it again
    assert f"twilio:{sid}" not in before[0] and len(running.twilio.requests) == sent
    await break_alert_rule(running.db, False)  # repaired
    assert await running.sms("Nhanh gọn", sid=sid) == 200  # the redelivery is applied like a first delivery
    after = await facts(running.db)
    assert f"twilio:{sid}" in after[0] and after[2] == 1 and after[4:] == ("completed", "completed")
    assert len(running.twilio.requests) == sent + 1  # the closing message
    assert await running.sms("Nhanh gọn", sid=sid) == 200  # replayed after success: nothing changes
    assert await facts(running.db) == after and len(running.twilio.requests) == sent + 1


async def test_a_stop_is_recorded_with_its_message_id_and_replays_change_nothing(running: Running) -> None:
    await running.sms("Chao")
    sid = "SM" + "8" * 32
    await running.sms("STOP", sid=sid)
    after = await facts(running.db)
    assert f"twilio:{sid}" in after[0] and await opted_out(running.db) and after[-1] == "opted_out"
    await running.sms("START", sid="SM" + "6" * 32)
    assert not await opted_out(running.db)
    await running.sms("STOP", sid=sid)  # an old STOP delivered again must not opt them out again
    assert not await opted_out(running.db) and running.twilio.bodies()[-1].startswith("Da nhan lai")


# --- a failed SMS invitation goes to the plan's next channel; every report replayed (issues #5, #6) ----

CHAT = "4242"  # the citizen's Telegram chat, the plan's second channel
SMS_THEN_TELEGRAM = {"channel_plan": ["sms", "telegram"], "contact_hours": ["00:00-23:59"],
                     "contact_days": [1, 2, 3, 4, 5, 6, 7], "national_holidays": False}


async def outbox_rows(db) -> list[tuple[str, str, str | None, str | None]]:
    """(channel, status, kind, last error) of every outbox row, in order."""
    async with db.transaction() as s:
        rows = await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)
                               .execution_options(populate_existing=True))
        return [(r.channel, r.status, r.payload.get("kind"), r.last_error) for r in rows]


async def settled(db, expected: list, timeout: float = 10.0) -> list:
    """The outbox rows once they are `expected` (or whatever they are after `timeout`, to compare)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (rows := await outbox_rows(db)) != expected and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return rows


async def delivery_facts(db) -> tuple:
    """What a delivery report can change: every outbox row, ids seen, evaluations, surveys, opt-outs,
    unreachable addresses."""
    async with db.transaction() as s:
        outbox = (await s.execute(
            select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.address, OutboxMessage.status,
                   OutboxMessage.last_error, OutboxMessage.provider_message_id, OutboxMessage.sent_at)
            .order_by(OutboxMessage.id).execution_options(populate_existing=True))).all()
        ids = sorted(await s.scalars(select(InboundMessage.provider_message_id)))
        surveys = (await s.execute(select(Survey.id, Survey.status, Survey.ended_at).order_by(Survey.id)
                                   .execution_options(populate_existing=True))).all()
        contacts = (await s.execute(select(Contact.id, Contact.opted_out_at).order_by(Contact.id)
                                    .execution_options(populate_existing=True))).all()
        addresses = (await s.execute(select(ContactAddress.id, ContactAddress.unreachable_at)
                                     .order_by(ContactAddress.id).execution_options(populate_existing=True))).all()
    return outbox, ids, await count(db, Evaluation), surveys, contacts, addresses


@asynccontextmanager
async def invited_by_sms(db, settings: Settings) -> AsyncIterator[tuple[str, web.Application, FakeBotApi]]:
    """The app, with a Telegram bot on a local Bot API; the agency's plan is SMS then Telegram, the
    citizen (seeded) has both; the scheduler has sent the SMS invitation. Yields (url, app, Bot API)."""
    api = FakeBotApi()
    await api.start()
    settings = settings.model_copy(update={"telegram_bot_token": SecretStr(api.token),
                                           "telegram_webhook_secret": SecretStr("s3cret"),
                                           "telegram_api_base_url": api.base_url})
    now = datetime.now(timezone.utc)
    async with db.transaction() as s:
        agency = await find_agency(s, "000.17.22.H56")
        plan = await update_agency_settings(s, agency.id, SMS_THEN_TELEGRAM)
        phone = await find_contact_address(s, "sms", PHONE)
        s.add(ContactAddress(contact_id=phone.contact_id, channel="telegram", address=CHAT, created_at=T0))
        survey = await s.scalar(select(Survey))
        await schedule_survey(s, survey_id=survey.id, agency_settings=plan, returned_at=now,
                              expires_at=survey.expires_at, now=now)
    app = create_app(settings)
    try:
        async with serve_app_here(app) as url:
            await app[SCHEDULER].run_due()
            expected = [("sms", "sent", "invite", None)]
            assert await settled(db, expected) == expected
            yield url, app, api
    finally:
        await api.stop()


@pytest.fixture
async def handing_on(db, database_url: str) -> AsyncIterator[tuple[Running, FakeBotApi]]:
    """Twilio and Telegram configured, the SMS invitation sent (its sid the fake's first)."""
    twilio = FakeTwilio()
    await twilio.start()
    settings = load_settings(
        env_file=None, database_url=database_url, default_flow="quick", public_url=PUBLIC,
        twilio_account_sid=twilio.account_sid, twilio_auth_token=twilio.auth_token,
        twilio_from_number="+15005550006", twilio_api_base_url=twilio.base_url,
    )
    token = await seed(db, settings)
    try:
        async with invited_by_sms(db, settings) as (url, _, api):
            yield Running(url, twilio, db, token), api
    finally:
        await twilio.stop()


@pytest.mark.parametrize("status", ["undelivered", "failed"])
async def test_a_failed_sms_invitation_goes_to_the_plans_next_channel(handing_on, status: str) -> None:
    """A signed status callback, as Twilio posts it, replayed three times: one Telegram invitation."""
    running, api = handing_on
    [(_, _, form)] = running.twilio.requests
    sid = "SM" + "1".zfill(32)
    assert form["To"] == PHONE and "/s/" in form["Body"]
    assert await running.status(sid, "sent") == 204
    before = await delivery_facts(running.db)
    assert await running.status(sid, status, "30003") == 204
    expected = [("sms", status, "invite", "30003"), ("telegram", "sent", "invite", None)]
    assert await settled(running.db, expected) == expected
    [(_, params)] = api.sent("sendMessage")
    assert str(params["chat_id"]) == CHAT
    assert f"/s/{running.token}" in params["text"] and CODE in params["text"]
    after = await delivery_facts(running.db)
    assert after != before
    for _ in range(2):  # Twilio posts the callback again: nothing more is queued or sent
        assert await running.status(sid, status, "30003") == 204
        assert await delivery_facts(running.db) == after
    assert await running.status(sid, "delivered") == 204  # late and no further: ignored
    assert await delivery_facts(running.db) == after
    assert len(api.sent("sendMessage")) == 1 and len(running.twilio.requests) == 1


async def test_every_status_callback_replayed_three_times_changes_the_facts_once(running: Running) -> None:
    await running.sms("Chao")
    await running.sms("5")
    first, second = await _sids_sent(running.db)
    # (sid, status, error, whether the first delivery moves anything): both rows are "sent" already.
    callbacks = [(first, "queued", None, False), (first, "sent", None, False), (first, "delivered", None, True),
                 (first, "sent", None, False), (second, "sent", None, False), (second, "failed", "21610", True)]
    for sid, status, error, moves in callbacks:
        before = await delivery_facts(running.db)
        assert await running.status(sid, status, error) == 204
        after = await delivery_facts(running.db)
        assert (after != before) == moves, (sid, status)
        for _ in range(2):  # Twilio posts it again: nothing changes
            assert await running.status(sid, status, error) == 204
            assert await delivery_facts(running.db) == after
    outbox, *_, contacts, _ = after
    assert [row.status for row in outbox] == ["delivered", "failed"] and contacts[0].opted_out_at is not None
    assert len(running.twilio.requests) == 2  # a report never sends anything
