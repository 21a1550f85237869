"""Settlement figures (form II.06a) pre-aggregated per half-month bucket, exact under dossier updates.

The database logs every change to a dossier's keys or dates: triggers (migration 0006) append the
old values as a −1 row and the new ones as a +1 row to `settlement_changes`, in the writer's own
transaction, whoever writes (storage, a bulk import, plain SQL). Before a report,
`refresh_settlement` empties that log into two tables, per agency, procedure and officer:

- `settlement_buckets`, for dossiers returned in or after the bucket they were received in:
  received per bucket, settled early / on time / late per bucket, and how many are still open at
  the end of each bucket they span (within or past their deadline);
- `settlement_spans`, for the rest (not returned yet, returned "before" they were received, or
  open for more than MAX_OPEN_BUCKETS buckets):
  their received, returned and past-deadline buckets, read with the same conditions as the
  dossier query but on bucket dates.

A window made of whole buckets (every cut-off or calendar period: buckets split each month at
the cut-off day) then reads a few rows per group and bucket; any other window falls back to
`storage.results.settlement_detail`, the query over the dossiers that these figures must equal
(tests/storage/test_storage_settlement.py compares both on random dossiers).

A later migration that rebuilds `dossiers` on SQLite (batch mode copies the table) drops its
triggers: it must create them again, as 0006 does, or the buckets stop following the dossiers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, SmallInteger, String, and_, case, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import dialect_insert
from storage.results import Dimension, SettlementCounts, settlement_detail
from storage.tables import Base, Dossier

#: Stands for "no such day": not returned yet, or never past its deadline (no due date).
NEVER = date(9999, 12, 31)
#: The dimensions kept; fields are added up from procedures by the caller (a procedure may move).
DIMENSIONS = (Dimension.AGENCY, Dimension.PROCEDURE, Dimension.OFFICER)
#: A dossier open longer than this many buckets is kept as a span rather than one row per bucket.
MAX_OPEN_BUCKETS = 48
_LOCK_ID = 61_2019  # PostgreSQL advisory lock: one refresh at a time, or a change would count twice
_COUNTS = ("received", "early", "on_time", "late", "open_within", "open_past")
_SPAN_COUNTS = ("dossiers", "early", "on_time", "late")
_RELATION = {-1: "early", 0: "on_time", 1: "late"}


class SettlementChange(Base):
    """One logged change of a dossier's keys or dates: its old values (−1) or its new ones (+1)."""

    __tablename__ = "settlement_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    sign: Mapped[int] = mapped_column(SmallInteger)
    agency_id: Mapped[int]
    procedure_id: Mapped[int | None]
    officer_id: Mapped[int | None]
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)


class SettlementBucket(Base):
    """Counts of one bucket for dossiers returned in or after their received bucket (key 0: none/all)."""

    __tablename__ = "settlement_buckets"
    __table_args__ = {"sqlite_with_rowid": False}  # rows stored in key order: a window reads them without lookups
    grid: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # the cut-off day the buckets split at
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    received: Mapped[int]  # received in this bucket
    early: Mapped[int]  # returned in this bucket before / on / after the due day
    on_time: Mapped[int]
    late: Mapped[int]
    open_within: Mapped[int]  # received by the end of this bucket, returned after it, due day not passed
    open_past: Mapped[int]  # … due day passed by the bucket's last day


class SettlementSpan(Base):
    """Dossiers not returned yet (returned = NEVER) or returned in a bucket before their received one."""

    __tablename__ = "settlement_spans"
    grid: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    received: Mapped[date] = mapped_column(Date, primary_key=True)  # bucket of received_on
    returned: Mapped[date] = mapped_column(Date, primary_key=True)  # bucket of returned_on, or NEVER
    past_from: Mapped[date] = mapped_column(Date, primary_key=True)  # first bucket ending after the due day
    dossiers: Mapped[int]
    early: Mapped[int]
    on_time: Mapped[int]
    late: Mapped[int]


