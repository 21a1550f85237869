"""`Database.grouped()`: short transactions that share one commit on SQLite (group commit).

Each member's work is its own (a SAVEPOINT): one that fails leaves the others' to commit; a
member's block exits only once the batch that holds its work has committed; a failed commit
fails every member of its batch and leaves nothing behind. On PostgreSQL it is `transaction()`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import event, select

from storage import Database, InboundMessage, count_rows, enqueue, record_inbound
from storage.tables import OutboxMessage


class Refused(Exception):
    pass


def _on_disk(db: Database) -> set[str]:
    """The recorded ids as another connection (another process) sees them now."""
    path = db.engine.url.database
    with sqlite3.connect(path) as con:
        return {pid for (pid,) in con.execute("SELECT provider_message_id FROM inbound_messages")}


async def _member(db: Database, pid: str, now: datetime, *, fail: bool = False) -> str:
    async with db.grouped() as s:
        assert await record_inbound(s, channel="telegram", provider_message_id=pid, now=now)
        await enqueue(s, channel="telegram", address=pid, payload={"text": pid}, now=now)
        await asyncio.sleep(0)  # let the others join the batch meanwhile
        if fail:
            raise Refused(pid)
    if db.dialect == "sqlite":
        assert pid in _on_disk(db)  # acknowledged only once it is committed
    return pid


async def test_a_failing_member_loses_only_its_own_work(db: Database, now: datetime) -> None:
    pids = [f"update:{i}" for i in range(20)]
    results = await asyncio.gather(*(_member(db, pid, now, fail=pid == "update:7") for pid in pids),
                                   return_exceptions=True)
    assert [type(r) for r in results].count(Refused) == 1
    async with db.transaction() as s:
        stored = set(await s.scalars(select(InboundMessage.provider_message_id)))
        addresses = set(await s.scalars(select(OutboxMessage.address)))
    assert stored == addresses == set(pids) - {"update:7"}
    if db.dialect == "sqlite":
        assert db.group is not None and db.group.batches < len(pids)  # they shared commits


async def test_a_failed_flush_rolls_back_its_member_only(db: Database, now: datetime) -> None:
    async def duplicate() -> None:
        async with db.grouped() as s:
            await record_inbound(s, channel="telegram", provider_message_id="other", now=now)
            s.add(InboundMessage(channel="telegram", provider_message_id="taken", received_at=now))
            await s.flush()  # IntegrityError: the unique key

    async with db.grouped() as s:
        await record_inbound(s, channel="telegram", provider_message_id="taken", now=now)
    results = await asyncio.gather(duplicate(), _member(db, "fine", now), return_exceptions=True)
    assert results[1] == "fine" and isinstance(results[0], Exception)
    async with db.transaction() as s:
        stored = set(await s.scalars(select(InboundMessage.provider_message_id)))
    assert stored == {"taken", "fine"}


async def test_a_failed_commit_fails_every_member_and_keeps_nothing(
    db: Database, now: datetime, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("group commit is SQLite's")
    assert db.group is not None
    failing = True

    @event.listens_for(db.group._engine, "commit")
    def _disk_full(connection) -> None:
        if failing:
            raise sqlite3.OperationalError("database or disk is full")

    results = await asyncio.gather(*(_member(db, f"m{i}", now) for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
    failing = False
    assert await _member(db, "after", now) == "after"  # the writer lock was given back
    async with db.transaction() as s:
        assert await count_rows(s, InboundMessage) == 1


async def test_members_see_the_work_of_the_members_before_them(db: Database, now: datetime) -> None:
    first_in = asyncio.Event()

    async def first() -> None:
        async with db.grouped() as s:
            await record_inbound(s, channel="sms", provider_message_id="once", now=now)
            first_in.set()

    async def second() -> bool:
        await first_in.wait()
        async with db.grouped() as s:
            return await record_inbound(s, channel="sms", provider_message_id="once", now=now)

    _, recorded_again = await asyncio.gather(first(), second())
    assert recorded_again is False  # a redelivery in the same batch changes nothing either
