"""Dossiers (hồ sơ): created or updated from the agency's system, looked up by code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, distinct, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.errors import NotFound
from storage.tables import Agency, Dossier, Evaluation, Officer, Procedure


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


def step_dates(dossier: Dossier) -> list[tuple[date, date]]:
    """Each participating unit's (due_on, done_on) as stored; empty when the steps were not supplied."""
    return [(date.fromisoformat(step["due_on"]), date.fromisoformat(step["done_on"]))
            for step in dossier.unit_steps or ()]


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


class OnlineCounts(NamedTuple):
    """An agency's dossiers received in a period that say whether they were submitted online (indicator 9).

    ``online, total = counts[:2]``; ``late``: online dossiers past their due date as of the period's
    last day; ``procedures`` / ``procedures_online``: distinct procedures among those dossiers, and
    among the online ones.
    """

    online: int
    total: int
    late: int
    procedures: int
    procedures_online: int


async def online_counts(s: AsyncSession, *, first: date, last: date,
                        agency_id: int | None = None) -> dict[int, OnlineCounts]:
    """Per agency, its dossiers received first..last whose ``online`` flag is set (1 or 0), counted.

    Dossiers whose import or API said nothing about it are not counted; an agency none of whose
    dossiers says is absent (indicator 9 cannot be computed for it). Judged as of ``last``: a
    handing back recorded after it is not seen, so a closed period gives the same counts later.
    """
    online = Dossier.online.is_(True)
    returned = and_(Dossier.returned_on.is_not(None), Dossier.returned_on <= last)
    late = and_(online, Dossier.due_on.is_not(None),
                or_(and_(returned, Dossier.returned_on > Dossier.due_on), and_(~returned, Dossier.due_on < last)))
    stmt: Any = (
        select(Dossier.agency_id, func.sum(case((online, 1), else_=0)), func.count(),
               func.sum(case((late, 1), else_=0)), func.count(distinct(Dossier.procedure_id)),
               func.count(distinct(case((online, Dossier.procedure_id)))))
        .where(Dossier.received_on.between(first, last), Dossier.online.is_not(None))
        .group_by(Dossier.agency_id)
    )
    if agency_id is not None:
        stmt = stmt.where(Dossier.agency_id == agency_id)
    return {agency: OnlineCounts(*(int(n or 0) for n in numbers)) for agency, *numbers in await s.execute(stmt)}


async def record_exceptions(s: AsyncSession, dossier_id: int, exceptions: dict[str, Any]) -> list[int]:
    """Store the legal exceptions staff recorded on a dossier; returns the ids of its evaluations."""
    await s.execute(update(Dossier).where(Dossier.id == dossier_id).values(exceptions=exceptions)
                    .execution_options(synchronize_session=False))
    return list((await s.scalars(select(Evaluation.id).where(Evaluation.dossier_id == dossier_id))).all())
