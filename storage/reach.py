"""Reaching a contact on a channel: the survey a chat answers, and addresses that stopped working."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import raw
from storage.affected import affected
from storage.db import dialect_insert
from storage.errors import NotFound
from storage.surveys import OPEN_STATUSES
from storage.tables import ContactAddress, Reachability, Survey

_OPEN_SURVEY = (
    select(Survey)
    .join(ContactAddress, ContactAddress.contact_id == Survey.contact_id)
    .where(ContactAddress.channel == bindparam("channel"), ContactAddress.address == bindparam("address"),
           Survey.status.in_([str(st) for st in OPEN_STATUSES]))
    .order_by(case((Survey.status == "active", 0), else_=1), Survey.id.desc())
    .limit(1)
    .execution_options(populate_existing=True)
)


async def find_open_survey(s: AsyncSession, *, channel: str, address: str) -> Survey | None:
    """The open survey of the contact behind this address (an active one first, then the newest)."""
    con = raw.raw_connection(s)
    if con is not None:
        row = raw.run(con, raw.OPEN_SURVEY, (channel, address)).fetchone()
        return None if row is None else raw.survey_of(row)
    return await s.scalar(_OPEN_SURVEY, {"channel": channel, "address": address})


async def set_survey_contact(s: AsyncSession, survey_id: int, contact_id: int) -> Survey:
    """Point the survey at the contact who answers it."""
    stmt = update(Survey).where(Survey.id == survey_id).values(contact_id=contact_id).returning(Survey)
    fresh = {"populate_existing": True, "synchronize_session": False}
    survey = (await s.scalars(stmt, execution_options=fresh)).one_or_none()
    if survey is None:
        raise NotFound(f"survey {survey_id} does not exist")
    return survey


async def mark_unreachable(s: AsyncSession, *, channel: str, address: str, now: datetime) -> bool:
    """Stamp the address unreachable (blocked, never started); False when it is unknown."""
    stmt = (
        update(ContactAddress)
        .where(ContactAddress.channel == channel, ContactAddress.address == address)
        .values(unreachable_at=now)
        .execution_options(synchronize_session=False)
    )
    return (await affected(s, stmt)) > 0


async def close_channel(s: AsyncSession, *, channel: str, address_channel: str, address: str, reason: str,
                        now: datetime) -> bool:
    """Close one plan channel for this address after a person-level refusal (a bad number, no Zalo
    account, a blocked bot); the first refusal stands, a replay changes nothing. False when the
    address is unknown or the channel was closed already."""
    address_id = await s.scalar(select(ContactAddress.id).where(
        ContactAddress.channel == address_channel, ContactAddress.address == address))
    if address_id is None:
        return False
    stmt = dialect_insert(s, Reachability).values(contact_address_id=address_id, channel=channel, reason=reason,
                                                  since=now).on_conflict_do_nothing()
    return (await affected(s, stmt)) > 0


async def closed_channels(s: AsyncSession, contacts: list[int]) -> dict[str, str]:
    """The plan channels closed for these contacts' addresses: channel → reason."""
    if not contacts:
        return {}
    rows = await s.execute(select(Reachability.channel, Reachability.reason)
                           .join(ContactAddress, ContactAddress.id == Reachability.contact_address_id)
                           .where(ContactAddress.contact_id.in_(contacts)))
    return dict(rows.all())


async def reopen_channel(s: AsyncSession, *, channel: str, address_channel: str, address: str) -> int:
    """The person came back on this channel (followed the OA again, sent START): open the pair again."""
    address_id = select(ContactAddress.id).where(ContactAddress.channel == address_channel,
                                                 ContactAddress.address == address).scalar_subquery()
    stmt = (delete(Reachability).where(Reachability.contact_address_id == address_id, Reachability.channel == channel)
            .execution_options(synchronize_session=False))
    return (await affected(s, stmt))
