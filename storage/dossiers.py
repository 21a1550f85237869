"""Dossiers (hồ sơ): created or updated from the agency's system, looked up by code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.errors import NotFound
from storage.tables import Agency, Dossier, Officer, Procedure


async def upsert_dossier(
    s: AsyncSession,
    *,
    code: str,
    agency_id: int,
    status: int,
    received_on: date,
    due_on: date | None = None,
    returned_on: date | None = None,
    procedure_id: int | None = None,
    officer_id: int | None = None,
    contact_id: int | None = None,
    now: datetime,
) -> tuple[Dossier, bool]:
    """Create or update the dossier with this code; True when it was created."""
    values = {
        "agency_id": agency_id,
        "status": status,
        "received_on": received_on,
        "due_on": due_on,
        "returned_on": returned_on,
        "procedure_id": procedure_id,
        "officer_id": officer_id,
        "contact_id": contact_id,
        "updated_at": now,
    }
    # DO NOTHING … RETURNING tells a creation from an update without a racy prior SELECT.
    insert = dialect_insert(s, Dossier).values(code=code, created_at=now, **values)
    insert = insert.on_conflict_do_nothing(index_elements=[Dossier.code]).returning(Dossier.id)
    created = (await s.execute(insert)).scalar_one_or_none() is not None
    if not created:
        stmt = update(Dossier).where(Dossier.code == code).values(**values)
        await s.execute(stmt.execution_options(synchronize_session=False))
    dossier = await s.scalar(
        select(Dossier).where(Dossier.code == code).execution_options(populate_existing=True)
    )
    assert dossier is not None
    return dossier, created


async def find_dossier(s: AsyncSession, code: str) -> Dossier | None:
    """The dossier with this code, or None (codes are stored as given: normalise before)."""
    return await s.scalar(select(Dossier).where(Dossier.code == code))


async def get_dossier(s: AsyncSession, dossier_id: int) -> Dossier:
    """The dossier with this id; NotFound when there is none."""
    dossier = await s.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"dossier {dossier_id} does not exist")
    return dossier


_NAMES = (
    select(Dossier.code, Agency.name, Procedure.name, Officer.name)
    .join(Agency, Agency.id == Dossier.agency_id)
    .outerjoin(Procedure, Procedure.id == Dossier.procedure_id)
    .outerjoin(Officer, Officer.id == Dossier.officer_id)
    .where(Dossier.id == bindparam("dossier_id"))
)


async def dossier_names(s: AsyncSession, dossier_id: int) -> dict[str, str]:
    """The names a survey text may show: dossier code, agency, procedure and officer."""
    row = (await s.execute(_NAMES, {"dossier_id": dossier_id})).one_or_none()
    if row is None:
        raise NotFound(f"dossier {dossier_id} does not exist")
    names = dict(zip(("dossier_code", "agency", "procedure", "officer"), row))
    return {key: value for key, value in names.items() if value}
