"""Set-at-a-time statements for the dossier import: one lookup or one executemany per table and batch.

The import writes a few hundred rows per short transaction; row-at-a-time upserts (storage/directory.py,
storage/dossiers.py) cost several statements per row. Here each table is read once per batch with an
`IN (...)` list and written with one executemany (SQLAlchemy's insertmanyvalues: a few multi-row
statements), with the same values the single-row upserts write:

- agencies: `code`, `name`; an upsert leaves `parent_id` empty, as `upsert_agency` without a parent does;
- fields: `code`, `name`; procedures: `name`, `field_id`, and `legal_days` empty, as `upsert_procedure`;
- officers: `(agency_id, code)` and `name`; a photo a manager uploaded stays, as with `upsert_officer`;
- contacts: an SMS address found is kept as is; a new one gets a new contact (`upsert_contact_address`);
- dossiers: created by code, or updated in every column but `code`, `created_at` and the `exceptions` staff record.

Lookups are exact (codes as given). Callers pass each key once per call.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Table, bindparam, delete, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.tables import Agency, Contact, ContactAddress, Dossier, Field, Officer, Procedure

IN_CHUNK = 500  # keys per IN (...) list: well under every driver's bound-parameter limit
SMS = "sms"

_AGENCIES: Table = Agency.__table__
_FIELDS: Table = Field.__table__
_PROCEDURES: Table = Procedure.__table__
_OFFICERS: Table = Officer.__table__
_CONTACTS: Table = Contact.__table__
_ADDRESSES: Table = ContactAddress.__table__
_DOSSIERS: Table = Dossier.__table__


class DossierValues(TypedDict):
    """One dossier as the import writes it (every column but the id and the timestamps)."""

    code: str
    agency_id: int
    status: int
    received_on: date
    due_on: date | None
    returned_on: date | None
    procedure_id: int | None
    officer_id: int | None
    contact_id: int | None
    # Each participating unit's step (indicator 2; None: not supplied) and whether the dossier was
    # submitted online (indicator 9; None: not said). Give both or neither for every dossier of a call.
    unit_steps: NotRequired[list[dict[str, str]] | None]
    online: NotRequired[bool | None]


def _chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for key in keys:
        chunk.append(key)
        if len(chunk) == IN_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT of the connection's dialect, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


async def agencies_by_code(s: AsyncSession, codes: Collection[str]) -> dict[str, tuple[int, str]]:
    """The stored agencies among these codes: code -> (id, name)."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(codes):
        rows = await s.execute(select(_AGENCIES.c.code, _AGENCIES.c.id, _AGENCIES.c.name)
                               .where(_AGENCIES.c.code.in_(chunk)))
        found.update((code, (id_, name)) for code, id_, name in rows)
    return found


async def upsert_agencies(s: AsyncSession, names: Mapping[str, str], *, now: datetime) -> dict[str, int]:
    """Create or rename these agencies (code -> name); returns code -> id."""
    if not names:
        return {}
    connection = await s.connection()
    stmt = _insert(connection, _AGENCIES)
    stmt = stmt.on_conflict_do_update(index_elements=[_AGENCIES.c.code],
                                      set_={"name": stmt.excluded.name, "parent_id": null()})
    rows = await connection.execute(
        stmt.returning(_AGENCIES.c.code, _AGENCIES.c.id),
        [{"code": code, "name": name, "parent_id": None, "settings": {}, "created_at": now}
         for code, name in names.items()])
    return {code: id_ for code, id_ in rows}


async def upsert_fields(s: AsyncSession, names: Mapping[str, str]) -> dict[str, int]:
    """Create or rename these fields of procedures (code -> name); returns code -> id."""
    if not names:
        return {}
    connection = await s.connection()
    stmt = _insert(connection, _FIELDS)
    stmt = stmt.on_conflict_do_update(index_elements=[_FIELDS.c.code], set_={"name": stmt.excluded.name})
    rows = await connection.execute(stmt.returning(_FIELDS.c.code, _FIELDS.c.id),
                                    [{"code": code, "name": name} for code, name in names.items()])
    return {code: id_ for code, id_ in rows}


