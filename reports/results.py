"""The results of a period: per agency and drilled down, with the scoring rules of survey_flows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from reports import dossier_scores
from reports.periods import DEFAULT_TZ, Period
from reports.scores import agency_scores, dossier_sum, summary_with
from reports.versions import SpanScorer, VersionSection, known_schemas, pick, version_sections
from storage import results as store
from storage import rollup, settlement
from storage.results import Dimension, FactTotals, SettlementCounts
from survey_flows import Band, Schema, band_for, load_schema
from survey_flows.scoring import period_score_from_totals, round_one, satisfaction_rate_from_counts
from survey_flows.totals import AgencyEntry, AgencyTotal

#: Groups with fewer evaluations are never published: a figure of 1–4 can point at a person.
MIN_PUBLIC_GROUP = 5
OVERALL = "satisfaction.overall"
DRILL_DOWNS = (Dimension.FIELD, Dimension.PROCEDURE, Dimension.OFFICER, Dimension.CHANNEL)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a results table; figures are None when there is nothing to compute (or suppressed)."""

    key: int | str | None
    label: str
    evaluations: int
    levels: tuple[int, int, int] | None  # count of level 2, 1, 0 of the overall question
    shares: tuple[float | None, float | None, float | None] | None  # % of each, one decimal
    rate: float | None
    rates: dict[str, float | None]  # satisfaction rate of each satisfaction question
    means: dict[int, float | None]  # indicator → mean points (x/2), two decimals
    total: float | None  # x/18, one decimal
    band: Band | None
    settlement: SettlementCounts | None = None
    suppressed: bool = False

    def public(self) -> Row:
        """This row as it may be published: groups under MIN_PUBLIC_GROUP lose every figure."""
        if self.evaluations >= MIN_PUBLIC_GROUP:
            return self
        return self.withheld()

    def withheld(self) -> Row:
        """This row with every figure emptied, whatever its size (see reports.public.protect)."""
        return replace(self, levels=None, shares=None, rate=None, rates={}, means={}, total=None,
                       band=None, suppressed=True)


@dataclass(frozen=True, slots=True)
class Response:
    """Invited vs answered surveys of one channel; rate in %, one decimal."""

    channel: str
    invited: int
    answered: int
    rate: float | None


@dataclass(frozen=True, slots=True)
class AgencyResults:
    """An agency's results for a period, with its drill-downs and the scores kept beside them."""

    agency_id: int
    code: str
    name: str
    summary: Row
    totals: FactTotals  # the counts behind `summary`, for pooling published agencies only
    drill: dict[Dimension, tuple[Row, ...]]
    responses: tuple[Response, ...]
    follow_ups: tuple[int, int, int]  # opened, handled on time, overdue
    self_score: float | None  # the older total per agency and period, as entered (storage.AgencyScore)
    appraisal_score: float | None
    score: AgencyTotal  # the total every page, report, export and API shows (reports.scores)
    computed: tuple[AgencyEntry, ...] = ()  # agency-level figures the system computed (indicator 9)


@dataclass(frozen=True, slots=True)
class Results:
    """Every agency's results for one period."""

    period: Period
    agencies: tuple[AgencyResults, ...]
    generated_at: datetime
    total: Row  # every agency pooled: the totals line of the tables
    versions: tuple[VersionSection, ...] = ()  # one per schema version span of the period (reports.versions)


# A report computes figures for thousands of groups: the roundings below are done on integers
# (exact, and what survey_flows' Fraction/Decimal rules give: tests/reports/test_reports_rounding.py).


def percent(part: int, whole: int) -> float | None:
    """part / whole × 100, half up to one decimal; None for an empty whole."""
    if not whole:
        return None
    if part < 0 or whole < 0:
        return round_one(Fraction(100 * part, whole))
    return (2000 * part + whole) // (2 * whole) / 10  # tenths, half up


def mean_points(total: int, count: int) -> float | None:
    """A mean of points, half up to two decimals (x/2)."""
    if not count:
        return None
    if total < 0 or count < 0:
        exact = Decimal(total) / Decimal(count)
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return (200 * total + count) // (2 * count) / 100  # hundredths, half up


