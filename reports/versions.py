"""Schema versions in reports: which version scored which days of a period, and each span's figures.

A period that spans two versions is reported per span (``VersionSection``): the span's evaluations
(an evaluation records the version in force on its completion day, so a span's evaluations are the
ones that recorded its version), scored with that version's indicators and bands. The engine asks
``schema_on`` which version an evaluation completed on a day records.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reports.periods import DEFAULT_TZ, Period
from storage import results as store
from storage import rollup, stored_versions
from storage.results import Dimension, FactTotals
from survey_flows import Schema, schema_in_force, version_spans
from survey_flows.known_versions import known_versions, shipped_schema

if TYPE_CHECKING:
    from reports.results import Row

#: How build_results scores a span: (schema, first, last, agency totals, names) → (agency rows, pooled row).
SpanScorer = Callable[[Schema, date, date, list[FactTotals], dict[int, str]],
                      Awaitable[tuple[tuple[tuple[int, str, "Row"], ...], "Row"]]]



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



async def version_sections(
    s: AsyncSession, period: Period, *, score_rows: SpanScorer, agency_id: int | None = None, cutoff_day: int = 15,
) -> tuple[VersionSection, ...]:
    """One section per version span of ``period`` (facts must be fresh: build_results refreshes them).
    Rows are scored by build_results' own rules (``score_rows``, handed in: results.py imports this
    module) with the span's schema: its indicators, its bands, the span's days."""
    names = {i: name for i, (_, name) in (await store.agency_names(s)).items()}
    sections = []
    for span in version_spans(await known_schemas(s), period.first, period.last):
        schema = span.schema if span.schema is not None else pick(await known_schemas(s), span.start)
        totals = await rollup.fact_totals(s, first=span.start, last=span.end, by=Dimension.AGENCY,
                                          agency_id=agency_id, grid=cutoff_day)
        rows, total = await score_rows(schema, span.start, span.end, totals, names)
        sections.append(VersionSection(schema, span.start, span.end, rows, total))
    return tuple(sections)