def bucket_of(day: date, grid: int) -> date:
    """The first day of the half-month bucket holding `day` (1st to grid−1, grid to the month's end)."""
    return day.replace(day=1) if day.day < grid else day.replace(day=grid)


def next_bucket(bucket: date, grid: int) -> date:
    """The first day of the bucket after `bucket`."""
    if bucket.day == 1 and grid > 1:
        return bucket.replace(day=grid)
    return date(bucket.year + bucket.month // 12, bucket.month % 12 + 1, 1)


def aligned(first: date, last: date, grid: int) -> bool:
    """True when the window first..last is a union of whole buckets."""
    return last < date.max and first.day in (1, grid) and (last + timedelta(days=1)).day in (1, grid)


@lru_cache(maxsize=65536)
def _shape(received: date, due: date | None, returned: date | None, grid: int) -> tuple[bool, tuple[Any, ...]]:
    """Where one dossier counts: (True, ((bucket, column), …)) or (False, (received, returned, past_from, relation)).

    `past_from` is the bucket of the day after the due day: from the end of that bucket on, the due
    day lies before the last day of any window ending there ("due_on < last" of the dossier query).
    """
    rb = bucket_of(received, grid)
    past = bucket_of(due + timedelta(days=1), grid) if due is not None and due < NEVER else NEVER
    relation = None
    if returned is not None:
        relation = _RELATION[0 if due is None or returned == due else (-1 if returned < due else 1)]
        tb = bucket_of(returned, grid)
        if tb >= rb:
            cells: list[tuple[date, str]] = [(rb, "received"), (tb, relation)]
            x, steps = rb, 0
            while x < tb and steps <= MAX_OPEN_BUCKETS:
                cells.append((x, "open_past" if past <= x else "open_within"))
                x, steps = next_bucket(x, grid), steps + 1
            if x >= tb:
                return True, tuple(cells)
            return False, (rb, tb, past, relation)  # open for years: one span rather than a row per bucket
        return False, (rb, tb, NEVER, relation)  # never pending: it cannot be open at a window's end
    return False, (rb, NEVER, past, None)


def _add(rows: Iterable[Any], grid: int, buckets: dict[tuple[Any, ...], list[int]], spans: dict[tuple[Any, ...], list[int]]) -> None:
    """Add the signed contributions of (sign, agency, procedure, officer, received, due, returned) rows."""
    index, span_index = {c: i for i, c in enumerate(_COUNTS)}, {c: i for i, c in enumerate(_SPAN_COUNTS)}
    for sign, agency, procedure, officer, received, due, returned in rows:
        decomposed, shape = _shape(received, due, returned, grid)
        groups = ((agency, Dimension.AGENCY.value, 0), (agency, Dimension.PROCEDURE.value, procedure or 0),
                  (agency, Dimension.OFFICER.value, officer or 0))
        if decomposed:
            for group in groups:
                for bucket, column in shape:
                    counts = buckets.get((bucket, *group))
                    if counts is None:
                        counts = buckets[(bucket, *group)] = [0] * len(_COUNTS)
                    counts[index[column]] += sign
            continue
        rb, tb, past, relation = shape
        for group in groups:
            counts = spans.get((*group, rb, tb, past))
            if counts is None:
                counts = spans[(*group, rb, tb, past)] = [0] * len(_SPAN_COUNTS)
            counts[0] += sign
            if relation is not None:
                counts[span_index[relation]] += sign


def _is_pg(s: AsyncSession) -> bool:
    return s.get_bind().dialect.name == "postgresql"


async def _write(s: AsyncSession, grid: int, buckets: dict[tuple[Any, ...], list[int]], spans: dict[tuple[Any, ...], list[int]]) -> None:
    """Add counts to the stored rows (a new row starts at zero)."""
    for table, keys, columns, sums in (
        (SettlementBucket, ("bucket", "agency_id", "dimension", "key"), _COUNTS, buckets),
        (SettlementSpan, ("agency_id", "dimension", "key", "received", "returned", "past_from"), _SPAN_COUNTS, spans),
    ):
        values = [{"grid": grid, **dict(zip(keys, key)), **dict(zip(columns, counts))}
                  for key, counts in sums.items() if any(counts)]
        if not values:
            continue
        stmt = dialect_insert(s, table)
        stmt = stmt.on_conflict_do_update(index_elements=["grid", *keys],
                                          set_={c: getattr(table, c) + getattr(stmt.excluded, c) for c in columns})
        for start in range(0, len(values), 10_000):
            await s.execute(stmt, values[start:start + 10_000])


async def refresh_settlement(s: AsyncSession, *, grid: int = 15) -> int:
    """Apply the logged dossier changes to the buckets (all dossiers on first use or a new grid); how many."""
    if _is_pg(s):
        await s.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_ID})"))
    buckets: dict[tuple[Any, ...], list[int]] = {}
    spans: dict[tuple[Any, ...], list[int]] = {}
    built = await s.scalar(select(SettlementBucket.grid).where(SettlementBucket.grid == grid).limit(1)) is not None \
        or await s.scalar(select(SettlementSpan.grid).where(SettlementSpan.grid == grid).limit(1)) is not None
    if built:
        # DELETE … RETURNING: exactly the changes this statement removes are applied, none twice.
        columns = (SettlementChange.sign, SettlementChange.agency_id, SettlementChange.procedure_id,
                   SettlementChange.officer_id, SettlementChange.received_on, SettlementChange.due_on,
                   SettlementChange.returned_on)
        rows = (await s.execute(delete(SettlementChange).returning(*columns))).all()
        _add(rows, grid, buckets, spans)
        await _write(s, grid, buckets, spans)
        return len(rows)
    if _is_pg(s):
        # Writers that began before wait for us, later ones wait: the log and the dossiers agree.
        await s.execute(text("LOCK TABLE dossiers IN SHARE MODE"))
    for table in (SettlementBucket, SettlementSpan, SettlementChange):
        await s.execute(delete(table))
    stmt = select(1, Dossier.agency_id, Dossier.procedure_id, Dossier.officer_id, Dossier.received_on,
                  Dossier.due_on, Dossier.returned_on)
    count = 0
    async for part in (await s.stream(stmt.execution_options(yield_per=50_000))).partitions():
        _add(part, grid, buckets, spans)
        count += len(part)
    await _write(s, grid, buckets, spans)
    return count


