"""Agency-level scores per indicator (self-score, appraisal) and the register of complaints and petitions.

Plain rows in and out; what they mean for a total is survey_flows' business (reports turns them
into ``AgencyEntry`` and ``Complaint``). Every change is written to the audit log in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.messages import audit
from storage.tables import AgencyIndicatorEntry, ComplaintEntry, Dossier, Evaluation, EvaluationFact

BY = ("self", "appraisal")
VERIFICATIONS = ("pending", "confirmed", "untrue")
ORIGINS = ("citizen_answer", "staff")


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One stored figure: points in tenths (15 = 1.5 points)."""

    agency_id: int
    period: str
    indicator: int
    by: str
    points_tenths: int
    note: str
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    """One register entry as stored."""

    id: int
    agency_id: int
    code: str
    received_on: date
    due_on: date
    handled_on: date | None
    protracted_on: date | None
    verification: str
    verified_on: date | None
    dossier_code: str | None
    about_conduct: bool
    origin: str
    outcome: str
    note: str
    created_at: datetime


def _entry(e: AgencyIndicatorEntry) -> EntryRow:
    return EntryRow(e.agency_id, e.period, e.indicator, e.by, e.points_tenths, e.note, e.entered_by, e.entered_at)


def _complaint(c: ComplaintEntry) -> ComplaintRow:
    return ComplaintRow(c.id, c.agency_id, c.code, c.received_on, c.due_on, c.handled_on, c.protracted_on,
                        c.verification, c.verified_on, c.dossier_code, c.about_conduct, c.origin, c.outcome, c.note,
                        c.created_at)


async def set_entry(
    s: AsyncSession, *, agency_id: int, period: str, indicator: int, by: str, points_tenths: int,
    note: str, actor: str, now: datetime,
) -> EntryRow:
    """Record (or replace) one indicator's self-score or appraisal for an agency and period, audited."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, not {by!r}")
    values = {"points_tenths": points_tenths, "note": note, "entered_by": actor, "entered_at": now}
    stmt = dialect_insert(s, AgencyIndicatorEntry).values(
        agency_id=agency_id, period=period, indicator=indicator, by=by, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[AgencyIndicatorEntry.agency_id, AgencyIndicatorEntry.period, AgencyIndicatorEntry.indicator,
                        AgencyIndicatorEntry.by], set_=values)
    await s.execute(stmt)
    await audit(s, actor=actor, action="score.set", subject=f"agency:{agency_id}", now=now,
                detail={"period": period, "indicator": indicator, "by": by, "points": points_tenths / 10,
                        "note": note})
    row = await s.scalar(select(AgencyIndicatorEntry).where(
        AgencyIndicatorEntry.agency_id == agency_id, AgencyIndicatorEntry.period == period,
        AgencyIndicatorEntry.indicator == indicator, AgencyIndicatorEntry.by == by))
    assert row is not None
    await s.refresh(row)
    return _entry(row)


async def entries(s: AsyncSession, *, period: str, agency_id: int | None = None) -> list[EntryRow]:
    """The figures entered for a period (one agency or all), in agency, indicator, by order."""
    stmt = select(AgencyIndicatorEntry).where(AgencyIndicatorEntry.period == period)
    if agency_id is not None:
        stmt = stmt.where(AgencyIndicatorEntry.agency_id == agency_id)
    stmt = stmt.order_by(AgencyIndicatorEntry.agency_id, AgencyIndicatorEntry.indicator, AgencyIndicatorEntry.by)
    return [_entry(e) for e in await s.scalars(stmt)]


async def add_complaint(
    s: AsyncSession, *, agency_id: int, received_on: date, due_on: date, actor: str, now: datetime,
    code: str | None = None, dossier_code: str | None = None, about_conduct: bool = True, origin: str = "staff",
    evaluation_id: int | None = None, note: str = "",
) -> ComplaintRow:
    """Open a register entry (code "PA-<id>" unless given), audited."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    item = ComplaintEntry(agency_id=agency_id, code=code or f"new-{uuid4().hex[:24]}",
                          received_on=received_on, due_on=due_on, dossier_code=dossier_code,
                          about_conduct=about_conduct, origin=origin, evaluation_id=evaluation_id,
                          verification="pending", outcome="", note=note, created_at=now)
    s.add(item)
    await s.flush()
    if not code:
        item.code = f"PA-{item.id:05d}"
        await s.flush()
    await audit(s, actor=actor, action="complaint.add", subject=f"complaint:{item.code}", now=now,
                detail={"agency_id": agency_id, "received_on": received_on.isoformat(),
                        "due_on": due_on.isoformat(), "dossier_code": dossier_code, "origin": origin,
                        "about_conduct": about_conduct})
    return _complaint(item)


