"""The outbox drain's queries: claim due rows (SKIP LOCKED), record outcomes, never move back.

Only the oldest unfinished row of each (channel, address) can be claimed, so one person's
messages go out in the order they were written, whichever process sends them. A claimed row
is `sending` with a lease in `next_attempt_at`; a process that dies leaves it to be claimed
again when the lease runs out. `attempts` is the fencing token: only the claimer's write lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.affected import affected
from storage.tables import OutboxMessage, UTCDateTime


class OutboxStatus(StrEnum):
    """pending → sending → one final status; `sending` → `pending` only for a retry."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    OPTED_OUT = "opted_out"
    CANCELLED = "cancelled"


UNFINISHED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
FINAL = frozenset(OutboxStatus) - {OutboxStatus.PENDING, OutboxStatus.SENDING}


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this process now owns until `lease_until`; `attempts` fences its writes."""

    id: int
    survey_id: int | None
    channel: str
    address: str
    payload: dict[str, Any]
    attempts: int


_HEAD = """
    SELECT o.id FROM outbox o
    WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= :now
      AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.address = o.address
                      AND p.id < o.id AND p.status IN ('pending', 'sending'))
    ORDER BY o.id LIMIT :limit
"""
_CLAIM = """
    UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = :lease
    WHERE id IN ({head}) RETURNING id, survey_id, channel, address, payload, attempts
"""


def _claim(postgres: bool) -> Any:
    head = _HEAD + (" FOR UPDATE SKIP LOCKED" if postgres else "")
    return text(_CLAIM.format(head=head)).bindparams(
        bindparam("now", type_=UTCDateTime()), bindparam("lease", type_=UTCDateTime()),
    ).columns(
        OutboxMessage.id, OutboxMessage.survey_id, OutboxMessage.channel, OutboxMessage.address,
        OutboxMessage.payload, OutboxMessage.attempts,
    )


_CLAIMS = {False: _claim(False), True: _claim(True)}  # built once: the drain claims after every commit


async def claim_due(s: AsyncSession, *, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    """Claim up to `limit` due head-of-line rows in one statement (SKIP LOCKED on PostgreSQL)."""
    stmt = _CLAIMS[s.get_bind().dialect.name == "postgresql"]
    rows = (await s.execute(stmt, {"now": now, "lease": now + lease, "limit": limit})).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


async def finish(
    s: AsyncSession, row: Claimed, status: OutboxStatus, *, now: datetime,
    provider_message_id: str | None = None, error: str | None = None,
) -> bool:
    """Record a final outcome; False when the claim was lost (the row moved on without us)."""
    assert status in FINAL
    values: dict[str, Any] = {"status": status.value, "last_error": error}
    if status is OutboxStatus.SENT:
        values |= {"sent_at": now, "provider_message_id": provider_message_id}
    return await _fenced(s, row, values)


_SENT = OutboxMessage.__table__
_FINISH_SENT = _SENT.update().where(
    _SENT.c.id == bindparam("b_id"), _SENT.c.status == OutboxStatus.SENDING.value,
    _SENT.c.attempts == bindparam("b_attempts"),
).values(status=OutboxStatus.SENT.value, last_error=None)


async def finish_sent(s: AsyncSession, rows: list[tuple[Claimed, str | None]], *, now: datetime) -> None:
    """`finish(…, SENT)` for many rows in one statement: (row, provider message id) each, fenced alike."""
    if rows:
        await s.execute(_FINISH_SENT, [{"b_id": row.id, "b_attempts": row.attempts, "sent_at": now,
                                        "provider_message_id": provider_id} for row, provider_id in rows])


async def retry_later(s: AsyncSession, row: Claimed, *, at: datetime, error: str | None,
                      count: bool = True) -> bool:
    """Put the row back for another attempt at `at` (`count=False`: this attempt never happened)."""
    values: dict[str, Any] = {"status": OutboxStatus.PENDING.value, "next_attempt_at": at, "last_error": error}
    if not count:
        values["attempts"] = OutboxMessage.attempts - 1
    return await _fenced(s, row, values)


async def _fenced(s: AsyncSession, row: Claimed, values: dict[str, Any]) -> bool:
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING.value,
               OutboxMessage.attempts == row.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return (await affected(s, stmt)) == 1


async def next_due(s: AsyncSession) -> datetime | None:
    """When the earliest unfinished row becomes due (None: nothing queued)."""
    stmt = select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status.in_(UNFINISHED))
    return await s.scalar(stmt)


async def counts_by_status(s: AsyncSession) -> dict[str, int]:
    """How many outbox rows are in each status (queue depth = pending + sending)."""
    stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {status: n for status, n in (await s.execute(stmt)).all()}



async def inbound_seen(s: AsyncSession, *, channel: str, provider_message_id: str) -> bool:
    """True when this provider message id was already recorded (a cheap look before acting)."""
    from storage.tables import InboundMessage

    stmt = select(func.count()).select_from(InboundMessage).where(
        InboundMessage.channel == channel, InboundMessage.provider_message_id == provider_message_id)
    return bool(await s.scalar(stmt))
