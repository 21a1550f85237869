"""The integer roundings of reports.results give exactly what survey_flows' Fraction/Decimal rules give."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from reports.results import _rate, mean_points, percent, total_points
from survey_flows.scoring import period_score_from_totals, round_one, satisfaction_rate_from_counts


def _old_mean(total: int, count: int) -> float | None:
    """mean_points as it was written before: Decimal division, quantized half up."""
    if not count:
        return None
    return float((Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _counts(rng: random.Random) -> int:
    return rng.choice((rng.randrange(10), rng.randrange(1000), rng.randrange(10**7)))


def test_percent_rate_and_mean_agree_on_random_counts() -> None:
    rng = random.Random(61)
    for _ in range(20_000):
        part, whole = _counts(rng), _counts(rng)
        part = min(part, whole)
        assert percent(part, whole) == (round_one(Fraction(100 * part, whole)) if whole else None), (part, whole)
        assert mean_points(2 * part, whole) == _old_mean(2 * part, whole), (part, whole)
        levels = (_counts(rng), _counts(rng), _counts(rng))
        assert _rate(levels) == satisfaction_rate_from_counts(dict(enumerate(levels))), levels


@pytest.mark.parametrize(("part", "whole"), [(1, 16), (1, 8), (2, 3), (1, 2000), (1, 6), (5, 6), (0, 7), (7, 7)])
def test_percent_halves_round_up(part: int, whole: int) -> None:
    assert percent(part, whole) == round_one(Fraction(100 * part, whole))


def test_totals_agree_on_random_indicators() -> None:
    rng = random.Random(2018)
    for _ in range(5_000):
        points = {}
        for indicator in rng.sample(range(1, 10), rng.randint(1, 9)):
            count = rng.choice((1, rng.randrange(1, 20), rng.randrange(1, 10**6)))
            points[indicator] = (rng.randint(0, 2 * count), count)
        assert total_points(points) == period_score_from_totals(points), points


def test_totals_out_of_range_fail_like_survey_flows() -> None:
    with pytest.raises(ValueError):
        total_points({1: (5, 2)})
    with pytest.raises(ValueError):
        total_points({})
