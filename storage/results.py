"""Aggregation queries for reports: plain rows of counts and sums, never percentages or bands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.tables import (
    Agency,
    AgencyScore,
    Answer,
    Dossier,
    EvaluationFact,
    Field,
    FollowUp,
    Officer,
    Procedure,
    Survey,
)

#: Answer field → fact column. A new scored field needs a column and a migration.
LEVEL_COLUMNS = {
    "satisfaction.overall": "overall",
    "satisfaction.convenience": "convenience",
    "satisfaction.timeliness": "timeliness",
    "satisfaction.officer_attitude": "attitude",
}
POINT_COLUMNS = {f"indicator.{n}": f"i{n}" for n in (1, 2, 3, 4, 6, 7)}
#: Evaluations re-checked below the newest fact: covers transactions that commit out of id order.
REFRESH_MARGIN = 1000


class Dimension(StrEnum):
    """What a report row is grouped by (besides the agency)."""

    AGENCY = "agency"
    FIELD = "field"
    PROCEDURE = "procedure"
    OFFICER = "officer"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class FactTotals:
    """Counts of one group: evaluations, per-level counts of each level field, (sum, count) of each indicator."""

    agency_id: int
    key: int | str | None
    evaluations: int
    levels: dict[str, tuple[int, int, int]]
    points: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class SettlementCounts:
    """Form II.06a figures of one group, in dates of the period."""

    agency_id: int
    key: int | None
    received: int
    carried_over: int
    early: int
    on_time: int
    late: int
    pending_within: int
    pending_past: int


async def invitation_counts(
    s: AsyncSession, *, start: datetime, end: datetime, agency_id: int | None = None
) -> list[tuple[int, str, int, int]]:
    """(agency_id, channel, invited, answered) of surveys created in [start, end)."""
    channel = func.coalesce(Survey.channel, "")
    answered = func.sum(case((Survey.status.in_(("completed", "duplicate")), 1), else_=0))
    stmt = (
        select(Dossier.agency_id, channel, func.count(), answered)
        .join(Dossier, Dossier.id == Survey.dossier_id)
        .where(Survey.created_at >= start, Survey.created_at < end)
        .group_by(Dossier.agency_id, channel)
        .order_by(Dossier.agency_id, channel)
    )
    if agency_id is not None:
        stmt = stmt.where(Dossier.agency_id == agency_id)
    return [(a, c, int(n), int(k or 0)) for a, c, n, k in await s.execute(stmt)]


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


async def settlement_detail(
    s: AsyncSession, *, first: date, last: date, agency_id: int | None = None
) -> list[tuple[int, int | None, int | None, tuple[int, ...]]]:
    """(agency, procedure, officer, counts) of dossiers open or returned over days first..last (covering index).

    Counts: received, carried over, settled early / on time / late, pending within / past deadline.
    One pass over the covering index; callers add the groups up by field, procedure or officer.
    """
    returned, due = Dossier.returned_on, Dossier.due_on
    settled = returned.between(first, last)
    pending = or_(returned.is_(None), returned > last)
    stmt = (
        select(Dossier.agency_id, Dossier.procedure_id, Dossier.officer_id,
               _count(Dossier.received_on >= first), _count(Dossier.received_on < first),
               _count(and_(settled, returned < due)), _count(and_(settled, or_(due.is_(None), returned == due))),
               _count(and_(settled, returned > due)), _count(and_(pending, or_(due.is_(None), due >= last))),
               _count(and_(pending, due < last)))
        .where(Dossier.received_on <= last, or_(returned.is_(None), returned >= first))
        .group_by(Dossier.agency_id, Dossier.procedure_id, Dossier.officer_id)
    )
    if agency_id is not None:
        stmt = stmt.where(Dossier.agency_id == agency_id)
    return [(a, p, o, tuple(int(n or 0) for n in counts)) for a, p, o, *counts in await s.execute(stmt)]


async def procedure_fields(s: AsyncSession) -> dict[int, int | None]:
    """Procedure id → its field id."""
    return {p: f for p, f in await s.execute(select(Procedure.id, Procedure.field_id))}


async def group_names(s: AsyncSession, by: Dimension) -> dict[Any, str]:
    """Display names of the group keys of a dimension (agencies for AGENCY; channels have none)."""
    table = {Dimension.AGENCY: Agency, Dimension.FIELD: Field, Dimension.PROCEDURE: Procedure,
             Dimension.OFFICER: Officer}.get(by)
    if table is None:
        return {}
    columns = table.__table__.c  # every dimension table has an id and a name
    return {id_: name for id_, name in await s.execute(select(columns.id, columns.name))}


async def agency_names(s: AsyncSession) -> dict[int, tuple[str, str]]:
    """Agency id → (code, name)."""
    return {i: (c, n) for i, c, n in await s.execute(select(Agency.id, Agency.code, Agency.name))}


async def set_agency_score(
    s: AsyncSession, *, agency_id: int, period: str, now: datetime,
    self_score: float | None = None, appraisal_score: float | None = None,
) -> None:
    """Record the self-score and/or the appraisal of an agency for a period (the other is kept)."""
    values = {k: v for k, v in (("self_score", self_score), ("appraisal_score", appraisal_score)) if v is not None}
    stmt = dialect_insert(s, AgencyScore).values(agency_id=agency_id, period=period, updated_at=now, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[AgencyScore.agency_id, AgencyScore.period],
                                      set_={**values, "updated_at": now})
    await s.execute(stmt)


async def agency_scores(s: AsyncSession, *, period: str) -> dict[int, tuple[float | None, float | None]]:
    """Agency id → (self-score, appraisal) recorded for a period."""
    stmt = select(AgencyScore.agency_id, AgencyScore.self_score, AgencyScore.appraisal_score)
    return {a: (m, p) for a, m, p in await s.execute(stmt.where(AgencyScore.period == period))}


async def open_follow_up(
    s: AsyncSession, *, evaluation_id: int, agency_id: int, dossier_code: str, reason: str,
    now: datetime, days: int,
) -> bool:
    """Open the follow-up of an evaluation (once); False when it already had one."""
    stmt = dialect_insert(s, FollowUp).values(
        evaluation_id=evaluation_id, agency_id=agency_id, dossier_code=dossier_code, reason=reason,
        opened_at=now, due_at=now + timedelta(days=days),
    ).on_conflict_do_nothing(index_elements=[FollowUp.evaluation_id])
    return (await s.execute(stmt.returning(FollowUp.id))).scalar_one_or_none() is not None


async def close_follow_up(s: AsyncSession, *, dossier_code: str, now: datetime, note: str | None = None) -> bool:
    """Mark a dossier's open follow-up handled; False when there is none open."""
    item = await s.scalar(select(FollowUp).where(FollowUp.dossier_code == dossier_code,
                                                  FollowUp.closed_at.is_(None)))
    if item is None:
        return False
    item.closed_at, item.note = now, note
    await s.flush()
    return True


