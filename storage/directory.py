"""Agencies, fields, procedures, officers and contacts: the reference data surveys point at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.errors import NotFound
from storage.tables import Agency, Contact, ContactAddress, Field, Officer, Procedure

# Upserts set every given column: passing None clears an optional one.
# ON CONFLICT … RETURNING with populate_existing keeps the identity map in step with the row.
_FRESH = {"populate_existing": True}


async def upsert_agency(
    s: AsyncSession, *, code: str, name: str, parent_code: str | None = None, now: datetime
) -> Agency:
    """Create or update the agency with this code (the parent must exist)."""
    parent_id = None
    if parent_code is not None:
        parent = await find_agency(s, parent_code)
        if parent is None:
            raise NotFound(f"parent agency {parent_code!r} does not exist")
        parent_id = parent.id
    stmt = dialect_insert(s, Agency).values(code=code, name=name, parent_id=parent_id, created_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Agency.code], set_={"name": name, "parent_id": parent_id}
    )
    agency: Agency = (await s.scalars(stmt.returning(Agency), execution_options=_FRESH)).one()
    return agency


async def upsert_field(s: AsyncSession, *, code: str, name: str) -> Field:
    """Create or update the field of procedures with this code."""
    stmt = dialect_insert(s, Field).values(code=code, name=name)
    stmt = stmt.on_conflict_do_update(index_elements=[Field.code], set_={"name": name})
    row: Field = (await s.scalars(stmt.returning(Field), execution_options=_FRESH)).one()
    return row


async def upsert_procedure(
    s: AsyncSession,
    *,
    code: str,
    name: str,
    field_id: int | None = None,
    legal_days: int | None = None,
) -> Procedure:
    """Create or update the administrative procedure with this code."""
    values = {"name": name, "field_id": field_id, "legal_days": legal_days}
    stmt = dialect_insert(s, Procedure).values(code=code, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[Procedure.code], set_=values)
    row: Procedure = (await s.scalars(stmt.returning(Procedure), execution_options=_FRESH)).one()
    return row


async def upsert_officer(
    s: AsyncSession, *, agency_id: int, code: str, name: str, photo_url: str | None = None
) -> Officer:
    """Create or update the officer with this code in this agency; a photo already stored stays
    unless `photo_url` names another (a renamed officer keeps the photo a manager uploaded)."""
    values: dict[str, str | None] = {"name": name, "photo_url": photo_url}
    stmt = dialect_insert(s, Officer).values(agency_id=agency_id, code=code, **values)
    changed = values if photo_url is not None else {"name": name}
    stmt = stmt.on_conflict_do_update(index_elements=[Officer.agency_id, Officer.code], set_=changed)
    row: Officer = (await s.scalars(stmt.returning(Officer), execution_options=_FRESH)).one()
    return row


async def find_agency(s: AsyncSession, code: str) -> Agency | None:
    """The agency with this code, or None."""
    return await s.scalar(select(Agency).where(Agency.code == code))


async def list_agencies(s: AsyncSession) -> list[Agency]:
    """Every agency, by code."""
    return list(await s.scalars(select(Agency).order_by(Agency.code)))


async def find_procedure(s: AsyncSession, code: str) -> Procedure | None:
    """The procedure with this code, or None."""
    return await s.scalar(select(Procedure).where(Procedure.code == code))


async def set_officer_photo(s: AsyncSession, officer_id: int, photo_url: str | None) -> None:
    """Set (or, with None, remove) an officer's photo address."""
    officer = await s.get(Officer, officer_id)
    if officer is None:
        raise NotFound(f"officer {officer_id}")
    officer.photo_url = photo_url
    await s.flush()


async def find_officer(s: AsyncSession, agency_id: int, code: str) -> Officer | None:
    """The officer with this code in this agency, or None."""
    stmt = select(Officer).where(Officer.agency_id == agency_id, Officer.code == code)
    return await s.scalar(stmt)


async def find_contact_address(s: AsyncSession, channel: str, address: str) -> ContactAddress | None:
    """The contact address on this channel, or None."""
    stmt = select(ContactAddress).where(
        ContactAddress.channel == channel, ContactAddress.address == address
    )
    return await s.scalar(stmt)


async def upsert_contact_address(
    s: AsyncSession,
    *,
    channel: str,
    address: str,
    now: datetime,
    name: str | None = None,
    language: str = "vi",
) -> ContactAddress:
    """The address on this channel; a new address gets a new Contact (an existing one is kept as is)."""
    existing = await find_contact_address(s, channel, address)
    if existing is not None:
        return existing
    try:
        async with s.begin_nested():
            contact = Contact(name=name, language=language, created_at=now)
            s.add(contact)
            await s.flush()
            row = ContactAddress(contact_id=contact.id, channel=channel, address=address, created_at=now)
            s.add(row)
            await s.flush()
            return row
    except IntegrityError:
        # Another transaction added the same address first: use theirs, drop our contact.
        raced = await find_contact_address(s, channel, address)
        if raced is None:
            raise
        return raced


async def contact_address(s: AsyncSession, contact_id: int, channel: str) -> str | None:
    """A contact's address on one channel (e.g. its phone for "sms"), or None."""
    return await s.scalar(select(ContactAddress.address).where(
        ContactAddress.contact_id == contact_id, ContactAddress.channel == channel))
