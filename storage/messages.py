"""The outbox, inbound de-duplication and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import raw
from storage.db import per_dialect
from storage.tables import AuditEntry, InboundMessage, OutboxMessage

_INBOUND = InboundMessage.__table__
# ON CONFLICT DO NOTHING, not SELECT-then-INSERT: of two concurrent workers exactly one wins.
_RECORD_INBOUND = per_dialect(lambda insert: insert(_INBOUND).on_conflict_do_nothing(
    index_elements=[_INBOUND.c.channel, _INBOUND.c.provider_message_id]).returning(_INBOUND.c.id))
_OUTBOX = OutboxMessage.__table__
_QUEUE = _OUTBOX.insert()


async def record_inbound(
    s: AsyncSession, *, channel: str, provider_message_id: str, now: datetime
) -> bool:
    """Remember a provider message id; False when it was already recorded (a redelivery)."""
    con = raw.raw_connection(s)
    if con is not None:
        return raw.run(con, raw.RECORD_INBOUND, (channel, provider_message_id, raw.stamp(now))).fetchone() is not None
    row = {"channel": channel, "provider_message_id": provider_message_id, "received_at": now}
    return (await s.execute(_RECORD_INBOUND(s), row)).scalar_one_or_none() is not None


async def queue(
    s: AsyncSession, *, channel: str, address: str, payload: dict[str, Any], now: datetime,
    survey_id: int | None = None,
) -> None:
    """`enqueue` without the row back: one prebuilt INSERT (the turns' way)."""
    con = raw.raw_connection(s)
    if con is not None:
        when = raw.stamp(now)
        raw.run(con, raw.QUEUE, (survey_id, channel, address, raw.dumps(payload), when, when))
        return
    await s.execute(_QUEUE, {"survey_id": survey_id, "channel": channel, "address": address, "payload": payload,
                             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now})


async def enqueue(
    s: AsyncSession,
    *,
    channel: str,
    address: str,
    payload: dict[str, Any],
    now: datetime,
    survey_id: int | None = None,
) -> OutboxMessage:
    """Queue a message for sending now, in the caller's transaction."""
    # INSERT … RETURNING rather than add() + flush(): one statement, no unit of work to sort out.
    stmt = insert(OutboxMessage).values(
        survey_id=survey_id, channel=channel, address=address, payload=payload, status="pending",
        attempts=0, next_attempt_at=now, created_at=now,
    ).returning(OutboxMessage)
    return (await s.scalars(stmt)).one()


async def audit(
    s: AsyncSession,
    *,
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the audit log."""
    entry = AuditEntry(at=now, actor=actor, action=action, subject=subject, detail=detail or {})
    s.add(entry)
    await s.flush()
    return entry
