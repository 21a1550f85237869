"""Inbound de-duplication, the outbox and the audit log."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from storage import Database, audit, count_rows, enqueue, record_inbound
from storage.tables import AuditEntry, InboundMessage, OutboxMessage


async def test_record_inbound_once(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        assert await record_inbound(s, channel="telegram", provider_message_id="m1", now=now)
        assert not await record_inbound(s, channel="telegram", provider_message_id="m1", now=now)
        assert await record_inbound(s, channel="zalo", provider_message_id="m1", now=now)
    async with db.transaction() as s:
        assert not await record_inbound(s, channel="zalo", provider_message_id="m1", now=now)
        assert await count_rows(s, InboundMessage) == 2


async def test_record_inbound_from_two_connections_exactly_one_wins(db: Database, now: datetime) -> None:
    first_recorded = asyncio.Event()

    async def first() -> bool:
        async with db.transaction() as s:
            recorded = await record_inbound(s, channel="sms", provider_message_id="m", now=now)
            first_recorded.set()
            await asyncio.sleep(0.3)  # keep it uncommitted while the second worker tries
        return recorded

    async def second() -> bool:
        await first_recorded.wait()
        async with db.transaction() as s:
            return await record_inbound(s, channel="sms", provider_message_id="m", now=now)

    assert await asyncio.gather(first(), second()) == [True, False]


async def test_record_inbound_from_many_workers_at_once(db: Database, now: datetime) -> None:
    async def worker() -> bool:
        async with db.transaction() as s:
            return await record_inbound(s, channel="sms", provider_message_id="burst", now=now)

    results = await asyncio.gather(*(worker() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]


async def test_enqueue(db: Database, now: datetime) -> None:
    payload = {"text": "Cảm ơn anh/chị!", "choices": [["1", "Rất hài lòng"]]}
    async with db.transaction() as s:
        queued = await enqueue(s, channel="telegram", address="42", payload=payload, now=now)
    async with db.transaction() as s:
        stored = await s.get(OutboxMessage, queued.id)
        assert await count_rows(s, OutboxMessage) == 1
    assert stored is not None
    assert (stored.payload, stored.status, stored.attempts) == (payload, "pending", 0)
    assert (stored.next_attempt_at, stored.created_at, stored.sent_at) == (now, now, None)
    assert stored.survey_id is None


async def test_audit(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        plain = await audit(s, actor="admin", action="import", subject="dossiers", now=now)
        detailed = await audit(
            s, actor="bot", action="purge", subject="contact:7", now=now + timedelta(seconds=1),
            detail={"rows": 3},
        )
    async with db.transaction() as s:
        entries = [await s.get(AuditEntry, e.id) for e in (plain, detailed)]
        assert await count_rows(s, AuditEntry) == 2
    assert [(e.actor, e.action, e.subject, e.detail) for e in entries if e] == [
        ("admin", "import", "dossiers", {}),
        ("bot", "purge", "contact:7", {"rows": 3}),
    ]
