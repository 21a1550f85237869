"""Delivery reports on sent messages (never moving backwards) and a contact's opt-out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.affected import affected
from storage.tables import Contact, ContactAddress, OutboxMessage

# How far a message got; reports arrive out of order, so a lower rank never replaces a higher one.
# The final states share one rank: the first final report stands.
DELIVERY_RANK = {
    "queued": 1, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5,
    "unreachable": 4, "opted_out": 4, "cancelled": 4,
}
# Rows the outbox drain still owns (its writes are fenced on `sending`): reports leave them alone.
UNFINISHED = frozenset({"pending", "sending"})


async def record_sent(
    s: AsyncSession, *, channel: str, address: str, payload: dict[str, Any], now: datetime,
    provider_message_id: str | None, status: str = "sent", survey_id: int | None = None,
    error: str | None = None,
) -> OutboxMessage:
    """Keep a message sent outside the outbox drain, so its delivery reports find it."""
    message = OutboxMessage(
        survey_id=survey_id, channel=channel, address=address, payload=payload, status=status,
        attempts=1, next_attempt_at=now, provider_message_id=provider_message_id,
        last_error=error, created_at=now, sent_at=now if status == "sent" else None,
    )
    s.add(message)
    await s.flush()
    return message


async def find_delivery(s: AsyncSession, *, channel: str, provider_message_id: str) -> OutboxMessage | None:
    """The outbox row of the provider's message id, or None."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.provider_message_id == provider_message_id
    )
    return await s.scalar(stmt.with_for_update().execution_options(populate_existing=True))


async def advance_delivery(
    s: AsyncSession, *, channel: str, provider_message_id: str, status: str, now: datetime,
    error: str | None = None,
) -> OutboxMessage | None:
    """Apply a delivery report unless the message already got as far; the row when it moved."""
    row = await find_delivery(s, channel=channel, provider_message_id=provider_message_id)
    if row is None or status not in DELIVERY_RANK or row.status in UNFINISHED:
        return None
    if DELIVERY_RANK.get(row.status, 0) >= DELIVERY_RANK[status]:
        return None
    row.status = status
    row.last_error = error or row.last_error
    if row.sent_at is None and DELIVERY_RANK[status] >= DELIVERY_RANK["sent"]:
        row.sent_at = now
    await s.flush()
    return row


async def set_opted_out(
    s: AsyncSession, *, channel: str, address: str, now: datetime | None
) -> bool:
    """Opt the contact behind this address out (`now`) or back in (None); False when unknown."""
    contact_id = select(ContactAddress.contact_id).where(
        ContactAddress.channel == channel, ContactAddress.address == address
    ).scalar_subquery()
    stmt = (
        update(Contact).where(Contact.id == contact_id).values(opted_out_at=now)
        .execution_options(synchronize_session=False)
    )
    return (await affected(s, stmt)) > 0


async def is_opted_out(s: AsyncSession, *, channel: str, address: str) -> bool:
    """Whether the contact behind this address said stop."""
    stmt = (
        select(Contact.opted_out_at)
        .join(ContactAddress, ContactAddress.contact_id == Contact.id)
        .where(ContactAddress.channel == channel, ContactAddress.address == address)
    )
    return (await s.scalar(stmt)) is not None
