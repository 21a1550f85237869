"""What the public disclosure page shows: agencies and groups of 5 evaluations or more, never a person.

Hiding each small group on its own is not enough: an agency's total minus the groups shown of one
drill-down is the one hidden group, and a field minus its procedures shown is a hidden procedure.
`protect` treats the drill-downs of an agency's page as sums that must add up (each drill-down to
the agency's published total, each field to its procedures) and, after hiding the groups under 5,
hides the smallest published group of a sum that still gives a hidden group away, until adding and
subtracting published figures can no longer give any hidden group's figures (complementary
suppression; at least two groups are hidden in every sum that hides one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reports.charts import levels_svg, trend_svg
from reports.periods import Window, parse_period, quarters_up_to
from reports.results import MIN_PUBLIC_GROUP, Results, Row, build_results, percent, pooled_row
from storage import results as store
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


#: What the charts say when the caller gives no words of its own (the page passes its catalogs' words).
CHART_WORDS = {
    "vi": {"trend_title": "Tỷ lệ hài lòng theo quý", "levels_title": "Mức độ hài lòng theo cơ quan",
           "missing": "—", "withheld": "< 5"},
    "en": {"trend_title": "Satisfaction rate by quarter", "levels_title": "Satisfaction levels by agency",
           "missing": "—", "withheld": "< 5"},
}


async def public_page(
    s: AsyncSession, period_name: str, *, bands: tuple[Band, ...], now: datetime, lang: str = "vi",
    agency_id: int | None = None, window: Window = Window.CUTOFF, cutoff_day: int = 15,
    words: Mapping[str, str] | None = None,
) -> PublicPage:
    """Every published figure, each group under 5 evaluations already emptied; the charts say `words`
    (keys of CHART_WORDS)."""
    period = parse_period(period_name, window, cutoff_day)
    results = await build_results(s, period, bands=bands, now=now, agency_id=agency_id, drill=PUBLIC_DRILL,
                                  cutoff_day=cutoff_day)
    rows = tuple((a.code, a.summary.public()) for a in results.agencies)
    # Totals pool published agencies only: a total minus the published rows would reveal a hidden one.
    shown = [a for a in results.agencies if a.totals.evaluations >= MIN_PUBLIC_GROUP]
    total = pooled_row([a.totals for a in shown], [a.score for a in shown], bands).public()
    one = results.agencies[0] if agency_id is not None and results.agencies else None
    drill = protect(one.drill, await store.procedure_fields(s)) if one else {}
    points = await quarter_rates(s, period.name, agency_id=agency_id, window=window, cutoff_day=cutoff_day)
    said = {**CHART_WORDS.get(lang, CHART_WORDS["vi"]), **(words or {})}
    levels = [(r.label, r.shares) for _, r in rows]
    return PublicPage(results, rows, drill, total, trend_svg(points, lang, said["trend_title"], said["missing"]),
                      levels_svg(levels, lang, said["levels_title"], said["withheld"]))


async def quarter_rates(
    s: AsyncSession, period_name: str, *, agency_id: int | None, window: Window = Window.CUTOFF,
    cutoff_day: int = 15, count: int = TREND_QUARTERS, min_group: int = MIN_PUBLIC_GROUP,
) -> list[tuple[str, float | None]]:
    """(quarter, satisfaction rate) of the `count` quarters up to the one that ends the period, oldest
    first, each over the agencies with at least `min_group` responses in its window (1: every agency,
    for staff; the public page's 5 otherwise). The facts must be fresh (build_results refreshes them)."""
    quarters = quarters_up_to(period_name, count)
    windows = [(p.first, p.last) for p in (parse_period(q, window, cutoff_day) for q in quarters)]
    trend = await rollup.trend(s, windows=windows, agency_id=agency_id, grid=cutoff_day)
    return [(q, _published_rate(by_agency, min_group)) for q, by_agency in zip(quarters, trend)]


def _published_rate(by_agency: dict[int, tuple[int, int]], min_group: int = MIN_PUBLIC_GROUP) -> float | None:
    """The satisfaction rate of the agencies with at least `min_group` responses in a window."""
    shown = [(k, n) for k, n in by_agency.values() if n >= max(min_group, 1)]
    return percent(sum(k for k, _ in shown), sum(n for _, n in shown))


Cell = tuple[Dimension, int]  # a drill-down and the index of its row


def protect(drill: Mapping[Dimension, tuple[Row, ...]],
            field_of: Mapping[int, int | None]) -> dict[Dimension, tuple[Row, ...]]:
    """The public drill-downs of one agency: groups under 5 hidden, then as many more as it takes
    for no hidden group to be worked out from the published ones (field_of: procedure → field)."""
    rows = {(d, i): r for d in PUBLIC_DRILL for i, r in enumerate(drill.get(d, ()))}
    cells = sorted((c for c, r in rows.items() if r.evaluations), key=_order)  # an empty group hides nothing
    sums = _sums(drill, cells, field_of)
    hidden = {c for c in cells if rows[c].evaluations < MIN_PUBLIC_GROUP}
    while exposed := _exposed(sums, hidden):
        near = [c for eq in sums if exposed & eq.keys() for c in eq if c not in hidden]
        if not near:  # a group that is the whole of its total: never under 5 while the agency is published
            break
        hidden.add(min(near, key=lambda c: (rows[c].evaluations, _order(c))))
    return {d: tuple(r.withheld() if (d, i) in hidden or not r.evaluations else r
                     for i, r in enumerate(drill.get(d, ()))) for d in PUBLIC_DRILL}


def _order(cell: Cell) -> tuple[int, int]:
    return PUBLIC_DRILL.index(cell[0]), cell[1]


def _sums(drill: Mapping[Dimension, tuple[Row, ...]], cells: Iterable[Cell],
          field_of: Mapping[Any, int | None]) -> list[dict[Cell, int]]:
    """What the published figures add up to, as coefficients over the groups: each drill-down adds up
    to the agency's total (published), and each field minus its procedures is 0."""
    cells = list(cells)
    sums = [{c: 1 for c in cells if c[0] is d} for d in PUBLIC_DRILL]
    field_cell = {drill[Dimension.FIELD][i].key: (Dimension.FIELD, i) for d, i in cells if d is Dimension.FIELD}
    per_field: dict[Cell, dict[Cell, int]] = {}
    for d, i in cells:
        if d is Dimension.PROCEDURE:
            key = drill[d][i].key
            field = field_cell.get(field_of.get(key) if key is not None else None)
            if field is not None:
                per_field.setdefault(field, {field: 1})[(d, i)] = -1
    return [eq for eq in sums + list(per_field.values()) if eq]


def _exposed(sums: list[dict[Cell, int]], hidden: set[Cell]) -> set[Cell]:
    """The hidden groups whose figures follow from the sums and the published groups.

    Each group stands in at most two sums, with opposite signs once the field drill-down's sum is
    negated (a field is +1 there and +1 in its own procedures' sum; a procedure +1 in the procedure
    drill-down and -1 in its field's sum): the sums are the nodes of a graph and each group an edge
    between its two sums, or between its one sum and a free node for groups in one sum only. A
    hidden group is then known exactly when its edge is a bridge of the graph of hidden edges: a
    cycle through it carries any amount without changing a sum. Linear in the page's groups.
    """
    free = len(sums)  # the node of the groups that stand in one sum only
    edges: list[tuple[int, int, Cell]] = []
    for cell in hidden:
        ends = [k for k, eq in enumerate(sums) if cell in eq] + [free]
        assert len(ends) <= 3, "a group stands in at most two sums"
        edges.append((ends[0], ends[1], cell))
    return {edges[e][2] for e in _bridges(free + 1, [(a, b) for a, b, _ in edges])}


def _bridges(nodes: int, edges: list[tuple[int, int]]) -> set[int]:
    """The indexes of the edges whose removal disconnects their ends (parallel edges never are)."""
    around: list[list[tuple[int, int]]] = [[] for _ in range(nodes)]
    for e, (a, b) in enumerate(edges):
        around[a].append((b, e))
        around[b].append((a, e))
    seen, low, bridges, clock = [-1] * nodes, [0] * nodes, set(), 0
    for root in range(nodes):
        if seen[root] >= 0:
            continue
        seen[root] = low[root] = clock
        clock += 1
        stack = [(root, -1, iter(around[root]))]  # node, the edge it was reached by, what is left
        while stack:
            node, via, rest = stack[-1]
            step = next(rest, None)
            if step is None:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > seen[parent]:
                        bridges.add(via)
                continue
            other, e = step
            if e == via:
                continue
            if seen[other] < 0:
                seen[other] = low[other] = clock
                clock += 1
                stack.append((other, e, iter(around[other])))
            else:
                low[node] = min(low[node], seen[other])
    return bridges
