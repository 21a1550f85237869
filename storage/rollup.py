"""Pre-aggregation for reports: evaluations flattened to facts, facts summed per half-month bucket.

A report period is a union of half-month buckets (1st to the day before the cut-off, cut-off
day to the month's end) whether it uses cut-off or calendar windows, so a quarterly report
sums a few thousand bucket rows instead of scanning every evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, case, cast, delete, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.affected import affected
from storage.db import dialect_insert
from storage.results import LEVEL_COLUMNS, POINT_COLUMNS, REFRESH_MARGIN, Dimension, FactTotals
from storage.tables import Answer, Dossier, Evaluation, EvaluationFact, FactBucket, Procedure

_KEYS = {
    Dimension.AGENCY: literal(""),
    Dimension.FIELD: EvaluationFact.field_id,
    Dimension.PROCEDURE: EvaluationFact.procedure_id,
    Dimension.OFFICER: EvaluationFact.officer_id,
    Dimension.CHANNEL: EvaluationFact.channel,
}
_LOCK_ID = 61_2018  # PostgreSQL advisory lock: one refresh at a time, or buckets would count twice
_SUMS = [f"{c}_{lv}" for c in LEVEL_COLUMNS.values() for lv in (0, 1, 2)] + \
    [f"{c}_{part}" for c in POINT_COLUMNS.values() for part in ("sum", "n")]


def _is_pg(s: AsyncSession) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _local_day(s: AsyncSession, column: Any, tz: str) -> Any:
    """The calendar date of a UTC timestamp in the zone `tz`, computed by the database."""
    if _is_pg(s):
        return cast(func.timezone(tz, column), Date)
    # SQLite has no zone database: a fixed offset, exact for zones without DST (Asia/Ho_Chi_Minh).
    offset = ZoneInfo(tz).utcoffset(datetime(2000, 1, 1))
    assert offset is not None  # a named zone always has an offset
    minutes = int(offset.total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def _bucket(s: AsyncSession, grid: int) -> Any:
    """The first day of the half-month bucket of a fact's day."""
    day = EvaluationFact.day
    if _is_pg(s):
        month: Any = cast(func.date_trunc("month", day), Date)
        return case((func.extract("day", day) < grid, month), else_=month + (grid - 1))
    month = func.date(day, "start of month")
    return case((cast(func.strftime("%d", day), Integer) < grid, month),
                else_=func.date(day, "start of month", f"+{grid - 1} days"))


def _answer(field: str, column: Any) -> Any:
    return func.max(case((Answer.field == field, column)))


async def refresh_facts(s: AsyncSession, *, tz: str, grid: int = 15) -> int:
    """Flatten evaluations not yet in evaluation_facts and add them to the buckets; returns how many."""
    if _is_pg(s):
        await s.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_ID})"))
    newest = await s.scalar(select(func.max(EvaluationFact.evaluation_id))) or 0
    batch = (await s.scalar(select(func.max(EvaluationFact.batch))) or 0) + 1
    known = select(EvaluationFact.evaluation_id).where(EvaluationFact.evaluation_id == Evaluation.id)
    scored = [_answer(f, Answer.level).label(c) for f, c in LEVEL_COLUMNS.items()]
    scored += [_answer(f, Answer.value).label(c) for f, c in POINT_COLUMNS.items()]
    rows = (
        select(Evaluation.id, Evaluation.agency_id, _local_day(s, Evaluation.completed_at, tz),
               Evaluation.channel, Evaluation.officer_id, Dossier.procedure_id, Procedure.field_id, *scored,
               literal(batch))
        .join(Dossier, Dossier.id == Evaluation.dossier_id)
        .outerjoin(Procedure, Procedure.id == Dossier.procedure_id)
        .outerjoin(Answer, Answer.evaluation_id == Evaluation.id)
        .where(Evaluation.id > newest - REFRESH_MARGIN, ~known.exists())
        .group_by(Evaluation.id, Evaluation.agency_id, Evaluation.completed_at, Evaluation.channel,
                  Evaluation.officer_id, Dossier.procedure_id, Procedure.field_id)
    )
    columns = ["evaluation_id", "agency_id", "day", "channel", "officer_id", "procedure_id", "field_id",
               *LEVEL_COLUMNS.values(), *POINT_COLUMNS.values(), "batch"]
    stmt = dialect_insert(s, EvaluationFact).from_select(columns, rows).on_conflict_do_nothing()
    added = (await affected(s, stmt)) or 0
    if await s.scalar(select(FactBucket.grid).where(FactBucket.grid == grid).limit(1)) is None:
        await s.execute(delete(FactBucket))  # first use, or the cut-off day changed: rebuild
        await _roll_up(s, grid, literal(True))
    elif added:
        await _roll_up(s, grid, EvaluationFact.batch == batch)
    return added