def total_points(points: dict[int, tuple[int, int]]) -> float:
    """``period_score_from_totals``: each indicator's mean (sum / count) added up, half up to one decimal."""
    scored = [(total, count) for total, count in points.values() if count]
    if not scored or any(not 0 <= total <= 2 * count for total, count in scored):
        return period_score_from_totals(points)  # raises, with survey_flows' message
    common = lcm(*(count for _, count in scored))
    numerator = sum(total * (common // count) for total, count in scored)
    return (20 * numerator + common) // (2 * common) / 10


INDICATORS = len(load_schema().indicators)  # the nine of Circular 01/2018


@lru_cache(maxsize=1024)
def _band(total: float, bands: tuple[Band, ...]) -> Band:
    return band_for(total, bands)


def make_row(totals: FactTotals, label: str, bands: tuple[Band, ...],
             extra: dict[int, tuple[int, int]] | None = None, settlement: SettlementCounts | None = None) -> Row:
    """Figures of one group from its database totals (extra: agency-level indicators as (sum, count))."""
    c0, c1, c2 = totals.levels[OVERALL]
    answered = c0 + c1 + c2
    points = {_indicator(f): sc for f, sc in totals.points.items()}
    if extra:
        points |= extra
    scored = {i: sc for i, sc in points.items() if sc[1]}
    total = total_points(scored) if scored else None
    rates = {f: _rate(counts) for f, counts in totals.levels.items()}
    return Row(
        key=totals.key, label=label, evaluations=totals.evaluations,
        levels=(c2, c1, c0), shares=(percent(c2, answered), percent(c1, answered), percent(c0, answered)),
        rate=rates[OVERALL], rates=rates,
        means={i: mean_points(*points[i]) for i in sorted(points)},
        # A band is a verdict on all nine indicators: a partial total is shown as such, never graded
        # against bands made for the whole (survey_flows.totals: "x of y indicators", no band).
        total=total, band=_band(total, bands) if total is not None and len(scored) == INDICATORS else None,
        settlement=settlement,
    )


def _rate(counts: tuple[int, int, int]) -> float | None:
    """The satisfaction rate from level counts: survey_flows' formula (satisfied levels 1 and 2 over all)."""
    c0, c1, c2 = counts
    if c0 < 0 or c1 < 0 or c2 < 0:
        return satisfaction_rate_from_counts(dict(enumerate(counts)))  # raises
    return percent(c1 + c2, c0 + c1 + c2)


@lru_cache(maxsize=None)
def _indicator(field: str) -> int:
    """The number of an indicator field: "indicator.7" → 7."""
    return int(field.split(".")[1])


def empty_totals(agency_id: int, key: int | str | None = None) -> FactTotals:
    """Totals of a group without evaluations."""
    return FactTotals(agency_id, key, 0, {f: (0, 0, 0) for f in store.LEVEL_COLUMNS},
                      {f: (0, 0) for f in store.POINT_COLUMNS})


async def build_results(
    s: AsyncSession, period: Period, *, bands: tuple[Band, ...], now: datetime,
    agency_id: int | None = None, tz: str = DEFAULT_TZ, drill: tuple[Dimension, ...] = DRILL_DOWNS,
    cutoff_day: int = 15,
) -> Results:
    """Compute every figure of a period (facts are refreshed first, so new evaluations count)."""
    await rollup.refresh_facts(s, tz=tz, grid=cutoff_day)
    await dossier_scores.sync_exceptions(s)  # facts hold the raw answers; recorded exceptions apply on top
    await settlement.refresh_settlement(s, grid=cutoff_day)
    span: dict[str, Any] = {"first": period.first, "last": period.last, "agency_id": agency_id}
    start, end = period.utc_bounds(tz)
    summary = {t.agency_id: t for t in await rollup.fact_totals(s, by=Dimension.AGENCY, grid=cutoff_day, **span)}
    by_group = await settlement.settlement_totals(s, grid=cutoff_day, **span)
    settled = by_group[Dimension.AGENCY]
    follow_ups = await store.follow_up_counts(s, start=start, end=end, now=now, agency_id=agency_id)
    scores = await store.agency_scores(s, period=period.name)
    responses = await store.invitation_counts(s, start=start, end=end, agency_id=agency_id)
    fields = await store.procedure_fields(s) if Dimension.FIELD in drill else {}
    computed = await computed_entries(s, period, agency_id)
    details = {d: await _drill(s, d, bands, span, settlement_by(by_group, fields, d), cutoff_day) for d in drill}
    names = {i: n for i, n in sorted((await store.agency_names(s)).items()) if agency_id is None or i == agency_id}
    # The period's total is scored as the version in force on its last day says (its indicators),
    # graded with the agency's bands; a period spanning two versions has each span in `versions` too.
    in_force = replace(pick(await known_schemas(s), period.last), bands=bands)
    scored = await agency_scores(s, period, summary, names, bands=bands, agency_id=agency_id, computed=computed,
                                 schema=in_force)
    agencies = []
    for id_, (code, name) in names.items():
        row = scored_row(make_row(summary.get(id_, empty_totals(id_)), name, bands,
                                  settlement=settled.get((id_, None))), scored[id_])
        agencies.append(AgencyResults(
            id_, code, name, row, summary.get(id_, empty_totals(id_)),
            {d: rows.get(id_, ()) for d, rows in details.items()},
            tuple(Response(c, n, k, percent(k, n)) for a, c, n, k in responses if a == id_),
            follow_ups.get(id_, (0, 0, 0)), *scores.get(id_, (None, None)), scored[id_], computed.get(id_, ()),
        ))
    pooled = pooled_row(list(summary.values()), [a.score for a in agencies if a.agency_id in summary], bands)
    versions = await version_sections(s, period, agency_id=agency_id, cutoff_day=cutoff_day,
                                      score_rows=_span_scorer(s, period, computed, agency_id))
    return Results(period, tuple(agencies), now, replace(pooled, settlement=_sum_settlement(settled.values())),
                   versions)


def _span_scorer(s: AsyncSession, period: Period, computed: dict[int, tuple[AgencyEntry, ...]],
                 agency_id: int | None) -> SpanScorer:
    """How reports.versions scores one version span: the same AgencyTotal rules, that version's schema."""
    async def score_rows(schema: Schema, first: date, last: date, totals: list[FactTotals],
                         names: dict[int, str]) -> tuple[tuple[tuple[int, str, Row], ...], Row]:
        by_agency = {t.agency_id: t for t in totals}
        scored = await agency_scores(s, period, by_agency, list(by_agency), bands=schema.bands, agency_id=agency_id,
                                     computed=computed, schema=schema, days=(first, last))
        rows = tuple((t.agency_id, names.get(t.agency_id, str(t.agency_id)),
                      scored_row(make_row(t, names.get(t.agency_id, str(t.agency_id)), schema.bands),
                                 scored[t.agency_id]))
                     for t in totals if t.evaluations)
        return rows, pooled_row(totals, [scored[t.agency_id] for t in totals if t.evaluations], schema.bands)
    return score_rows


async def computed_entries(s: AsyncSession, period: Period, agency_id: int | None) -> dict[int, tuple[AgencyEntry, ...]]:
    """Agency-level figures the system computes for the period: indicator 9 where dossiers say which were online."""
    online = await dossier_scores.online_entries(s, first=period.first, last=period.last, agency_id=agency_id)
    return {agency: (entry,) for agency, entry in online.items()}



def scored_row(row: Row, score: AgencyTotal) -> Row:
    """An agency's summary row with its total, band and indicator means from its ``AgencyTotal``."""
    return replace(row, means=summary_with(row.means, score), total=score.total if score.present else None,
                   band=score.band)


def pooled_row(totals: list[FactTotals], scored: list[AgencyTotal], bands: tuple[Band, ...]) -> Row:
    """The "Tổng cộng" line: agencies' counts added up, indicator 7 as the agencies computed it.

    A score is a verdict on one agency: the pooled line has no total and no band (one pooled over
    agencies could only contradict theirs); the agency-level indicators (5, 8, 9) are left out.
    """
    sevens = [dossier_sum(score, 7) for score in scored]
    row = make_row(pool(totals), "Tổng cộng", bands, extra={7: (sum(t for t, _ in sevens), sum(n for _, n in sevens))})
    return replace(row, total=None, band=None)


def settlement_by(by_group: dict[Dimension, dict[tuple[Any, ...], SettlementCounts]], fields: dict[int, int | None],
                  by: Dimension) -> dict[tuple[Any, ...], SettlementCounts]:
    """Settlement counts per (agency, group) of a dimension; fields add up their procedures' counts."""
    if by is not Dimension.FIELD:
        return by_group.get(by, {})
    sums: dict[tuple[Any, ...], list[int]] = {}
    for (agency, procedure), c in by_group[Dimension.PROCEDURE].items():
        total = sums.setdefault((agency, fields.get(procedure) if procedure is not None else None), [0] * 7)
        for i, n in enumerate((c.received, c.carried_over, c.early, c.on_time, c.late, c.pending_within,
                               c.pending_past)):
            total[i] += n
    return {k: SettlementCounts(k[0], k[1], *v) for k, v in sums.items()}


def pool(groups: list[FactTotals]) -> FactTotals:
    """Totals of several groups added together."""
    out = empty_totals(0)
    for t in groups:
        out = FactTotals(0, None, out.evaluations + t.evaluations,
                         {f: cast(tuple[int, int, int], tuple(a + b for a, b in zip(out.levels[f], t.levels[f]))) for f in out.levels},
                         {f: cast(tuple[int, int], tuple(a + b for a, b in zip(out.points[f], t.points[f]))) for f in out.points})
    return out


def _sum_settlement(rows: Iterable[SettlementCounts]) -> SettlementCounts:
    sums = [0] * 7
    for c in rows:
        sums = [a + b for a, b in zip(sums, astuple(c)[2:])]
    return SettlementCounts(0, None, *sums)


async def _drill(s: AsyncSession, by: Dimension, bands: tuple[Band, ...], span: dict[str, Any],
                 settled: dict[tuple[Any, ...], SettlementCounts], grid: int) -> dict[int, tuple[Row, ...]]:
    """Rows of one drill-down per agency, with their settlement figures when the dimension has them."""
    names: dict[Any, str] = await store.group_names(s, by) if by is not Dimension.CHANNEL else _channel_names()
    out: dict[int, list[Row]] = {}
    for totals in await rollup.fact_totals(s, by=by, grid=grid, **span):
        label = names.get(totals.key, str(totals.key)) if totals.key is not None else "—"
        row = make_row(totals, label, bands, settlement=settled.get((totals.agency_id, totals.key)))
        out.setdefault(totals.agency_id, []).append(row)
    return {a: tuple(rows) for a, rows in out.items()}


@lru_cache(maxsize=1)
def _channel_names() -> dict[str, str]:
    """Channel code → Vietnamese name, from the shipped schema (read once: parsing it takes longer than a report)."""
    return {code: name.get("vi") for code, name in load_schema().channels}
