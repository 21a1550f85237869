"""`hailong serve --workers N` supervises its workers: a SIGKILLed worker is replaced while the others keep
answering and no acknowledged answer is lost; SIGTERM stops all with exit 0; workers that keep dying
make the parent exit non-zero (issue 14)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from storage import upgrade_async
from tests.bot.dispatchkit import Server, answer_all, facts, seed, server_env, settled, updates_of, workers_of
from tests.channels.telegram_fake import FakeBotApi
from tests.live import free_port

CITIZENS, KILL_AFTER = 40, 40


async def _four_workers(server: Server) -> set[int]:
    deadline = time.monotonic() + 30
    while len(pids := workers_of(server)) != 4:
        assert time.monotonic() < deadline, f"workers: {pids}"
        await asyncio.sleep(0.1)
    return pids


async def test_sigkill_one_of_four_workers_under_load(backend: str, database_url: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("several processes on one database: the PostgreSQL deployment")
    tokens = await seed(database_url, citizens=CITIZENS, invitations=0)
    api = FakeBotApi()
    await api.start()
    server = Server(f"http://127.0.0.1:{free_port()}", server_env(database_url, api.base_url, api.token),
                    tmp_path, workers=4)
    acked: set[str] = set()
    killed: dict[str, object] = {}

    def kill_one() -> None:
        if len(acked) >= KILL_AFTER and not killed:
            victim = min(workers_of(server))
            os.kill(victim, signal.SIGKILL)
            killed.update(pid=victim, acked=len(acked))

    try:
        server.start()
        await server.ready()
        before = await _four_workers(server)
        await answer_all(server, [updates_of(i, t) for i, t in enumerate(tokens)], acked, on_ack=kill_one)
        after = await _four_workers(server)
        await settled(database_url)
        assert killed and killed["pid"] in before and killed["pid"] not in after  # the dead one was replaced
        assert len(after & before) == 3  # the other three kept running
        assert len(acked) - killed["acked"] > 0  # answers were acknowledged after the kill
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(40) == 0  # SIGTERM to the parent: all stop, exit 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in after)
    finally:
        server.stop()
        await api.stop()
    evaluations, inbound, _ = await facts(database_url)
    assert acked <= inbound and len(acked) == CITIZENS * 4  # 0 acknowledged answers lost
    assert evaluations == CITIZENS


async def test_workers_that_keep_dying_make_the_parent_exit_non_zero(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}"
    await upgrade_async(url)
    port = free_port()
    blocker = socket.socket()  # holds the port without SO_REUSEPORT: every worker fails to bind and dies
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    server = Server(f"http://127.0.0.1:{port}", server_env(url, "http://127.0.0.1:9", "1:x"), tmp_path, workers=2)
    try:
        server.start()
        code = await asyncio.to_thread(server.process.wait, 60)
    except subprocess.TimeoutExpired:
        raise AssertionError("the supervisor kept restarting workers that die at once") from None
    finally:
        server.stop()
        blocker.close()
    assert code == 1
    log = (tmp_path / "serve.log").read_text()
    assert "workers keep dying" in log and log.count("replaced by pid") == 4  # the 5th death gives up


async def test_sigterm_stops_every_worker_with_exit_zero(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}"
    await upgrade_async(url)
    server = Server(f"http://127.0.0.1:{free_port()}", server_env(url, "http://127.0.0.1:9", "1:x"), tmp_path,
                    workers=2)
    try:
        server.start()
        await server.ready()
        deadline = time.monotonic() + 30
        while len(pids := workers_of(server)) != 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.process.wait, 40) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    finally:
        server.stop()