async def reroll_evaluations(
    s: AsyncSession, evaluation_ids: Iterable[int], *, points: Mapping[int, Mapping[str, int | None]] | None = None,
) -> int:
    """Recompute the facts of these evaluations and fix the bucket sums; returns how many facts changed.

    For a score that changes after the evaluation was flattened: a legal exception staff record on
    its dossier (indicators 3, 4), a complaint verified untrue (indicator 7). ``points`` gives,
    per evaluation id, the new value of some indicator fields (``{"indicator.3": 1}``; None: not
    scored); an evaluation without an entry there gets its scored columns back from its stored
    answers. Evaluations not flattened yet are left to ``refresh_facts``, which flattens the
    stored answers: a caller that adjusts scores runs its adjustment again after each refresh.
    The buckets lose the old facts and gain the new ones in the same transaction.
    """
    ids = sorted(set(evaluation_ids))
    if not ids:
        return 0
    if _is_pg(s):
        await s.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_ID})"))
    facts = set((await s.scalars(select(EvaluationFact.evaluation_id)
                                 .where(EvaluationFact.evaluation_id.in_(ids)))).all())
    if not facts:
        return 0
    grids = list((await s.scalars(select(FactBucket.grid).distinct())).all())
    chosen = EvaluationFact.evaluation_id.in_(sorted(facts))
    for grid in grids:
        await _roll_up(s, grid, chosen, sign=-1)
    given = points or {}
    stored = await _stored_scores(s, [i for i in facts if i not in given])
    for evaluation_id in sorted(facts):
        values = {POINT_COLUMNS[f]: v for f, v in given[evaluation_id].items() if f in POINT_COLUMNS} \
            if evaluation_id in given else stored.get(evaluation_id, {})
        if values:
            await s.execute(update(EvaluationFact).where(EvaluationFact.evaluation_id == evaluation_id)
                            .values(**values).execution_options(synchronize_session=False))
    for grid in grids:
        await _roll_up(s, grid, chosen)
    return len(facts)


async def _stored_scores(s: AsyncSession, evaluation_ids: list[int]) -> dict[int, dict[str, int | None]]:
    """The scored fact columns of these evaluations as their stored answers give them."""
    if not evaluation_ids:
        return {}
    out: dict[int, dict[str, int | None]] = {i: {**dict.fromkeys(LEVEL_COLUMNS.values()),
                                                 **dict.fromkeys(POINT_COLUMNS.values())} for i in evaluation_ids}
    rows = await s.execute(select(Answer.evaluation_id, Answer.field, Answer.value, Answer.level)
                           .where(Answer.evaluation_id.in_(evaluation_ids),
                                  Answer.field.in_([*LEVEL_COLUMNS, *POINT_COLUMNS])))
    for evaluation_id, field, value, level in rows:
        if field in LEVEL_COLUMNS:
            out[evaluation_id][LEVEL_COLUMNS[field]] = level
        else:
            out[evaluation_id][POINT_COLUMNS[field]] = value
    return out


def _sum_columns(sign: int = 1) -> list[Any]:
    out: list[Any] = []
    for name in LEVEL_COLUMNS.values():
        column = getattr(EvaluationFact, name)
        out += [sign * func.sum(case((column == level, 1), else_=0)) for level in (0, 1, 2)]
    for name in POINT_COLUMNS.values():
        column = getattr(EvaluationFact, name)
        out += [sign * func.coalesce(func.sum(column), 0), sign * func.count(column)]
    return out