async def follow_up_counts(
    s: AsyncSession, *, start: datetime, end: datetime, now: datetime, agency_id: int | None = None
) -> dict[int, tuple[int, int, int]]:
    """Agency id → (opened, handled on time, overdue) of follow-ups opened in [start, end)."""
    on_time = _count(and_(FollowUp.closed_at.is_not(None), FollowUp.closed_at <= FollowUp.due_at))
    overdue = _count(or_(FollowUp.closed_at > FollowUp.due_at,
                         and_(FollowUp.closed_at.is_(None), FollowUp.due_at < now)))
    stmt = (select(FollowUp.agency_id, func.count(), on_time, overdue)
            .where(FollowUp.opened_at >= start, FollowUp.opened_at < end).group_by(FollowUp.agency_id))
    if agency_id is not None:
        stmt = stmt.where(FollowUp.agency_id == agency_id)
    return {a: (int(n), int(k or 0), int(o or 0)) for a, n, k, o in await s.execute(stmt)}


async def answer_rows(
    s: AsyncSession, *, first: date, last: date, agency_id: int | None = None
) -> list[tuple[Any, ...]]:
    """Anonymous answers: (evaluation id, agency code, day, channel, procedure code, field, value, level, items).

    Free-text comments are left out: people write names and phone numbers in them.
    """
    stmt = (
        select(EvaluationFact.evaluation_id, Agency.code, EvaluationFact.day, EvaluationFact.channel,
               Procedure.code, Answer.field, Answer.value, Answer.level, Answer.items)
        .join(Answer, Answer.evaluation_id == EvaluationFact.evaluation_id)
        .join(Agency, Agency.id == EvaluationFact.agency_id)
        .outerjoin(Procedure, Procedure.id == EvaluationFact.procedure_id)
        .where(EvaluationFact.day.between(first, last), Answer.text.is_(None))
        .order_by(EvaluationFact.evaluation_id, Answer.field)
    )
    if agency_id is not None:
        stmt = stmt.where(EvaluationFact.agency_id == agency_id)
    return [tuple(row) for row in await s.execute(stmt)]


async def answer_value_counts(
    s: AsyncSession, *, first: date, last: date, agency_id: int | None = None
) -> list[tuple[int, str, int | None, int | None, int]]:
    """(agency id, field, value, level, answers) of the satisfaction questions answered in a window: each
    raw value kept (a 5-level "4" apart from a "5"), beside the canonical level it rolls up to."""
    count = func.count(Answer.id)
    stmt = (
        select(EvaluationFact.agency_id, Answer.field, Answer.value, Answer.level, count)
        .join(Answer, Answer.evaluation_id == EvaluationFact.evaluation_id)
        .where(EvaluationFact.day.between(first, last), Answer.field.in_(list(LEVEL_COLUMNS)))
        .group_by(EvaluationFact.agency_id, Answer.field, Answer.value, Answer.level)
        .order_by(EvaluationFact.agency_id, Answer.field, Answer.value, Answer.level)
    )
    if agency_id is not None:
        stmt = stmt.where(EvaluationFact.agency_id == agency_id)
    return [(a, f, v, lv, int(n)) for a, f, v, lv, n in await s.execute(stmt)]


async def agency_settings(s: AsyncSession, agency_id: int) -> dict[str, Any]:
    """The settings JSON of an agency ({} when it has none)."""
    return dict(await s.scalar(select(Agency.settings).where(Agency.id == agency_id)) or {})