async def settlement_totals(
    s: AsyncSession, *, first: date, last: date, agency_id: int | None = None, grid: int = 15,
) -> dict[Dimension, dict[tuple[int, int | None], SettlementCounts]]:
    """Settlement counts over days first..last per agency, procedure and officer: {dimension: {(agency, key): …}}.

    The same figures as `settlement_detail` added up per group (key None for the agency itself and
    for dossiers without a procedure or officer). Call `refresh_settlement` first.
    """
    if not aligned(first, last, grid):
        return _grouped(await settlement_detail(s, first=first, last=last, agency_id=agency_id))
    sums: dict[tuple[int, str, int], list[int]] = {}
    for agency, dimension, key, *counts in await _bucket_counts(s, first, last, agency_id, grid):
        sums[(agency, dimension, key)] = [int(n or 0) for n in counts]
    for agency, dimension, key, *counts in await _span_counts(s, first, last, agency_id, grid):
        total = sums.setdefault((agency, dimension, key), [0] * 7)
        for i, n in enumerate(counts):
            total[i] += int(n or 0)
    out: dict[Dimension, dict[tuple[int, int | None], SettlementCounts]] = {d: {} for d in DIMENSIONS}
    for (agency, dimension, key), counts in sorted(sums.items()):
        if any(counts):
            group = (agency, key or None)
            out[Dimension(dimension)][group] = SettlementCounts(agency, None if dimension == "agency" else key or None,
                                                               *counts)
    return out


