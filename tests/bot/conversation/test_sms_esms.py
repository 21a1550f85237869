"""SMS through eSMS end to end: replies sent to a local server that speaks eSMS's JSON API,
its delivery reports (HTTPS GET) applied; the agency's Unicode setting; no number in the logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from live import serve_app_here
from sqlalchemy import select

from bot.app import create_app
from bot.common.settings import Settings, load_settings
from bot.conversation.sms import esms_config
from bot.web.keys import INBOX, SETTINGS
from channels.contract import ChannelName, Event, Inbound
from storage import OutboxMessage, update_agency_settings
from tests.bot.conversation.test_sms import CHAT, PHONE, PUBLIC, T0, delivery_facts, invited_by_sms, seed, settled
from tests.bot.conversation.test_telegram import drained
from tests.channels.esms_fake import FakeEsms


@dataclass
class Running:
    url: str
    esms: FakeEsms
    db: object
    app: web.Application

    async def sms(self, body: str, sid: str) -> None:
        """eSMS has no inbound webhook here: its event goes to the one inbound path as any provider's would."""
        await self.app[INBOX].apply(Event.of(Inbound(ChannelName.SMS, PHONE, f"test:{sid}", T0, text=body)))
        await drained(self.db)  # the answers go out through the outbox, drained in the background

    async def report(self, key: str, **query: str) -> int:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{self.url}/webhooks/esms/status/{key}", params=query) as response:
                return response.status


@pytest.fixture
async def running(db, database_url: str) -> AsyncIterator[Running]:
    esms = FakeEsms()
    await esms.start()
    settings = load_settings(env_file=None, database_url=database_url, default_flow="quick", public_url=PUBLIC,
                             esms_api_key="KEY", esms_secret_key="SECRET", esms_brandname="UBND-P1",
                             esms_api_base_url=esms.base_url)
    await seed(db, settings)
    app = create_app(settings)
    try:
        async with serve_app_here(app) as url:
            yield Running(url, esms, db, app)
    finally:
        await esms.stop()


async def statuses(db) -> list[str]:
    async with db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


async def test_replies_go_through_esms_and_reports_come_back(running: Running) -> None:
    await running.sms("Chao", "1")
    [body] = running.esms.requests
    assert body["Phone"] == "0912345678" and body["Brandname"] == "UBND-P1" and body["IsUnicode"] == "0"
    key = esms_config(running.app[SETTINGS]).callback_key
    assert body["CallbackUrl"] == f"{PUBLIC}/webhooks/esms/status/{key}"
    sms_id = "esms-0001"
    assert await running.report("guess", SMSID=sms_id, SendStatus="4") == 403
    assert await statuses(running.db) == ["sent"]
    assert await running.report(key, SMSID=sms_id, SendStatus="5", SendSuccess="1", SendFailed="0",
                                phonenumber="0912345678") == 200
    assert await running.report(key, SMSID=sms_id, SendStatus="7") == 200  # late and older: ignored
    assert await statuses(running.db) == ["delivered"]


@pytest.fixture
async def esms_settings(db, database_url: str) -> AsyncIterator[tuple[Settings, FakeEsms]]:
    """eSMS on a local server; the dossier seeded (the app not started)."""
    esms = FakeEsms()
    await esms.start()
    settings = load_settings(env_file=None, database_url=database_url, default_flow="quick", public_url=PUBLIC,
                             esms_api_key="KEY", esms_secret_key="SECRET", esms_brandname="UBND-P1",
                             esms_api_base_url=esms.base_url)
    await seed(db, settings)
    try:
        yield settings, esms
    finally:
        await esms.stop()


