"""Provider token pairs (locked refresh), address activity and template messages, on every backend."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from storage import Database, create_survey, mark_unreachable, upsert_contact_address
from storage.provider_tokens import (
    TokenPair,
    last_inbound_at,
    load_tokens,
    lock_tokens,
    mark_reachable,
    note_activity,
    record_template_message,
    save_tokens,
    seed_tokens,
    template_ids_since,
    template_message_survey,
)
from tests.storage.conftest import Seed


async def test_seed_once_then_save_replaces_the_pair(db: Database, now: datetime) -> None:
    first = TokenPair("AT-1", "RT-1", now + timedelta(hours=1))
    async with db.transaction() as s:
        assert await load_tokens(s, "zalo_oa") is None
        assert await seed_tokens(s, "zalo_oa", first, now=now)
        assert not await seed_tokens(s, "zalo_oa", TokenPair("x", "y", now), now=now)
    async with db.transaction() as s:
        assert await load_tokens(s, "zalo_oa") == first
        await save_tokens(s, "zalo_oa", TokenPair("AT-2", "RT-2", now + timedelta(hours=25)), now=now)
    async with db.transaction() as s:
        assert await load_tokens(s, "zalo_oa") == TokenPair("AT-2", "RT-2", now + timedelta(hours=25))
    assert "AT-2" not in repr(TokenPair("AT-2", "RT-2", now))


async def test_a_locked_pair_is_read_by_the_next_locker_only_after_the_first_commits(
    db: Database, now: datetime,
) -> None:
    async with db.transaction() as s:
        await seed_tokens(s, "zalo_oa", TokenPair("AT-1", "RT-1", now), now=now)
    seen: list[str] = []
    first_locked = asyncio.Event()

    async def first() -> None:
        async with db.transaction() as s:
            pair = await lock_tokens(s, "zalo_oa")
            first_locked.set()
            await asyncio.sleep(0.3)
            await save_tokens(s, "zalo_oa", TokenPair("AT-2", "RT-2", now), now=now)
            seen.append(pair.refresh_token)

    async def second() -> None:
        await first_locked.wait()
        async with db.transaction() as s:
            seen.append((await lock_tokens(s, "zalo_oa")).refresh_token)

    await asyncio.gather(first(), second())
    assert seen == ["RT-1", "RT-2"]


async def test_activity_keeps_the_last_message_and_the_follow_state(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        assert await last_inbound_at(s, channel="zalo", address="u1") is None
        await note_activity(s, channel="zalo", address="u1", now=now, wrote=True)
        await note_activity(s, channel="zalo", address="u1", now=now + timedelta(hours=1), following=False)
    async with db.transaction() as s:
        assert await last_inbound_at(s, channel="zalo", address="u1") == now


async def test_reachable_again_after_following_again(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        row = await upsert_contact_address(s, channel="zalo", address="u1", now=now)
        await mark_unreachable(s, channel="zalo", address="u1", now=now)
        assert await mark_reachable(s, channel="zalo", address="u1")
        assert not await mark_reachable(s, channel="zalo", address="nobody")
        await s.refresh(row)
        assert row.unreachable_at is None


async def test_template_messages_find_their_survey(db: Database, seed: Seed, now: datetime) -> None:
    async with db.transaction() as s:
        survey = await create_survey(s, dossier_id=seed.dossier_id, token="t" * 32, flow_id="quick",
                                     now=now, expires_at=now + timedelta(days=3))
        for _ in range(2):  # a repeated record changes nothing
            await record_template_message(s, channel="zalo", survey_id=survey.id, template_id="tpl-9",
                                          provider_message_id="z1", now=now)
    async with db.transaction() as s:
        assert await template_message_survey(s, channel="zalo", provider_message_id="z1") == survey.id
        assert await template_message_survey(s, channel="zalo", provider_message_id="z2") is None
        assert await template_ids_since(s, channel="zalo", since=now - timedelta(days=1)) == ["tpl-9"]
        assert await template_ids_since(s, channel="zalo", since=now + timedelta(days=1)) == []
