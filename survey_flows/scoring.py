"""Indicator arithmetic of Circular 01/2018 Art. 13: dates in, points and period scores out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from survey_flows.schema import Band
from survey_flows.schema_loader import tenths

POINTS = frozenset({0, 1, 2})


def _require_date(name: str, value: object) -> date:
    # datetime is a subclass of date; a timestamp would compare hours, the rule compares days.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")
    return value


def _on_time_points(due_on: date, done_on: date) -> int:
    return 2 if done_on < due_on else 1 if done_on == due_on else 0


def indicator_1(received_on: date, due_on: date, returned_on: date) -> int:
    """Total settlement time: returned before the promised date 2, on it 1, after it 0."""
    received_on = _require_date("received_on", received_on)
    due_on = _require_date("due_on", due_on)
    returned_on = _require_date("returned_on", returned_on)
    if due_on < received_on or returned_on < received_on:
        raise ValueError("due_on and returned_on cannot be before received_on")
    return _on_time_points(due_on, returned_on)


def dossier_points(received_on: date, due_on: date | None, returned_on: date | None,
                   unit_steps: Iterable[tuple[date, date]] | None = None) -> dict[str, int]:
    """The computed fields an evaluation gets from its dossier: ``{"indicator.1": 2}`` once returned.

    ``unit_steps`` (each participating unit's (due_on, done_on), when the import or API supplies
    them) add ``indicator.2``; without them indicator 2 is absent, i.e. "not measured", and
    ``agency_total`` lists it as missing rather than scoring it.
    """
    if due_on is None or returned_on is None:
        return {}
    points = {"indicator.1": indicator_1(received_on, due_on, returned_on)}
    steps = list(unit_steps or ())
    if steps:
        points["indicator.2"] = indicator_2(steps)
    return points


def indicator_2(unit_steps: Iterable[tuple[date, date]]) -> int:
    """Each unit's (due_on, done_on): all early 2, any late 0, otherwise 1."""
    points = [_on_time_points(_require_date("due_on", due), _require_date("done_on", done))
              for due, done in unit_steps]
    if not points:
        raise ValueError("indicator 2 needs at least one unit step")
    return 0 if 0 in points else 2 if all(p == 2 for p in points) else 1


def round_one(value: Fraction | float) -> float:
    """Round half up to one decimal, as people do by hand (Python's round() goes to even)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) \
        else Decimal(repr(value))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def period_score(per_dossier: Iterable[Mapping[int, int]]) -> float:
    """Mean of each indicator over the dossiers that have it, summed, to one decimal (0..18)."""
    totals: dict[int, list[int]] = {}
    for dossier in per_dossier:
        for indicator, points in dossier.items():
            if points not in POINTS:
                raise ValueError(f"indicator {indicator}: points must be 0, 1 or 2, not {points!r}")
            totals.setdefault(indicator, []).append(points)
    return period_score_from_totals({i: (sum(p), len(p)) for i, p in totals.items()})


def period_score_from_totals(totals: Mapping[int, tuple[int, int]]) -> float:
    """``period_score`` from each indicator's (sum of points, dossiers scored), as a database sums them."""
    means = [Fraction(total, count) for total, count in totals.values() if count]
    if not means:
        raise ValueError("no evaluated dossiers in the period")
    if any(not 0 <= mean <= 2 for mean in means):
        raise ValueError("an indicator's mean must lie between 0 and 2")
    return round_one(sum(means, Fraction(0)))


def band_for(score: float, bands: Sequence[Band]) -> Band:
    """The band whose closed interval holds ``score`` (first rounded to the 0.1 grid)."""
    grid = tenths(round_one(score))
    for band in bands:
        low, high = tenths(band.low), tenths(band.high)
        if low is not None and high is not None and grid is not None and low <= grid <= high:
            return band
    raise ValueError(f"score {score} falls in no rating band")


def satisfaction_rate(levels: Iterable[int]) -> float | None:
    """(Very satisfied + satisfied) / responses × 100, one decimal; None with no responses."""
    counted = list(levels)
    if any(level not in POINTS for level in counted):
        raise ValueError("satisfaction levels must be 0, 1 or 2")
    return satisfaction_rate_from_counts({level: counted.count(level) for level in POINTS})


def satisfaction_rate_from_counts(counts: Mapping[int, int]) -> float | None:
    """``satisfaction_rate`` from how many responses gave each level, as a database counts them."""
    if any(level not in POINTS or n < 0 for level, n in counts.items()):
        raise ValueError("satisfaction levels must be 0, 1 or 2, counts not negative")
    responses = sum(counts.values())
    if not responses:
        return None
    return round_one(Fraction(100 * (counts.get(1, 0) + counts.get(2, 0)), responses))
