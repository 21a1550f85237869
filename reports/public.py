"""What the public disclosure page shows: agencies and groups of 5 evaluations or more, never a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reports.charts import levels_svg, trend_svg
from reports.periods import Window, parse_period, quarters_up_to
from reports.results import MIN_PUBLIC_GROUP, Results, Row, build_results, make_row, percent, pool
from storage import rollup
from storage.results import Dimension
from survey_flows import Band

#: Officers are people: the public page never breaks results down by officer.
PUBLIC_DRILL = (Dimension.FIELD, Dimension.PROCEDURE, Dimension.CHANNEL)
TREND_QUARTERS = 6


@dataclass(frozen=True, slots=True)
class PublicPage:
    """The figures and charts of the public page for one period (and optionally one agency)."""

    results: Results
    rows: tuple[tuple[str, Row], ...]  # (agency code, public row)
    drill: dict[Dimension, tuple[Row, ...]]
    total: Row
    trend_svg: str
    levels_svg: str


async def public_page(
    s: AsyncSession, period_name: str, *, bands: tuple[Band, ...], now: datetime, lang: str = "vi",
    agency_id: int | None = None, window: Window = Window.CUTOFF, cutoff_day: int = 15,
) -> PublicPage:
    """Every published figure, each group under 5 evaluations already emptied."""
    period = parse_period(period_name, window, cutoff_day)
    results = await build_results(s, period, bands=bands, now=now, agency_id=agency_id, drill=PUBLIC_DRILL,
                                  cutoff_day=cutoff_day)
    rows = tuple((a.code, a.summary.public()) for a in results.agencies)
    # Totals pool published agencies only: a total minus the published rows would reveal a hidden one.
    shown = [a.totals for a in results.agencies if a.totals.evaluations >= MIN_PUBLIC_GROUP]
    total = make_row(pool(shown), "Tổng cộng", bands).public()
    one = results.agencies[0] if agency_id is not None and results.agencies else None
    drill = {d: tuple(r.public() for r in one.drill.get(d, ())) for d in PUBLIC_DRILL} if one else {}
    quarters = quarters_up_to(period.name, TREND_QUARTERS)
    windows = [(p.first, p.last) for p in (parse_period(q, window, cutoff_day) for q in quarters)]
    trend = await rollup.trend(s, windows=windows, agency_id=agency_id, grid=cutoff_day)
    points = [(q, _published_rate(by_agency)) for q, by_agency in zip(quarters, trend)]
    title = ("Tỷ lệ hài lòng theo quý" if lang == "vi" else "Satisfaction rate by quarter")
    levels = [(r.label, r.shares) for _, r in rows]
    return PublicPage(results, rows, drill, total, trend_svg(points, lang, title),
                      levels_svg(levels, lang, "Mức độ hài lòng theo cơ quan" if lang == "vi" else
                                 "Satisfaction levels by agency"))


def _published_rate(by_agency: dict[int, tuple[int, int]]) -> float | None:
    """The satisfaction rate of the agencies with at least 5 responses in a window."""
    shown = [(k, n) for k, n in by_agency.values() if n >= MIN_PUBLIC_GROUP]
    return percent(sum(k for k, _ in shown), sum(n for _, n in shown))