def _grouped(detail: list[tuple[int, int | None, int | None, tuple[int, ...]]]
             ) -> dict[Dimension, dict[tuple[int, int | None], SettlementCounts]]:
    """Rows of `settlement_detail` added up per agency, per procedure and per officer."""
    sums: dict[Dimension, dict[tuple[int, int | None], list[int]]] = {d: {} for d in DIMENSIONS}
    for agency, procedure, officer, counts in detail:
        for dimension, key in ((Dimension.AGENCY, None), (Dimension.PROCEDURE, procedure),
                               (Dimension.OFFICER, officer)):
            total = sums[dimension].setdefault((agency, key), [0] * 7)
            for i, n in enumerate(counts):
                total[i] += n
    return {d: {k: SettlementCounts(k[0], k[1], *v) for k, v in sorted(groups.items(), key=_order)}
            for d, groups in sums.items()}


def _order(item: tuple[tuple[int, int | None], Any]) -> tuple[int, int]:
    return item[0][0], item[0][1] or 0


async def _bucket_counts(s: AsyncSession, first: date, last: date, agency_id: int | None, grid: int) -> list[Any]:
    """Per group: received and settled in the window's buckets, open at the end of the one before and of the last.

    Two plain queries (sums over the window's buckets; the rows of the two edge buckets) cost less
    than one with a CASE per column and row.
    """
    before, end = bucket_of(first - timedelta(days=1), grid), bucket_of(last, grid)
    b = SettlementBucket
    flows = (select(b.agency_id, b.dimension, b.key, func.sum(b.received), func.sum(b.early), func.sum(b.on_time),
                    func.sum(b.late))
             .where(b.grid == grid, b.bucket.between(first, end)).group_by(b.agency_id, b.dimension, b.key))
    edges = (select(b.bucket, b.agency_id, b.dimension, b.key, b.open_within, b.open_past)
             .where(b.grid == grid, b.bucket.in_((before, end)), or_(b.open_within != 0, b.open_past != 0)))
    if agency_id is not None:
        flows, edges = flows.where(b.agency_id == agency_id), edges.where(b.agency_id == agency_id)
    sums: dict[tuple[int, str, int], list[int]] = {}
    for agency, dimension, key, received, early, on_time, late in await s.execute(flows):
        sums[(agency, dimension, key)] = [int(received), 0, int(early), int(on_time), int(late), 0, 0]
    for bucket, agency, dimension, key, within, past in await s.execute(edges):
        counts = sums.setdefault((agency, dimension, key), [0] * 7)
        if bucket == before:
            counts[1] += within + past  # carried over: open when the window starts
        if bucket == end:
            counts[5] += within
            counts[6] += past
    return [(*group, *counts) for group, counts in sums.items()]


async def _span_counts(s: AsyncSession, first: date, last: date, agency_id: int | None, grid: int) -> list[Any]:
    """Per group: the dossier query's conditions, on the bucket dates of the spans."""
    p = SettlementSpan
    pending = p.returned > last

    def when(condition: Any, column: Any) -> Any:
        return func.sum(case((condition, column), else_=0))

    stmt = (select(p.agency_id, p.dimension, p.key, when(p.received >= first, p.dossiers),
                   when(p.received < first, p.dossiers), when(p.returned <= last, p.early),
                   when(p.returned <= last, p.on_time), when(p.returned <= last, p.late),
                   when(and_(pending, p.past_from > last), p.dossiers),
                   when(and_(pending, p.past_from <= last), p.dossiers))
            .where(p.grid == grid, p.received <= last, p.returned >= first)
            .group_by(p.agency_id, p.dimension, p.key))
    if agency_id is not None:
        stmt = stmt.where(p.agency_id == agency_id)
    return list(await s.execute(stmt))
