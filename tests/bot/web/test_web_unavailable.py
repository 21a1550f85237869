"""Database unavailable → 503 with Retry-After and one log line, not a traceback per request (issue 14).

PostgreSQL: the app reaches the server through a local TCP proxy that the test cuts (every
connection dropped, new ones refused) and restores. SQLite: another process's writer holds the
write lock past the busy timeout. Then the provider's retry of the same update is taken once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone

import aiohttp
from live import serve_app_here
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from storage import InboundMessage, upsert_agency, upsert_dossier
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import SECRET, message

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"


class Proxy:
    """A TCP proxy to the database server that can be cut and restored on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target, self.port = (host, port), 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()


@contextlib.asynccontextmanager
async def outage(backend: str, database_url: str) -> AsyncIterator[tuple[str, object, object]]:
    """(the URL the app uses, start the outage, end it)."""
    if backend == "sqlite":
        path = make_url(database_url).database
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)

        async def begin() -> None:
            await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")  # another process's writer that does not let go

        async def end() -> None:
            await asyncio.to_thread(holder.execute, "ROLLBACK")

        try:
            yield database_url, begin, end
        finally:
            holder.close()
        return
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield url.set(port=proxy.port).render_as_string(hide_password=False), proxy.cut, proxy.start
    finally:
        with contextlib.suppress(Exception):
            await proxy.cut()


async def _post(http: aiohttp.ClientSession, url: str, update: dict) -> tuple[int, str | None]:
    async with http.post(f"{url}/webhooks/telegram", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
        await r.read()
        return r.status, r.headers.get("Retry-After")


async def test_database_unavailable_answers_503_with_retry_after_and_logs_once(
        backend: str, db, database_url: str, caplog) -> None:
    api = FakeBotApi()
    await api.start()
    async with outage(backend, database_url) as (app_url, begin, end):
        settings = load_settings(env_file=None, database_url=app_url, default_flow="quick",
                                 telegram_bot_token=api.token, telegram_webhook_secret=SECRET,
                                 telegram_api_base_url=api.base_url)
        async with db.transaction() as s:
            agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
            await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                                 returned_on=date(2026, 11, 19), now=T0)
        token = (await send_survey(db, settings, CODE, now=datetime.now(timezone.utc))).token
        chat = {"id": 4242, "first_name": "A", "type": "private"}
        updates = [message(700 + i, f"/start {token}" if i == 0 else "5", command=i == 0, chat=chat)
                   for i in range(4)]
        try:
            async with serve_app_here(create_app(settings)) as url, aiohttp.ClientSession() as http:
                assert (await _post(http, url, updates[0]))[0] == 200
                await begin()
                caplog.clear()
                with caplog.at_level(logging.INFO):
                    refused = await asyncio.gather(*(_post(http, url, u) for u in updates[1:]))
                    async with http.get(f"{url}/readyz") as r:
                        assert r.status == 503
                    await end()
                    assert (await _post(http, url, updates[1]))[0] == 200  # Telegram's retry is taken
                    assert (await _post(http, url, updates[1]))[0] == 200  # and a second one changes nothing
        finally:
            await api.stop()
    assert refused == [(503, "5")] * 3
    mine = [r for r in caplog.records if r.name == "bot.web.unavailable"]
    assert [r.levelno for r in mine] == [logging.WARNING, logging.INFO], [r.getMessage() for r in mine]
    assert "3 request(s) answered 503" in mine[1].getMessage()
    assert not [r for r in caplog.records if r.name.startswith("aiohttp") and r.exc_info]  # no traceback per request
    assert all("4242" not in r.getMessage() and token not in r.getMessage() for r in caplog.records)
    async with db.transaction() as s:
        ids = list(await s.scalars(select(InboundMessage.provider_message_id)))
        assert await s.scalar(select(func.count()).select_from(InboundMessage)) == 2
    assert sorted(ids) == ["update:700", "update:701"]
