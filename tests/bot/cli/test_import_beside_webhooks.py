"""A CLI import next to the served app on the same database (issue "Speed"): Telegram webhooks posted all
through the import are answered 200, never 5xx; on SQLite, a webhook that waited past the busy timeout
("database is locked") would be answered 503.

The import is `hailong dossiers import` as the command runs it, `asyncio.run(import_dossiers(…))`, on
a thread of its own: its own engine and connections, as another process would have. The app is the
real one on a real port; the Bot API is a local fake.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import aiohttp
from live import serve_app_here
from sqlalchemy import func, select

from bot.app import create_app
from bot.cli.commands import import_dossiers
from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from storage import Dossier, InboundMessage, upsert_agency, upsert_dossier
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import HEADERS, SECRET, message

ROWS = 3000  # six batches of the import
CHATS = 3  # citizens answering at the same time
HEADER = "code,agency_code,agency_name,status,received_on,due_on,returned_on,procedure_code,procedure_name," \
         "officer_code,officer_name,phone,applicant_name\n"


def write_csv(path: Path, rows: int) -> Path:
    lines = [HEADER]
    for i in range(rows):
        agency, received = f"000.{i % 7:02d}.22.H56", date(2026, 1, 1) + timedelta(days=i % 300)
        lines.append(f"{agency}-{received:%y%m%d}-{i:05d},{agency},UBND {i % 7},10,{received},"
                     f"{received + timedelta(days=5)},{received + timedelta(days=4)},P{i % 40},Thủ tục {i % 40},"
                     f"CB{i % 5},Cán bộ {i % 5},091{i:07d},Người {i}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


async def test_webhooks_are_answered_while_the_cli_imports(db, database_url: str, tmp_path: Path, capsys,
                                                           caplog) -> None:
    api = FakeBotApi()
    await api.start()
    settings = load_settings(env_file=None, database_url=database_url, default_flow="quick",
                             telegram_bot_token=api.token, telegram_webhook_secret=SECRET,
                             telegram_api_base_url=api.base_url)
    now = datetime.now(timezone.utc)
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=now)
        for i in range(CHATS):
            await upsert_dossier(s, code=f"000.17.22.H56-261118-{i:04d}", agency_id=agency.id, status=10,
                                 received_on=date(2026, 11, 18), returned_on=date(2026, 11, 19), now=now)
    tokens = [(await send_survey(db, settings, f"000.17.22.H56-261118-{i:04d}", now=now)).token for i in range(CHATS)]
    csv = write_csv(tmp_path / "dossiers.csv", ROWS)
    answers: list[tuple[float, float, int]] = []  # (sent, answered, status)
    importing = asyncio.Event()
    caplog.set_level(logging.WARNING)

    async def citizen(number: int, url: str, http: aiohttp.ClientSession) -> None:
        """The survey, then more messages (each one still a write: the update id is recorded) until the import ends."""
        chat = {"id": 9000 + number, "first_name": "A", "type": "private"}
        texts = [f"/start {tokens[number]}", "5", "hai long", "Nhanh gọn"]
        step = 0
        while step < len(texts) or importing.is_set() or not answers:
            text = texts[step] if step < len(texts) else "xin chào"
            update = message(100_000 * (number + 1) + step, text, command=text.startswith("/"), chat=chat)
            sent = time.monotonic()
            async with http.post(f"{url}/webhooks/telegram", json=update, headers=HEADERS) as r:
                await r.read()
            answers.append((sent, time.monotonic(), r.status))
            step += 1
            await asyncio.sleep(0.01)

    def run_import() -> tuple[int, float, float]:
        started = time.monotonic()
        code = asyncio.run(import_dossiers(settings, csv, now=now))  # as `hailong dossiers import` runs it
        return code, started, time.monotonic()

    try:
        async with serve_app_here(create_app(settings)) as url, aiohttp.ClientSession() as http:
            importing.set()
            load = [asyncio.create_task(citizen(n, url, http)) for n in range(CHATS)]
            try:
                code, started, ended = await asyncio.to_thread(run_import)
            finally:
                importing.clear()
                await asyncio.gather(*load)
    finally:
        await api.stop()

    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"Imported {ROWS} dossiers ({ROWS} new, 0 updated); 0 rows rejected." in out.out
    assert f"Đang nhập hồ sơ / importing dossiers: {ROWS:,}/{ROWS:,} (100%" in out.err  # progress lines: stderr is not a terminal
    statuses = [status for _, _, status in answers]
    assert statuses.count(200) == len(statuses), [s for s in statuses if s != 200]
    during = [a for a in answers if started <= a[0] and a[1] <= ended]
    assert len(during) >= 5, f"only {len(during)} webhooks answered during the {ended - started:.1f} s import"
    assert "database is locked" not in caplog.text
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Dossier)) == ROWS + CHATS
        assert await s.scalar(select(func.count()).select_from(InboundMessage)) == len(answers)