async def procedures_by_code(s: AsyncSession, codes: Collection[str]) -> dict[str, tuple[int, str, int | None]]:
    """The stored procedures among these codes: code -> (id, name, field_id)."""
    found: dict[str, tuple[int, str, int | None]] = {}
    for chunk in _chunks(codes):
        rows = await s.execute(select(_PROCEDURES.c.code, _PROCEDURES.c.id, _PROCEDURES.c.name,
                                      _PROCEDURES.c.field_id).where(_PROCEDURES.c.code.in_(chunk)))
        found.update((code, (id_, name, field_id)) for code, id_, name, field_id in rows)
    return found


async def upsert_procedures(s: AsyncSession, values: Mapping[str, tuple[str, int | None]]) -> dict[str, int]:
    """Create or update these procedures (code -> (name, field_id)); returns code -> id."""
    if not values:
        return {}
    connection = await s.connection()
    stmt = _insert(connection, _PROCEDURES)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_PROCEDURES.c.code],
        set_={"name": stmt.excluded.name, "field_id": stmt.excluded.field_id, "legal_days": null()})
    rows = await connection.execute(
        stmt.returning(_PROCEDURES.c.code, _PROCEDURES.c.id),
        [{"code": code, "name": name, "field_id": field_id, "legal_days": None}
         for code, (name, field_id) in values.items()])
    return {code: id_ for code, id_ in rows}


