"""The outbox, inbound de-duplication and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.tables import AuditEntry, InboundMessage, OutboxMessage


async def record_inbound(
    s: AsyncSession, *, channel: str, provider_message_id: str, now: datetime
) -> bool:
    """Remember a provider message id; False when it was already recorded (a redelivery)."""
    # ON CONFLICT DO NOTHING, not SELECT-then-INSERT: of two concurrent workers exactly one wins.
    stmt = dialect_insert(s, InboundMessage).values(
        channel=channel, provider_message_id=provider_message_id, received_at=now
    )
    stmt = stmt.on_conflict_do_nothing(
        index_elements=[InboundMessage.channel, InboundMessage.provider_message_id]
    )
    return (await s.execute(stmt.returning(InboundMessage.id))).scalar_one_or_none() is not None


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
    message = OutboxMessage(
        survey_id=survey_id,
        channel=channel,
        address=address,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    s.add(message)
    await s.flush()
    return message


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
