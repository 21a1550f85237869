"""Operations: /readyz, /metrics, masked logs, and bulk scheduling of returned dossiers."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone

import aiohttp
from sqlalchemy import func, select

from bot.common.logs import LOG_FORMAT, MaskingFilter, MaskingFormatter, mask
from bot.common.settings import load_settings
from bot.conversation.schedule_bulk import schedule_returned
from storage import Survey, enqueue, upsert_agency, upsert_dossier
from storage.tables import Job
from tests.live import serve_app

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def test_phone_numbers_and_tokens_are_masked() -> None:
    line = mask("to +84912345678 / 0912345678 via 123456:AAEhBOweik6ad9r_QXjYtUZ7Xp8ZfWcTgG4 t=Abcdefghijklmnopqrstuvwxyz012345")
    assert "12345678" not in line and "AAEh" not in line and "Abcdef" not in line and "+8491***78" in line
    record = logging.LogRecord("x", logging.INFO, "f", 1, "sent to %s", ("+84912345678",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "sent to +8491***78"


def test_tracebacks_are_masked_too() -> None:
    try:
        raise ValueError("duplicate key (address)=(+84912345678) for token Abcdefghijklmnopqrstuvwxyz012345")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "f", 1, "send failed", (), sys.exc_info())
    line = MaskingFormatter(LOG_FORMAT).format(record)
    assert "Traceback" in line and "ValueError" in line
    assert "12345678" not in line and "Abcdefghij" not in line and "+8491***78" in line


async def test_readyz_and_metrics(db, database_url: str) -> None:
    async with db.transaction() as s:
        await enqueue(s, channel="sms", address="+84912345678", payload={"text": "x"}, now=T0)
    settings = load_settings(env_file=None, database_url=database_url)
    with serve_app(settings) as url:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/readyz") as r:
                assert r.status == 200 and (await r.json())["status"] == "ok"
            async with http.get(f"{url}/metrics") as r:
                body = await r.text()
    assert r.content_type == "text/plain"
    assert "hailong_outbox_queue_depth" in body and "hailong_send_attempts_total" in body


async def test_readyz_refuses_an_unmigrated_database(tmp_path) -> None:
    settings = load_settings(env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with serve_app(settings) as url:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/readyz") as r:
                assert r.status == 503


async def test_returned_dossiers_are_scheduled_once_in_bulk(db) -> None:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="A1", name="A", now=T0)
        for i in range(7):
            await upsert_dossier(s, code=f"000.17.22.H56-261118-{i:04d}", agency_id=agency.id,
                                 status=10 if i < 5 else 9, received_on=date(2026, 11, 18), now=T0)
    settings = load_settings(env_file=None, default_flow="quick")
    assert await schedule_returned(db, settings, now=T0, batch=2) == 5
    assert await schedule_returned(db, settings, now=T0) == 0
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Survey)) == 5
        assert await s.scalar(select(func.count()).select_from(Job)) == 10