async def officers_by_code(s: AsyncSession, keys: Collection[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The stored officers among these (agency_id, code) keys: key -> id."""
    wanted = set(keys)
    found: dict[tuple[int, str], int] = {}
    agencies = {agency_id for agency_id, _ in wanted}
    for chunk in _chunks(sorted({code for _, code in wanted})):
        rows = await s.execute(select(_OFFICERS.c.agency_id, _OFFICERS.c.code, _OFFICERS.c.id)
                               .where(_OFFICERS.c.code.in_(chunk), _OFFICERS.c.agency_id.in_(agencies)))
        found.update(((agency_id, code), id_) for agency_id, code, id_ in rows if (agency_id, code) in wanted)
    return found


async def upsert_officers(s: AsyncSession, names: Mapping[tuple[int, str], str]) -> dict[tuple[int, str], int]:
    """Create or rename these officers ((agency_id, code) -> name); returns key -> id."""
    if not names:
        return {}
    connection = await s.connection()
    stmt = _insert(connection, _OFFICERS)
    stmt = stmt.on_conflict_do_update(index_elements=[_OFFICERS.c.agency_id, _OFFICERS.c.code],
                                      set_={"name": stmt.excluded.name})  # an uploaded photo stays
    rows = await connection.execute(
        stmt.returning(_OFFICERS.c.agency_id, _OFFICERS.c.code, _OFFICERS.c.id),
        [{"agency_id": agency_id, "code": code, "name": name, "photo_url": None, "active": True}
         for (agency_id, code), name in names.items()])
    return {(agency_id, code): id_ for agency_id, code, id_ in rows}


async def sms_contacts(s: AsyncSession, numbers: Mapping[str, str | None], *, now: datetime) -> dict[str, int]:
    """The contact of each SMS address (number -> the applicant's name for a new contact); returns number -> contact id.

    A stored address keeps its contact as it is; a new one gets a new contact (language "vi"). An address
    another transaction adds meanwhile (PostgreSQL) is taken as theirs, and the contact made for it dropped.
    """
    if not numbers:
        return {}
    found = await _sms_addresses(s, numbers)
    new = [number for number in numbers if number not in found]
    if not new:
        return found
    connection = await s.connection()
    values = [{"name": numbers[number], "language": "vi", "created_at": now} for number in new]
    if connection.dialect.name == "postgresql":
        stmt = _insert(connection, _CONTACTS).returning(_CONTACTS.c.id, sort_by_parameter_order=True)
        ids = list((await connection.execute(stmt, values)).scalars())
    else:
        # SQLAlchemy sends an ordered RETURNING one row per statement on SQLite. Unordered, it sends
        # multi-row INSERTs in order, and SQLite gives their rows ascending rowids in VALUES order
        # (each row the largest + 1): the ids sorted are in the order of the values.
        ids = sorted((await connection.execute(_insert(connection, _CONTACTS).returning(_CONTACTS.c.id),
                                               values)).scalars())
    assert len(ids) == len(new)
    made = dict(zip(new, ids))
    stmt = _insert(connection, _ADDRESSES).on_conflict_do_nothing(
        index_elements=[_ADDRESSES.c.channel, _ADDRESSES.c.address])
    added = await connection.execute(
        stmt.returning(_ADDRESSES.c.address),
        [{"contact_id": made[number], "channel": SMS, "address": number, "created_at": now} for number in new])
    raced = set(new) - set(added.scalars())
    found.update((number, contact_id) for number, contact_id in made.items() if number not in raced)
    if raced:
        await connection.execute(delete(_CONTACTS).where(_CONTACTS.c.id.in_([made[n] for n in raced])))
        found.update(await _sms_addresses(s, raced))
    return found


async def _sms_addresses(s: AsyncSession, numbers: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(numbers):
        rows = await s.execute(select(_ADDRESSES.c.address, _ADDRESSES.c.contact_id)
                               .where(_ADDRESSES.c.channel == SMS, _ADDRESSES.c.address.in_(chunk)))
        found.update((address, contact_id) for address, contact_id in rows)
    return found


async def dossier_agencies(s: AsyncSession, codes: Collection[str]) -> dict[str, int]:
    """The stored dossiers among these codes: code -> agency_id."""
    found: dict[str, int] = {}
    for chunk in _chunks(codes):
        rows = await s.execute(select(_DOSSIERS.c.code, _DOSSIERS.c.agency_id).where(_DOSSIERS.c.code.in_(chunk)))
        found.update((code, agency_id) for code, agency_id in rows)
    return found


async def write_dossiers(s: AsyncSession, dossiers: Sequence[DossierValues], *, now: datetime) -> set[str]:
    """Create or update these dossiers (each code once); returns the codes that were created.

    New codes are inserted (ON CONFLICT DO NOTHING: a code another transaction added meanwhile is
    updated instead, and counts as updated); stored ones are updated, so the settlement triggers see
    the same inserts and updates as `upsert_dossier` makes.
    """
    if not dossiers:
        return set()
    stored = await dossier_agencies(s, [d["code"] for d in dossiers])
    connection = await s.connection()
    created: set[str] = set()
    new = [{**d, "created_at": now, "updated_at": now} for d in dossiers if d["code"] not in stored]
    if new:
        stmt = _insert(connection, _DOSSIERS).on_conflict_do_nothing(index_elements=[_DOSSIERS.c.code])
        created = set((await connection.execute(stmt.returning(_DOSSIERS.c.code), new)).scalars())
    changed = [{**{k: v for k, v in d.items() if k != "code"}, "updated_at": now, "key": d["code"]}
               for d in dossiers if d["code"] not in created]
    if changed:
        await connection.execute(update(_DOSSIERS).where(_DOSSIERS.c.code == bindparam("key")), changed)
    return created


async def checkpoint(engine: AsyncEngine) -> None:
    """SQLite: copy the write-ahead log into the database now, outside any transaction (PASSIVE: never waits).

    For a long run of writes such as an import, between two of its transactions: otherwise the
    commit that finds the log over 1,000 pages checkpoints it, and that may be a webhook's.
    """
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None  # an open aiosqlite connection
        await driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
