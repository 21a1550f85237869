"""SIGKILL `hailong serve` (SQLite) in the middle of a load of signed webhook answers, restart it:
every acknowledged answer is there, no evaluation is doubled, every invitation went out, and a
message went out twice only when the kill cut its send (Telegram has no idempotency key, so the
outbox is at-least-once: a row claimed before the kill is claimed again, `attempts` > 1)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
from sqlalchemy import select

from storage import OutboxMessage, open_database, upgrade_async
from tests.bot.dispatchkit import Server, facts, post, seed, server_env, settled, updates_of
from tests.channels.telegram_fake import FakeBotApi
from tests.live import free_port

CITIZENS, INVITATIONS, KILL_AFTER = 40, 20, 70


async def _load(server: Server, conversations: list[list[dict]], acked: set[str], *, kill: bool) -> None:
    """Each citizen's updates in order, as Telegram delivers them; stop a chat at its first failure."""
    async def citizen(http: aiohttp.ClientSession, updates: list[dict]) -> None:
        for update in updates:
            if await post(http, server.url, update) != 200:
                return  # not acknowledged: Telegram keeps it (and what follows) for later
            acked.add(f"update:{update['update_id']}")
            if kill and len(acked) >= KILL_AFTER and server.process.poll() is None:
                server.kill()

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(citizen(http, updates) for updates in conversations))


async def test_sigkill_mid_load_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}"
    await upgrade_async(url)
    tokens = await seed(url, citizens=CITIZENS, invitations=INVITATIONS)
    api = FakeBotApi()
    await api.start()
    server = Server(f"http://127.0.0.1:{free_port()}", server_env(url, api.base_url, api.token), tmp_path)
    try:
        server.start()
        await server.ready()
        conversations = [updates_of(i, token) for i, token in enumerate(tokens)]
        acked: set[str] = set()
        await _load(server, conversations, acked, kill=True)
        assert server.process.poll() is not None and KILL_AFTER <= len(acked) < CITIZENS * 4
        before_restart = set(acked)
        server.start()
        await server.ready()
        await _load(server, conversations, acked, kill=False)  # Telegram delivers again, from the start
        await settled(url, timeout=90)
    finally:
        server.stop()
        await api.stop()
    evaluations, inbound, _ = await facts(url)
    assert before_restart <= inbound and len(acked) == CITIZENS * 4
    assert evaluations == CITIZENS
    await _each_message_once(url, api)


async def _each_message_once(url: str, api: FakeBotApi) -> None:
    """Every invitation and every question at least once; a repeat only for a send cut by the kill."""
    sent = Counter((str(p["chat_id"]), p["text"]) for _, p in api.sent("sendMessage"))
    invitations = {k: n for k, n in sent.items() if int(k[0]) >= 9000}
    assert len(invitations) == INVITATIONS and set(invitations.values()) <= {1, 2}
    async with open_database(url) as db, db.transaction() as s:
        resent = len(list(await s.scalars(select(OutboxMessage.id).where(OutboxMessage.attempts > 1))))
    per_chat = Counter(chat for chat, _ in sent if int(chat) < 9000)
    assert len(per_chat) == CITIZENS and all(n == 4 for n in per_chat.values())  # four different texts each
    assert sum(n - 1 for n in sent.values()) <= resent
