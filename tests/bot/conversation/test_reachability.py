"""Reachability per (person, channel) on the provider doubles (issue 14): a person-level refusal closes
one channel and the plan's next one gets the invitation at once; an account-level refusal alerts the
operators and marks nobody; a landline gets no SMS; replayed refusals change nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import aiohttp
import pytest
from aiohttp import web
from live import serve_app_here
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.common.settings import Settings, load_settings
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import send_survey
from bot.web.keys import SCHEDULER
from storage import (
    ContactAddress,
    find_agency,
    update_agency_settings,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from storage.tables import Reachability
from tests.bot.conversation.test_sms import outbox_rows, settled
from tests.bot.conversation.test_telegram import drained
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import SECRET
from tests.channels.twilio_fake import FakeTwilio
from tests.channels.zalo_fake import APP_ID, APP_SECRET, OA_SECRET, FakeZalo

CODES = ("000.17.22.H56-261118-0001", "000.17.22.H56-261118-0002")
MOBILE, LANDLINE, CHAT = "+84912345678", "+842438253536", "4242"
PUBLIC = "https://khaosat.example.vn"
ALWAYS = {"contact_hours": ["00:00-23:59"], "contact_days": [1, 2, 3, 4, 5, 6, 7]}
PLAN = ["zalo_zns", "sms", "telegram"]


@dataclass
class World:
    url: str
    app: web.Application
    db: object
    settings: Settings
    zalo: FakeZalo
    twilio: FakeTwilio
    api: FakeBotApi

    async def invite(self, code: str, plan: list[str] = PLAN) -> int:
        """The dossier's survey, its invitation due now on `plan`, run by the app's scheduler."""
        now = datetime.now(UTC)
        async with self.db.transaction() as s:
            agency = await find_agency(s, "000.17.22.H56")
            agency_settings = await update_agency_settings(s, agency.id, ALWAYS | {"channel_plan": plan})
        invitation = await send_survey(self.db, self.settings, code, now=now)
        async with self.db.transaction() as s:
            await schedule_survey(s, survey_id=invitation.survey_id, agency_settings=agency_settings,
                                  returned_at=now, expires_at=invitation.expires_at, now=now)
        await self.app[SCHEDULER].run_due()
        return invitation.survey_id

    async def status(self, sid: str, status: str, error: str) -> int:
        params = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error}
        path = "/webhooks/twilio/status"
        signature = RequestValidator(self.twilio.auth_token).compute_signature(PUBLIC + path, params)
        async with aiohttp.ClientSession() as http, http.post(
                self.url + path, data=params, headers={"X-Twilio-Signature": signature}) as r:
            code = r.status
        await drained(self.db)
        return code


async def marks(db) -> tuple[list, list]:
    """(plan channel, reason) of every closed pair, and every address's unreachable stamp."""
    async with db.transaction() as s:
        closed = (await s.execute(select(Reachability.channel, Reachability.reason)
                                  .order_by(Reachability.id))).all()
        stamps = (await s.execute(select(ContactAddress.channel, ContactAddress.unreachable_at)
                                  .order_by(ContactAddress.id).execution_options(populate_existing=True))).all()
    return [tuple(r) for r in closed], [tuple(r) for r in stamps]


async def _world(db, database_url: str, phone: str) -> AsyncIterator[World]:
    zalo, twilio, api = FakeZalo(), FakeTwilio(), FakeBotApi()
    for fake in (zalo, twilio, api):
        await fake.start()
    settings = load_settings(
        env_file=None, database_url=database_url, default_flow="quick", public_url=PUBLIC,
        zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret_key=OA_SECRET,
        zalo_oa_access_token="AT-1", zalo_oa_refresh_token="RT-1", zalo_zns_rating_template_id="tpl-9",
        zalo_oa_api_base_url=zalo.base_url, zalo_oauth_base_url=zalo.base_url, zalo_zns_api_base_url=zalo.base_url,
        twilio_account_sid=twilio.account_sid, twilio_auth_token=twilio.auth_token,
        twilio_from_number="+15005550006", twilio_api_base_url=twilio.base_url,
        telegram_bot_token=api.token, telegram_webhook_secret=SECRET, telegram_api_base_url=api.base_url,
    )
    t0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=t0)
        address = await upsert_contact_address(s, channel="sms", address=phone, now=t0)
        s.add(ContactAddress(contact_id=address.contact_id, channel="telegram", address=CHAT, created_at=t0))
        for code in CODES:
            await upsert_dossier(s, code=code, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                                 returned_on=date(2026, 11, 19), now=t0, contact_id=address.contact_id)
    app = create_app(settings)
    try:
        async with serve_app_here(app) as url:
            yield World(url, app, db, settings, zalo, twilio, api)
    finally:
        for fake in (zalo, twilio, api):
            await fake.stop()


@pytest.fixture
async def world(db, database_url: str) -> AsyncIterator[World]:
    async for w in _world(db, database_url, MOBILE):
        yield w


