"""4 `hailong serve` workers on one PostgreSQL, two replies per citizen racing: every final state is
one the replies could reach one after the other, and nothing is applied or sent twice."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from storage import ContactAddress, Evaluation, InboundMessage, Survey, SurveySession, open_database
from survey_flows import Env, TextReply, load_flow, load_schema, resume, start
from tests.bot.dispatchkit import Server, post, seed, server_env, settled, updates_of
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import message
from tests.live import free_port

CITIZENS = 24
ROUNDS = (("5", "2"), ("hai long", "Nhanh gọn"))


def _reachable() -> list[tuple[str, dict, int]]:
    """(status, answers, messages sent) after every order of the racing replies, one at a time."""
    flow, env = load_flow("quick", load_schema()), Env(now=datetime.now(timezone.utc), new_id=lambda: "x")
    sprint = start(flow, env, lang="vi", channel="telegram")
    out = []
    for a, b in itertools.product(*(itertools.permutations(r) for r in ROUNDS)):
        session, sent = sprint.session, sum(type(e).__name__ == "MessageSent" for e in sprint.events)
        for text in (*a, *b):
            turn = resume(flow, session, env, TextReply(text))
            session, sent = turn.session, sent + sum(type(e).__name__ == "MessageSent" for e in turn.events)
        out.append((str(session.status), session.to_json()["answers"], sent))
    return out


async def _race(url: str, tokens: list[str]) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        async def citizen(i: int, token: str) -> None:
            chat = {"id": 5000 + i, "first_name": "A", "type": "private"}
            assert await post(http, url, updates_of(i, token)[0]) == 200
            for n, pair in enumerate(ROUNDS):
                ups = [message(200_000 + i * 10 + n * 2 + k, text, chat=chat) for k, text in enumerate(pair)]
                for _ in range(2):  # and each delivered twice, at once
                    assert set(await asyncio.gather(*(post(http, url, u) for u in ups + ups))) == {200}

        await asyncio.gather(*(citizen(i, t) for i, t in enumerate(tokens)))


async def test_four_workers_two_replies_racing(backend: str, database_url: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("several processes on one database: the PostgreSQL deployment")
    tokens = await seed(database_url, citizens=CITIZENS, invitations=0)
    api = FakeBotApi()
    await api.start()
    server = Server(f"http://127.0.0.1:{free_port()}", server_env(database_url, api.base_url, api.token),
                    tmp_path, workers=4)
    try:
        server.start()
        await server.ready()
        await _race(server.url, tokens)
        await settled(database_url)
    finally:
        server.stop()
        await api.stop()
    reachable = _reachable()
    async with open_database(database_url) as db, db.transaction() as s:
        sessions = list(await s.scalars(select(SurveySession)))
        completed = await s.scalar(select(func.count()).select_from(Survey).where(Survey.status == "completed"))
        evaluations = await s.scalar(select(func.count()).select_from(Evaluation))
        inbound = await s.scalar(select(func.count()).select_from(InboundMessage))
        chats = (await s.execute(select(Survey.id, ContactAddress.address).join(
            ContactAddress, ContactAddress.contact_id == Survey.contact_id))).all()
    assert len(sessions) == CITIZENS and inbound == CITIZENS * 5
    per_chat = Counter(str(p["chat_id"]) for _, p in api.sent("sendMessage"))
    chat_of = {survey_id: str(chat) for survey_id, chat in chats}
    # Each survey ends in a state the replies reach one at a time, with exactly that many messages sent.
    assert all((row.status, row.state["answers"], per_chat[chat_of[row.survey_id]]) in reachable
               for row in sessions)
    assert evaluations == completed == sum(row.status == "completed" for row in sessions)
