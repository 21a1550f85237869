"""Schema versions in reports: which version scored which days of a period, and each span's figures.

A period that spans two versions is reported per span (``VersionSection``): the span's evaluations
(an evaluation records the version in force on its completion day, so a span's evaluations are the
ones that recorded its version), scored with that version's indicators and bands. The engine asks
``schema_on`` which version an evaluation completed on a day records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reports.periods import DEFAULT_TZ, Period
from storage import results as store
from storage import rollup, stored_versions
from storage.results import Dimension, FactTotals
from survey_flows import Band, Schema, band_for, schema_in_force, version_spans
from survey_flows.known_versions import known_versions, shipped_schema

if TYPE_CHECKING:
    from reports.results import Row

#: make_row's shape: (totals, label, bands, extra agency-level indicators) → Row.
RowMaker = Callable[[FactTotals, str, tuple[Band, ...], "dict[int, tuple[int, int]] | None"], "Row"]


@dataclass(frozen=True, slots=True)
class VersionSection:
    """The days ``start..end`` of a period scored by ``schema``: one row per agency and their total."""

    schema: Schema
    start: date
    end: date
    agencies: tuple[tuple[int, str, Row], ...]  # (agency id, name, row)
    total: Row

    @property
    def version(self) -> str:
        return self.schema.version


async def known_schemas(s: AsyncSession) -> tuple[Schema, ...]:
    """Every version: the shipped schema and each one loaded (``hailong schema load``), by effective date."""
    return known_versions((v.version, v.source) for v in await stored_versions(s))


def local_day(moment: datetime, tz: str = DEFAULT_TZ) -> date:
    """The calendar day of an instant in Vietnam (or ``tz``)."""
    return moment.astimezone(ZoneInfo(tz)).date()


def pick(versions: tuple[Schema, ...], day: date) -> Schema:
    """The version in force on ``day``; on a day none covers (after a version's effective_to), the
    latest that began before it, else the shipped one: an evaluation always records a version."""
    found = schema_in_force(versions, day)
    if found is not None:
        return found
    begun = [v for v in versions if (v.effective_from or date.min) <= day]
    return begun[-1] if begun else shipped_schema()


async def schema_on(s: AsyncSession, day: date) -> Schema:
    """The version an evaluation completed on ``day`` (Vietnam's calendar) records."""
    return pick(await known_schemas(s), day)


def _bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    return datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)


def _versioned(row: Row, schema: Schema) -> Row:
    """A row graded with ``schema``'s bands, and only when all of its indicators are scored."""
    scored = sum(1 for i, mean in row.means.items() if mean is not None and schema.indicator(i) is not None)
    whole = row.total is not None and scored == len(schema.indicators)
    return replace(row, band=band_for(row.total, schema.bands) if whole and row.total is not None else None)


async def version_sections(
    s: AsyncSession, period: Period, *, make_row: RowMaker, pool: Callable[[list[FactTotals]], FactTotals],
    indicator_8: Callable[[tuple[int, int, int]], int], now: datetime, agency_id: int | None = None, tz: str = DEFAULT_TZ, cutoff_day: int = 15,
) -> tuple[VersionSection, ...]:
    """One section per version span of ``period`` (facts must be fresh: build_results refreshes them).
    Rows are build_results' own (its ``make_row``, ``pool`` and ``indicator_8``, handed in: results.py
    imports this module), indicator 8 from the span's follow-ups."""
    names = await store.agency_names(s)
    sections = []
    for span in version_spans(await known_schemas(s), period.first, period.last):
        schema = span.schema if span.schema is not None else pick(await known_schemas(s), span.start)
        totals = await rollup.fact_totals(s, first=span.start, last=span.end, by=Dimension.AGENCY,
                                          agency_id=agency_id, grid=cutoff_day)
        start, end = _bounds(span.start, span.end, tz)
        handled = await store.follow_up_counts(s, start=start, end=end, now=now, agency_id=agency_id)
        rows = tuple((t.agency_id, names.get(t.agency_id, ("", str(t.agency_id)))[1],
                      _versioned(make_row(t, names.get(t.agency_id, ("", str(t.agency_id)))[1], schema.bands,
                                          {8: (indicator_8(handled.get(t.agency_id, (0, 0, 0))), 1)}), schema))
                     for t in totals if t.evaluations)
        pooled = pool(totals)
        every = tuple(sum(h[i] for h in handled.values()) for i in range(3))
        total = _versioned(make_row(pooled, "Tổng cộng", schema.bands,
                                    {8: (indicator_8((every[0], every[1], every[2])), 1)} if pooled.evaluations else None),
                           schema)
        sections.append(VersionSection(schema, span.start, span.end, rows, total))
    return tuple(sections)
