"""Real `hailong serve` processes for the dispatch tests: seeding, starting, killing, loading them.

Citizens answer over Telegram (signed webhook posts); the Bot API is the fake server of
tests/channels/telegram_fake.py running in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.common.settings import load_settings
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import send_survey
from storage import (
    ContactAddress,
    Evaluation,
    InboundMessage,
    OutboxMessage,
    find_agency,
    open_database,
    update_agency_settings,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from tests.channels.test_channels_telegram import SECRET, message

ALWAYS = {"channel_plan": ["telegram"], "contact_hours": ["00:00-23:59"], "contact_days": [1, 2, 3, 4, 5, 6, 7], "national_holidays": False}
ANSWERS = ("5", "hai long", "Nhanh gọn")


def code(i: int) -> str:
    return f"000.17.22.H56-261118-{i:04d}"


async def seed(url: str, *, citizens: int, invitations: int, invite_in: timedelta = timedelta(0)) -> list[str]:
    """Surveys for `citizens` chats (tokens returned) and `invitations` over Telegram, due `invite_in` from now."""
    now = datetime.now(timezone.utc)
    settings = load_settings(env_file=None, default_flow="quick", database_url=url)
    async with open_database(url) as db:
        async with db.transaction() as s:
            agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=now)
            agency.settings = ALWAYS
            for i in range(citizens + invitations):
                contact = None
                if i >= citizens:
                    contact = (await upsert_contact_address(s, channel="telegram", address=str(9000 + i),
                                                            now=now)).contact_id
                await upsert_dossier(s, code=code(i), agency_id=agency.id, status=10, contact_id=contact,
                                     received_on=date(2026, 11, 18), returned_on=date(2026, 11, 19), now=now)
        tokens = []
        for i in range(citizens + invitations):
            invitation = await send_survey(db, settings, code(i), now=now)
            tokens.append(invitation.token)
            if i >= citizens:
                async with db.transaction() as s:
                    await schedule_survey(s, survey_id=invitation.survey_id, agency_settings=ALWAYS,
                                          returned_at=now + invite_in, expires_at=invitation.expires_at, now=now)
    return tokens[:citizens]


def updates_of(index: int, token: str) -> list[dict]:
    """One citizen's four updates: /start with the token, then the three answers."""
    chat = {"id": 5000 + index, "first_name": "A", "type": "private"}
    base = 100_000 + index * 10
    return [message(base, f"/start {token}", command=True, chat=chat)] + [
        message(base + n + 1, text, chat=chat) for n, text in enumerate(ANSWERS)]


@dataclass
class Server:
    """`hailong serve` in a subprocess, with its environment."""

    url: str
    env: dict[str, str]
    cwd: Path
    workers: int = 1
    process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "bot", "serve", "--port", self.url.rsplit(":", 1)[1],
                "--workers", str(self.workers)]
        self.process = subprocess.Popen(args, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=open(self.cwd / "serve.log", "ab"), start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the server and every worker (the process group): no clean-up at all."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    async def ready(self, timeout: float = 30) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while loop.time() < deadline:
                try:
                    async with http.get(f"{self.url}/readyz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError((self.cwd / "serve.log").read_text()[-3000:])


def server_env(url: str, api_base: str, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAILONG_", "TELEGRAM_"))}
    return env | {"HAILONG_DATABASE_URL": url, "HAILONG_DEFAULT_FLOW": "quick", "HAILONG_LOG_LEVEL": "WARNING",
                  "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                  "TELEGRAM_API_BASE_URL": api_base, "HAILONG_SEND_LIMITS": "telegram=1000",
                  "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


async def post(http: aiohttp.ClientSession, url: str, update: dict) -> int:
    """Post one signed update; 0 when the connection failed (the server is down)."""
    try:
        async with http.post(f"{url}/webhooks/telegram", json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
            await r.read()
            return r.status
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return 0


async def settled(url: str, timeout: float = 60) -> None:
    """Wait until nothing is left in the outbox."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with open_database(url) as db:
        while loop.time() < deadline:
            async with db.transaction() as s:
                left = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.status.in_(("pending", "sending"))))
            if not left:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the outbox did not drain")


async def facts(url: str) -> tuple[int, set[str], dict[str, int]]:
    """Evaluations, recorded inbound ids, and Telegram messages sent per address."""
    async with open_database(url) as db:
        async with db.transaction() as s:
            evaluations = await s.scalar(select(func.count()).select_from(Evaluation))
            inbound = set(await s.scalars(select(InboundMessage.provider_message_id)))
            sent = dict((await s.execute(select(OutboxMessage.address, func.count()).where(
                OutboxMessage.status == "sent").group_by(OutboxMessage.address))).all())
            assert await s.scalar(select(func.count()).select_from(ContactAddress)) >= 0
    return evaluations, inbound, sent


async def break_alert_rule(db, broken: bool, agency: str = "000.17.22.H56") -> None:
    """Store an alert rule the alert check cannot read (as a bad import or edit would): the turn
    that completes a survey then raises inside its transaction, after the message id was written."""
    async with db.transaction() as s:
        found = await find_agency(s, agency)
        await update_agency_settings(s, found.id, {"alerts": {"rule": "satisfaction.overall=kem"} if broken else {}})


def workers_of(server: Server) -> set[int]:
    """The process ids of the supervisor's children (Linux /proc)."""
    assert server.process is not None
    pid = server.process.pid
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:
        return set()


async def answer_all(server: Server, conversations: list[list[dict]], acked: set[str], *,
                     on_ack=None, timeout: float = 120) -> None:
    """Each citizen's updates in order; a failed post is retried (as Telegram redelivers) until 200."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    async def citizen(http: aiohttp.ClientSession, updates: list[dict]) -> None:
        for update in updates:
            while await post(http, server.url, update) != 200:
                assert loop.time() < deadline, "an update was never acknowledged"
                await asyncio.sleep(0.2)
            acked.add(f"update:{update['update_id']}")
            if on_ack is not None:
                on_ack()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True),
                                     timeout=aiohttp.ClientTimeout(total=20)) as http:
        await asyncio.gather(*(citizen(http, updates) for updates in conversations))