async def _roll_up(s: AsyncSession, grid: int, which: Any, *, sign: int = 1) -> None:
    """Add the facts `which` selects to the buckets of each dimension (sign -1: take them out)."""
    for dimension, key_column in _KEYS.items():
        key = func.coalesce(cast(key_column, String), "")
        bucket = _bucket(s, grid)
        rows = select(literal(grid), bucket, EvaluationFact.agency_id, literal(dimension.value), key,
                      sign * func.count(), *_sum_columns(sign)).group_by(bucket, EvaluationFact.agency_id, key)
        rows = rows.where(which)
        columns = ["grid", "bucket", "agency_id", "dimension", "key", "evaluations", *_SUMS]
        stmt = dialect_insert(s, FactBucket).from_select(columns, rows)
        added = {c: getattr(FactBucket, c) + getattr(stmt.excluded, c) for c in ["evaluations", *_SUMS]}
        await s.execute(stmt.on_conflict_do_update(
            index_elements=["grid", "bucket", "agency_id", "dimension", "key"], set_=added))


def _aligned(first: date, last: date, grid: int) -> bool:
    """True when the window is a union of whole buckets."""
    return first.day in (1, grid) and (last + timedelta(days=1)).day in (1, grid)


async def fact_totals(
    s: AsyncSession, *, first: date, last: date, by: Dimension, agency_id: int | None = None, grid: int = 15,
) -> list[FactTotals]:
    """Totals per agency and group over evaluations completed on local days first..last."""
    if not _aligned(first, last, grid):
        return await _fact_scan(s, first, last, by, agency_id)
    sums = [func.sum(getattr(FactBucket, c)) for c in ["evaluations", *_SUMS]]
    stmt = (select(FactBucket.agency_id, FactBucket.key, *sums)
            .where(FactBucket.grid == grid, FactBucket.dimension == by.value, FactBucket.bucket.between(first, last))
            .group_by(FactBucket.agency_id, FactBucket.key).order_by(FactBucket.agency_id, FactBucket.key))
    if agency_id is not None:
        stmt = stmt.where(FactBucket.agency_id == agency_id)
    return [_totals(a, _key(by, k), n) for a, k, *n in await s.execute(stmt)]


async def _fact_scan(s: AsyncSession, first: date, last: date, by: Dimension, agency_id: int | None) -> list[Any]:
    """Totals from the facts themselves, for a window that does not fall on bucket edges."""
    key: Any = _KEYS[by].label("key")
    stmt = (select(EvaluationFact.agency_id, key, func.count(), *_sum_columns())
            .where(EvaluationFact.day.between(first, last))
            .group_by(EvaluationFact.agency_id, key).order_by(EvaluationFact.agency_id, key))
    if agency_id is not None:
        stmt = stmt.where(EvaluationFact.agency_id == agency_id)
    return [_totals(a, None if k == "" else k, n) for a, k, *n in await s.execute(stmt)]


def _key(by: Dimension, stored: str) -> int | str | None:
    if stored == "":
        return None
    return stored if by is Dimension.CHANNEL else int(stored)


def _totals(agency_id: int, key: Any, numbers: list[Any]) -> FactTotals:
    evaluations, *rest = (int(n or 0) for n in numbers)
    levels = {f: tuple(rest[3 * i:3 * i + 3]) for i, f in enumerate(LEVEL_COLUMNS)}
    rest = rest[3 * len(LEVEL_COLUMNS):]
    points = {f: (rest[2 * i], rest[2 * i + 1]) for i, f in enumerate(POINT_COLUMNS)}
    return FactTotals(agency_id, key, evaluations, levels, points)  # type: ignore[arg-type]


async def trend(
    s: AsyncSession, *, windows: list[tuple[date, date]], agency_id: int | None, grid: int = 15
) -> list[dict[int, tuple[int, int]]]:
    """Per window, agency id → (satisfied, responses) of satisfaction.overall."""
    out = []
    for first, last in windows:
        totals = await fact_totals(s, first=first, last=last, by=Dimension.AGENCY, agency_id=agency_id, grid=grid)
        out.append({t.agency_id: (sum(t.levels["satisfaction.overall"][1:]), sum(t.levels["satisfaction.overall"]))
                    for t in totals})
    return out
