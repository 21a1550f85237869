"""Each agency's total for a period as the law computes it (survey_flows.totals.agency_total).

Citizen indicators are averaged over the period's evaluated dossiers; indicator 7 is the
dossier's timeliness AND no complaint about conduct on it (from the register); indicator 8 is
computed from the register; 5, 6 and 9 are the agency's entries (the appraisal wins over the
self-score). Indicators 7 and 8 are judged as of the period's last day, so a closed period gives
the same figures whenever its report is generated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from reports.errors import ReportError
from reports.periods import Period
from storage import scores as store
from storage.results import FactTotals
from storage.scores import ComplaintRow, EntryRow
from survey_flows import Band, Schema, load_schema
from survey_flows.complaints import Complaint, Origin, Verification
from survey_flows.indicators import complaint_handling, conduct_complaints, indicator_7
from survey_flows.totals import AgencyEntry, AgencyTotal, EntryBy, agency_total

#: Days a complaint opened from a citizen's answer has to be handled (the register's default deadline).
COMPLAINT_DAYS = 10
#: Indicators scored per dossier from the evaluation facts (7 is recomputed here).
FACT_INDICATORS = (1, 2, 3, 4, 6)


@lru_cache(maxsize=8)
def schema_with(bands: tuple[Band, ...]) -> Schema:
    """The shipped schema with the agency's (or province's) bands."""
    return replace(load_schema(), bands=bands)


def complaint_of(row: ComplaintRow) -> Complaint:
    """A stored register entry as survey_flows' ``Complaint``."""
    return Complaint(id=row.code, received_on=row.received_on, due_on=row.due_on, handled_on=row.handled_on,
                     protracted_on=row.protracted_on, verification=Verification(row.verification),
                     verified_on=row.verified_on, dossier_code=row.dossier_code, about_conduct=row.about_conduct,
                     origin=Origin(row.origin), outcome=row.outcome, note=row.note)


def entry_of(row: EntryRow) -> AgencyEntry:
    """A stored self-score or appraisal as survey_flows' ``AgencyEntry``."""
    return AgencyEntry(row.indicator, Fraction(row.points_tenths, 10), EntryBy(row.by), row.note)


def two_decimals(value: Fraction) -> float:
    """A mean of points, half up to two decimals (as the tables show them)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def agency_scores(
    s: AsyncSession, period: Period, summary: Mapping[int, FactTotals], agency_ids: Iterable[int], *,
    bands: tuple[Band, ...], agency_id: int | None = None,
    computed: Mapping[int, Iterable[AgencyEntry]] | None = None, schema: Schema | None = None,
    days: tuple[date, date] | None = None,
) -> dict[int, AgencyTotal]:
    """Agency id → its ``AgencyTotal`` for ``period``; ``summary``: the period's fact totals per agency.

    ``computed``: agency-level figures the system computed (indicator 9 from online counts).
    ``schema`` and ``days``: score one version span of the period (reports.versions) with that
    version's indicators and bands; by default the shipped schema with ``bands``, the whole period.
    """
    schema = schema if schema is not None else schema_with(bands)
    first, last = days if days is not None else (period.first, period.last)
    register: dict[int, list[Complaint]] = {}
    for row in await store.complaints(s, agency_id=agency_id, received_by=last):
        register.setdefault(row.agency_id, []).append(complaint_of(row))
    given: dict[int, list[AgencyEntry]] = {}
    for entry in await store.entries(s, period=period.name, agency_id=agency_id):
        given.setdefault(entry.agency_id, []).append(entry_of(entry))
    i7 = await _indicator_7(s, schema, first, last, register, agency_id)
    i8 = schema.indicator(8)
    handling = {"on_time_full": i8.param("on_time_full", 100), "on_time_partial": i8.param("on_time_partial", 90)} \
        if i8 is not None else {}
    out = {}
    for id_ in agency_ids:
        facts = summary.get(id_)
        dossiers = {i: facts.points[f"indicator.{i}"] for i in FACT_INDICATORS} if facts else {}
        dossiers = {i: sc for i, sc in dossiers.items() if sc[1] and schema.indicator(i) is not None}
        seven = i7.get(id_, (0, 0))
        if seven[1] and schema.indicator(7) is not None:
            dossiers[7] = seven
        entries = list(given.get(id_, [])) + [e for e in (computed or {}).get(id_, ()) if schema.indicator(e.indicator)]
        if i8 is not None:
            handled = complaint_handling(register.get(id_, []), first, last, **handling)
            # "No complaint" scores 2, but an agency with nothing at all in the period gets no score.
            if dossiers or entries or handled.counted or handled.pending or handled.protracted:
                entries.append(AgencyEntry(8, handled.points, EntryBy.COMPUTED, ""))
        try:
            total = agency_total(schema, dossiers, entries)
        except ValueError as error:
            raise ReportError(f"điểm không hợp lệ: {error}", f"invalid scores: {error}") from error
        out[id_] = total
    return out


async def _indicator_7(
    s: AsyncSession, schema: Schema, first: date, last: date, register: Mapping[int, list[Complaint]],
    agency_id: int | None,
) -> dict[int, tuple[int, int]]:
    """Agency id → (sum, dossiers) of indicator 7: each evaluated dossier's timeliness, 0 with a complaint."""
    indicator = schema.indicator(7)
    late = int(indicator.param("late_without_complaint", 0)) if indicator is not None else 0
    counts = await store.timeliness_counts(s, first=first, last=last, agency_id=agency_id)
    sums = {a: (c[0] * late + c[1] + 2 * c[2], sum(c)) for a, c in counts.items()}
    about: dict[str, list[Complaint]] = {}
    for entries in register.values():
        for c in conduct_complaints(entries, last):
            if c.dossier_code:
                about.setdefault(c.dossier_code, []).append(c)
    for agency, code, timeliness in await store.evaluated_timeliness(
            s, first=first, last=last, dossier_codes=set(about), agency_id=agency_id):
        total, n = sums[agency]
        change = indicator_7(timeliness, about[code], as_of=last, late_without_complaint=late) - \
            indicator_7(timeliness, late_without_complaint=late)
        sums[agency] = (total + change, n)
    return sums


def summary_with(row_means: dict[int, float | None], score: AgencyTotal) -> dict[int, float | None]:
    """An agency row's indicator means: the figures its total adds up (the dossiers' means where no entry)."""
    means = {i: m for i, m in row_means.items() if i in FACT_INDICATORS}
    for line in score.lines:
        means[line.indicator] = two_decimals(line.points) if line.points is not None else None
    return {i: means[i] for i in sorted(means)}


def dossier_sum(score: AgencyTotal, indicator: int) -> tuple[int, int]:
    """(sum of points, dossiers) behind an indicator's dossier mean in a total ((0, 0) without dossiers)."""
    line = next((x for x in score.lines if x.indicator == indicator), None)
    if line is None or line.dossier_mean is None:
        return 0, 0
    return int(line.dossier_mean * line.dossiers), line.dossiers


def complaint_due(received_on: date) -> date:
    """The handling deadline of a complaint opened from a citizen's answer."""
    return received_on + timedelta(days=COMPLAINT_DAYS)
