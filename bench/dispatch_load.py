"""Load generation and servers for bench/dispatch.py: a bare aiohttp handler, `hailong serve`, a drain run."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
BARE = """
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response(status=200)
app = web.Application(); app.router.add_post("/webhooks/telegram", ok)
web.run_app(app, host="127.0.0.1", port={port}, print=None, access_log=None)
"""


@dataclass(frozen=True, slots=True)
class Stats:
    rate: float
    p50: float
    p99: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process, this one by default."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{url}/readyz") as r:
                    if r.status in (200, 404):
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@asynccontextmanager
async def bare_server(work: Path) -> AsyncIterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", BARE.format(port=port)])
    try:
        await _ready(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


def update(update_id: int, chat: int, text: str) -> dict:
    message = {"message_id": update_id, "date": 0, "text": text,
               "from": {"id": chat, "is_bot": False, "first_name": "A"},
               "chat": {"id": chat, "type": "private", "first_name": "A"}}
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split(" ")[0]), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


def conversations(tokens: list[str]) -> list[list[dict]]:
    base = uuid.uuid4().int % 10_000_000 * 10
    return [[update(base + i * 4 + k, 10_000 + i + base, text)
             for k, text in enumerate((f"/start {token}", "5", "hai long", "Nhanh gọn"))]
            for i, token in enumerate(tokens)]


async def run_load(url: str, n: int, *, tokens: list[str] | None = None, bare: bool = False,
                   rate: float | None = None, concurrency: int = 32) -> Stats:
    """Post `n` signed updates (citizens in order); closed loop, or paced at `rate` per second."""
    chats = conversations(tokens if tokens is not None else [uuid.uuid4().hex[:32]] * (n // 4))
    rounds = [[chat[k] for chat in chats] for k in range(4)]  # a chat's k-th update after its (k-1)-th
    latencies: list[float] = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    gate = asyncio.Semaphore(concurrency if rate is None else 10_000)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def one(body: dict) -> None:
            async with gate:
                started = time.perf_counter()
                async with http.post(f"{url}/webhooks/telegram", json=body, headers=headers) as r:
                    await r.read()
                    assert r.status == 200, r.status
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        for bodies in rounds:
            if rate is None:
                await asyncio.gather(*(one(b) for b in bodies))
                continue
            tasks = []
            for body in bodies:
                tasks.append(asyncio.create_task(one(body)))
                await asyncio.sleep(1 / rate)
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Stats(len(latencies) / elapsed, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)])


@dataclass
class Served:
    url: str
    tokens: list[str]
    process: subprocess.Popen
    api: Any  # the Bot API double (tests/channels/telegram_fake.py) the server sends to

    def pids(self) -> list[int]:
        """The server's processes: a pre-fork parent and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [self.process.pid] + ([int(p) for p in children.read_text().split()] if children.exists() else [])

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server's processes have used so far (/proc/<pid>/stat)."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    def peak_mb(self) -> float:
        """The largest peak RSS among the server's processes (a pre-fork parent and its workers)."""
        return max(peak_rss_mb(pid) for pid in self.pids())


async def _seed(url: str, citizens: int, flow: str = "quick") -> list[str]:
    from bot.common.settings import load_settings
    from bot.conversation.surveys import send_survey
    from storage import open_database, upsert_agency, upsert_dossier

    now = datetime.now(timezone.utc)
    settings = load_settings(env_file=None, default_flow=flow, database_url=url)
    async with open_database(url) as db:
        async with db.transaction() as s:
            agency = await upsert_agency(s, code="000.17.22.H56", name="UBND", now=now)
            for i in range(citizens):
                await upsert_dossier(s, code=f"000.17.22.H56-261118-{i:05d}", agency_id=agency.id, status=10,
                                     received_on=date(2026, 11, 18), returned_on=date(2026, 11, 19), now=now)
        return [(await send_survey(db, settings, f"000.17.22.H56-261118-{i:05d}", now=now)).token
                for i in range(citizens)]