@pytest.fixture
async def landline(db, database_url: str) -> AsyncIterator[World]:
    async for w in _world(db, database_url, LANDLINE):
        yield w


def invitations(world: World) -> tuple[int, int, int]:
    """Invitations each double took: (ZNS, SMS, Telegram)."""
    return (len(world.zalo.sent("/message/template")), len(world.twilio.requests),
            len(world.api.sent("sendMessage")))


@pytest.mark.parametrize(("code", "reason"), [(-108, "bad_number"), (-118, "no_account")])
async def test_a_zns_person_refusal_sends_exactly_one_sms_invitation(world: World, code: int, reason: str) -> None:
    world.zalo.errors["/message/template"] = [code]
    await world.invite(CODES[0])
    expected = [("zalo_zns", "unreachable", "invite", str(code)), ("sms", "sent", "invite", None)]
    assert await settled(world.db, expected) == expected
    assert invitations(world) == (1, 1, 0)
    assert "/s/" in world.twilio.bodies()[0]
    closed, stamps = await marks(world.db)
    assert closed == [("zalo_zns", reason)] and all(at is None for _, at in stamps)  # SMS stays open
    # The next survey of the same person skips ZNS (closed for them) and goes by SMS at once.
    await world.invite(CODES[1])
    expected += [("sms", "sent", "invite", None)]
    assert await settled(world.db, expected) == expected
    assert invitations(world) == (1, 2, 0) and (await marks(world.db))[0] == closed


async def test_twilio_21408_alerts_the_operators_and_marks_nobody(world: World, caplog) -> None:
    world.twilio.fail(400, 21408)
    caplog.set_level(logging.INFO)
    await world.invite(CODES[0], ["sms", "telegram"])
    expected = [("sms", "failed", "invite", "21408"), ("telegram", "sent", "invite", None)]
    assert await settled(world.db, expected) == expected
    assert invitations(world) == (0, 1, 1)
    closed, stamps = await marks(world.db)
    assert closed == [] and all(at is None for _, at in stamps)  # nobody marked
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "operators" in r.getMessage()]
    assert len(alerts) == 1 and "21408" in alerts[0].getMessage() and "permission" in alerts[0].getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "912345678" not in logged and "send failed: outbox 1, channel sms, account-level" in logged
    # The next survey tries SMS again: the number was never at fault.
    await world.invite(CODES[1], ["sms", "telegram"])
    expected += [("sms", "sent", "invite", None)]
    assert await settled(world.db, expected) == expected


async def test_a_landline_gets_no_sms_and_no_zns_the_next_channel_is_used(landline: World) -> None:
    await landline.invite(CODES[0])
    expected = [("telegram", "sent", "invite", None)]
    assert await settled(landline.db, expected) == expected
    assert invitations(landline) == (0, 0, 1)
    assert await marks(landline.db) == ([], [("sms", None), ("telegram", None)])


async def test_replayed_refusals_change_nothing(world: World) -> None:
    """A delivery report of a landline (30006) closes SMS and hands on to Telegram once; its replays,
    and the same refusal seen again by the drain, change nothing and send nothing."""
    await world.invite(CODES[0], ["sms", "telegram"])
    expected = [("sms", "sent", "invite", None)]
    assert await settled(world.db, expected) == expected
    sid = f"SM{1:032d}"
    assert await world.status(sid, "undelivered", "30006") == 204
    expected = [("sms", "undelivered", "invite", "30006"), ("telegram", "sent", "invite", None)]
    assert await settled(world.db, expected) == expected
    after = (await outbox_rows(world.db), await marks(world.db), invitations(world))
    assert after[1][0] == [("sms", "not_mobile")]
    for _ in range(2):
        assert await world.status(sid, "undelivered", "30006") == 204
        assert await world.status(sid, "failed", "30006") == 204
        assert (await outbox_rows(world.db), await marks(world.db), invitations(world)) == after


async def test_following_the_oa_again_reopens_the_channel_a_refusal_closed(world: World) -> None:
    from storage.reach import close_channel
    from tests.channels.test_channels_zalo import USER, follow_event
    from tests.channels.zalo_fake import sign

    now = datetime.now(UTC)
    async with world.db.transaction() as s:
        phone = await s.scalar(select(ContactAddress).where(ContactAddress.channel == "sms"))
        s.add(ContactAddress(contact_id=phone.contact_id, channel="zalo", address=USER, created_at=now))
    async with world.db.transaction() as s:
        assert await close_channel(s, channel="zalo", address_channel="zalo", address=USER, reason="blocked", now=now)
        assert not await close_channel(s, channel="zalo", address_channel="zalo", address=USER, reason="x", now=now)
    assert (await marks(world.db))[0] == [("zalo", "blocked")]
    body, headers = sign(follow_event())
    async with aiohttp.ClientSession() as http, http.post(f"{world.url}/webhooks/zalo", data=body,
                                                          headers=headers) as r:
        assert r.status == 200
    assert (await marks(world.db))[0] == []