@pytest.mark.parametrize(("report", "status"), [
    ({"SendStatus": "5", "SendSuccess": "0", "SendFailed": "1"}, "undelivered"),
    ({"SendStatus": "4"}, "failed"),
], ids=["undelivered", "failed"])
async def test_an_undelivered_sms_is_handed_on(db, esms_settings, report: dict, status: str) -> None:
    """eSMS's delivery report (HTTPS GET) says the invitation did not arrive: the agency's plan
    goes on to Telegram, once however often the report comes."""
    settings, esms = esms_settings
    async with invited_by_sms(db, settings) as (url, app, api):
        running = Running(url, esms, db, app)
        [body] = esms.requests
        assert body["Phone"] == "0912345678" and "/s/" in body["Content"]
        key = esms_config(settings).callback_key
        before = await delivery_facts(db)
        assert await running.report(key, SMSID="esms-0001", **report) == 200
        expected = [("sms", status, "invite", f"esms:{report['SendStatus']}"), ("telegram", "sent", "invite", None)]
        assert await settled(db, expected) == expected
        after = await delivery_facts(db)
        assert after != before
        for _ in range(2):
            assert await running.report(key, SMSID="esms-0001", **report) == 200
            assert await delivery_facts(db) == after
    [(_, params)] = api.sent("sendMessage")
    assert str(params["chat_id"]) == CHAT and "/s/" in params["text"]
    assert len(esms.requests) == 1


async def test_every_delivery_report_replayed_three_times_changes_the_facts_once(running: Running) -> None:
    await running.sms("Chao", "1")
    await running.sms("5", "2")
    key = esms_config(running.app[SETTINGS]).callback_key
    # (SMSID, query, whether the first delivery moves anything): both rows are "sent" already.
    reports = [("esms-0001", {"SendStatus": "1"}, False), ("esms-0001", {"SendStatus": "7"}, False),
               ("esms-0001", {"SendStatus": "5", "SendSuccess": "1", "SendFailed": "0"}, True),
               ("esms-0001", {"SendStatus": "4"}, False),
               ("esms-0002", {"SendStatus": "5", "SendSuccess": "0", "SendFailed": "1"}, True),
               ("esms-unknown", {"SendStatus": "5", "SendSuccess": "1"}, False)]
    for sms_id, query, moves in reports:
        before = await delivery_facts(running.db)
        assert await running.report(key, SMSID=sms_id, **query) == 200
        after = await delivery_facts(running.db)
        assert (after != before) == moves, (sms_id, query)
        for _ in range(2):  # eSMS calls again: nothing changes
            assert await running.report(key, SMSID=sms_id, **query) == 200
            assert await delivery_facts(running.db) == after
    assert await statuses(running.db) == ["delivered", "undelivered"] and len(running.esms.requests) == 2


async def test_an_agency_may_send_with_diacritics(running: Running) -> None:
    async with running.db.transaction() as s:
        await update_agency_settings(s, 1, {"sms_unicode": True})
    await running.sms("Chao", "1")
    body = running.esms.requests[0]
    assert body["IsUnicode"] == "1" and "\n1. Kém\n2. Chưa tốt" in body["Content"]


async def test_no_phone_number_in_the_logs(running: Running, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="channels")
    running.esms.fail("103")
    await running.sms("Chao", "1")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("bot", "channels")))
    assert "send failed: outbox" in logged and "912345678" not in logged


async def test_a_failed_turn_leaves_no_message_id_and_is_applied_when_delivered_again(running: Running) -> None:
    from sqlalchemy import func

    from reports.errors import ReportError
    from storage import Evaluation, InboundMessage, find_agency

    for sid, body in (("1", "Chao"), ("2", "5"), ("3", "hai long")):
        await running.sms(body, sid)
    async with running.db.transaction() as s:  # an alert rule the alert check cannot read
        agency = await find_agency(s, "000.17.22.H56")
        await update_agency_settings(s, agency.id, {"alerts": {"rule": "satisfaction.overall=kem"}})
    with pytest.raises(ReportError):
        await running.sms("bo qua", "4")

    async def seen_and_evaluated() -> tuple[bool, int]:
        async with running.db.transaction() as s:
            seen = await s.scalar(select(func.count()).select_from(InboundMessage)
                                  .where(InboundMessage.provider_message_id == "test:4"))
            return bool(seen), await s.scalar(select(func.count()).select_from(Evaluation))

    assert await seen_and_evaluated() == (False, 0) and len(running.esms.requests) == 3
    async with running.db.transaction() as s:
        await update_agency_settings(s, agency.id, {"alerts": {}})
    await running.sms("bo qua", "4")  # delivered again: applied
    assert await seen_and_evaluated() == (True, 1) and len(running.esms.requests) == 4
    await running.sms("bo qua", "4")  # and once more: nothing
    assert await seen_and_evaluated() == (True, 1) and len(running.esms.requests) == 4