@asynccontextmanager
async def serve_with_fake(url: str, work: Path, *, workers: int, citizens: int,
                          flow: str = "quick", env: dict[str, str] | None = None) -> AsyncIterator[Served]:
    """A migrated, seeded database; `hailong serve` on it, talking to a fake Bot API in this process.

    The Bot API's own limit is lifted (`telegram=100000`): the server is measured, not Telegram's 30/s.
    """
    from storage import upgrade_async

    if str(ROOT / "tests") not in sys.path:
        sys.path.append(str(ROOT / "tests"))  # telegram_fake imports `live` as the tests do (pythonpath)
    from tests.channels.telegram_fake import FakeBotApi

    if url.startswith("postgresql"):
        url = await _fresh_schema(url)
    await upgrade_async(url)
    tokens = await _seed(url, citizens, flow)
    api = FakeBotApi()
    await api.start()
    port = free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAILONG_", "TELEGRAM_"))} | {
        "HAILONG_DATABASE_URL": url, "HAILONG_DEFAULT_FLOW": flow, "HAILONG_LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE_URL": api.base_url,
        "HAILONG_SEND_LIMITS": "telegram=100000", "PYTHONPATH": str(ROOT)} | extra
    # HAILONG_BENCH_PROFILE=<file>: the server runs under cProfile (its main thread) and writes <file> on exit.
    profile = ["-m", "cProfile", "-o", os.environ["HAILONG_BENCH_PROFILE"]] if os.environ.get("HAILONG_BENCH_PROFILE") else []
    process = subprocess.Popen([sys.executable, *profile, "-m", "bot", "serve", "--port", str(port), "--workers", str(workers)],
                               cwd=work, env=env, stdout=subprocess.DEVNULL)
    try:
        await _ready(f"http://127.0.0.1:{port}")
        yield Served(f"http://127.0.0.1:{port}", tokens, process, api)
    finally:
        process.terminate()
        process.wait(30)
        await api.stop()


async def _fresh_schema(url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.db import parse_url

    server = parse_url(url).url
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(server)
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    await engine.dispose()
    return server.update_query_dict({"schema": schema}).render_as_string(hide_password=False)


async def drain_run(n: int, limit: float, work: Path) -> tuple[float, int, int]:
    """Queue `n` messages to different people and drain them through a limited provider double."""
    from bot.conversation.dispatch import Dispatcher, Policy
    from channels.contract import Delivery, SendOutcome
    from storage import enqueue, open_database, upgrade_async
    from storage.limits import Rate

    url = f"sqlite+aiosqlite:///{work / 'c.db'}"
    await upgrade_async(url)
    now = datetime.now(timezone.utc) - timedelta(seconds=1)
    stamps: list[float] = []

    class Provider:
        channel = "sms"

        async def send(self, outbound) -> SendOutcome:
            stamps.append(time.perf_counter())
            await asyncio.sleep(0.002)
            return SendOutcome(Delivery.SENT, provider_message_id=str(len(stamps)))

    async with open_database(url) as db:
        async with db.transaction() as s:
            for i in range(n):
                await enqueue(s, channel="sms", address=f"+8490{i:07d}", payload={"text": "x"}, now=now)
        rate = Rate.capped(limit)  # as bot/dispatch_app.policy_of sets it
        burst = rate.burst
        policy = Policy(provider_rates={"sms": rate}, recipient_rate=Rate(100, 100), idle=0.05)
        task = asyncio.create_task(Dispatcher(db, {"sms": Provider()}, policy=policy).run())
        while len(stamps) < n:
            await asyncio.sleep(0.05)
        task.cancel()
    busiest = max(sum(1 for t in stamps if s <= t < s + 1) for s in stamps[:: max(1, n // 500)])
    sustained = (n - burst) / (stamps[-1] - stamps[0])  # the first `burst` came from the full bucket
    return sustained, busiest, int(burst)