async def open_complaint_from_answer(
    s: AsyncSession, *, evaluation_id: int, agency_id: int, dossier_code: str, received_on: date, due_on: date,
    now: datetime,
) -> ComplaintRow | None:
    """The register entry a citizen's "the officer caused trouble" answer opens (once per evaluation)."""
    if await s.scalar(select(ComplaintEntry.id).where(ComplaintEntry.evaluation_id == evaluation_id)) is not None:
        return None
    return await add_complaint(s, agency_id=agency_id, received_on=received_on, due_on=due_on, actor="citizen",
                               now=now, dossier_code=dossier_code, about_conduct=True, origin="citizen_answer",
                               evaluation_id=evaluation_id)


async def find_complaint(s: AsyncSession, code: str) -> ComplaintRow | None:
    """A register entry by its code."""
    item = await s.scalar(select(ComplaintEntry).where(ComplaintEntry.code == code))
    return _complaint(item) if item is not None else None


async def update_complaint(s: AsyncSession, code: str, *, actor: str, now: datetime, **changes: Any) -> ComplaintRow:
    """Change a register entry (handled_on, protracted_on, verification + verified_on, outcome, note), audited.

    Raises LookupError when there is no entry with that code.
    """
    allowed = {"handled_on", "protracted_on", "verification", "verified_on", "outcome", "note"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    if "verification" in changes and changes["verification"] not in VERIFICATIONS:
        raise ValueError(f"verification must be one of {VERIFICATIONS}")
    item = await s.scalar(select(ComplaintEntry).where(ComplaintEntry.code == code))
    if item is None:
        raise LookupError(code)
    before = {k: _plain(getattr(item, k)) for k in changes}
    for key, value in changes.items():
        setattr(item, key, value)
    await s.flush()
    await audit(s, actor=actor, action="complaint.update", subject=f"complaint:{code}", now=now,
                detail={"before": before, "after": {k: _plain(v) for k, v in changes.items()}})
    return _complaint(item)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def complaints(
    s: AsyncSession, *, agency_id: int | None = None, received_by: date | None = None,
) -> list[ComplaintRow]:
    """Register entries (one agency or all; received on or before ``received_by``), oldest first."""
    stmt = select(ComplaintEntry)
    if agency_id is not None:
        stmt = stmt.where(ComplaintEntry.agency_id == agency_id)
    if received_by is not None:
        stmt = stmt.where(ComplaintEntry.received_on <= received_by)
    return [_complaint(c) for c in await s.scalars(stmt.order_by(ComplaintEntry.received_on, ComplaintEntry.id))]


async def timeliness_counts(
    s: AsyncSession, *, first: date, last: date, agency_id: int | None = None,
) -> dict[int, tuple[int, int, int]]:
    """Agency id → evaluated dossiers of days first..last by indicator 1: (late, on time, early)."""
    stmt = (select(EvaluationFact.agency_id, EvaluationFact.i1, func.count())
            .where(EvaluationFact.day.between(first, last), EvaluationFact.i1.is_not(None))
            .group_by(EvaluationFact.agency_id, EvaluationFact.i1))
    if agency_id is not None:
        stmt = stmt.where(EvaluationFact.agency_id == agency_id)
    out: dict[int, list[int]] = {}
    for agency, points, count in await s.execute(stmt):
        if points in (0, 1, 2):
            out.setdefault(agency, [0, 0, 0])[points] += int(count)
    return {a: (c[0], c[1], c[2]) for a, c in out.items()}


async def evaluated_timeliness(
    s: AsyncSession, *, first: date, last: date, dossier_codes: set[str], agency_id: int | None = None,
) -> list[tuple[int, str, int]]:
    """(agency id, dossier code, indicator 1) of the evaluated dossiers of days first..last among ``dossier_codes``."""
    if not dossier_codes:
        return []
    stmt = (select(EvaluationFact.agency_id, Dossier.code, EvaluationFact.i1)
            .join(Evaluation, Evaluation.id == EvaluationFact.evaluation_id)
            .join(Dossier, Dossier.id == Evaluation.dossier_id)
            .where(EvaluationFact.day.between(first, last), EvaluationFact.i1.is_not(None),
                   Dossier.code.in_(sorted(dossier_codes))))
    if agency_id is not None:
        stmt = stmt.where(EvaluationFact.agency_id == agency_id)
    return [(a, c, int(p or 0)) for a, c, p in await s.execute(stmt)]
