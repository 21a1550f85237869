"""Indicator arithmetic: dates not timestamps, period means, satisfaction rate."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from survey_flows import indicator_1, indicator_2, period_score, satisfaction_rate

RECEIVED = date(2025, 3, 3)
DUE = date(2025, 3, 10)


@pytest.mark.parametrize(("returned", "points"), [
    (date(2025, 3, 7), 2), (date(2025, 3, 9), 2), (DUE, 1), (date(2025, 3, 11), 0),
])
def test_indicator_1(returned: date, points: int) -> None:
    assert indicator_1(RECEIVED, DUE, returned) == points


def test_indicator_1_compares_days_not_hours() -> None:
    with pytest.raises(TypeError, match="returned_on must be a date, not datetime"):
        indicator_1(RECEIVED, DUE, datetime(2025, 3, 10, 23, 59))
    with pytest.raises(TypeError, match="due_on"):
        indicator_1(RECEIVED, datetime(2025, 3, 10), DUE)
    with pytest.raises(TypeError, match="received_on"):
        indicator_1("2025-03-03", DUE, DUE)  # type: ignore[arg-type]


def test_indicator_1_refuses_dates_before_reception() -> None:
    with pytest.raises(ValueError):
        indicator_1(RECEIVED, DUE, date(2025, 3, 1))


@pytest.mark.parametrize(("steps", "points"), [
    ([(DUE, date(2025, 3, 8)), (DUE, date(2025, 3, 9))], 2),
    ([(DUE, date(2025, 3, 8)), (DUE, DUE)], 1),
    ([(DUE, DUE)], 1),
    ([(DUE, date(2025, 3, 1)), (DUE, date(2025, 3, 11))], 0),
    ([(DUE, DUE), (DUE, date(2025, 3, 12))], 0),
])
def test_indicator_2(steps: list[tuple[date, date]], points: int) -> None:
    assert indicator_2(steps) == points


def test_indicator_2_needs_dates_and_steps() -> None:
    with pytest.raises(TypeError):
        indicator_2([(DUE, datetime(2025, 3, 9, 8, 0))])
    with pytest.raises(ValueError):
        indicator_2([])


def test_period_score_is_the_sum_of_means() -> None:
    dossiers = [
        {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2, 9: 2},
        {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 1, 7: 2, 8: 2, 9: 1},
        {1: 0, 2: 1, 3: 2, 4: 1, 5: 2, 6: 2, 7: 2, 8: 2, 9: 1},
    ]
    # means: 1, 4/3, 5/3, 4/3, 2, 5/3, 2, 2, 4/3 -> 7 + 22/3 = 14.333…
    assert period_score(dossiers) == 14.3
    assert period_score([{1: 2, 3: 1}, {1: 1}]) == 2.5  # mean of 1 over two dossiers, of 3 over one


def test_period_score_rounds_half_up() -> None:
    # Indicator 1 averages 19/20 = 0.95, so the total is 0.95 + 1 + 1 + 2 = 4.95 -> 5.0 (round() gives 4.9 or 5.0
    # depending on float noise; half-up on exact fractions is what a person computes by hand).
    assert period_score([{1: 1, 2: 1, 3: 1, 4: 2}] * 19 + [{1: 0, 2: 1, 3: 1, 4: 2}]) == 5.0
    assert period_score([{1: 1}] * 3 + [{1: 0}] * 17) == 0.2  # 0.15 -> 0.2


def test_period_score_refuses_bad_points_and_no_dossiers() -> None:
    with pytest.raises(ValueError):
        period_score([{1: 3}])
    with pytest.raises(ValueError):
        period_score([])


@pytest.mark.parametrize(("levels", "rate"), [
    ([2, 1, 0], 66.7), ([2, 2], 100.0), ([0, 0, 0], 0.0), ([2, 0, 0, 0, 0, 0, 0, 0], 12.5),
    ([1] * 2 + [0], 66.7), ([], None),
])
def test_satisfaction_rate(levels: list[int], rate: float | None) -> None:
    assert satisfaction_rate(levels) == rate


def test_satisfaction_rate_refuses_unknown_levels() -> None:
    with pytest.raises(ValueError):
        satisfaction_rate([3])


def test_dossier_points_once_returned() -> None:
    from survey_flows import dossier_points

    assert dossier_points(date(2026, 1, 5), date(2026, 1, 9), date(2026, 1, 9)) == {"indicator.1": 1}
    assert dossier_points(date(2026, 1, 5), date(2026, 1, 9), date(2026, 1, 12)) == {"indicator.1": 0}
    assert dossier_points(date(2026, 1, 5), date(2026, 1, 9), None) == {}
    assert dossier_points(date(2026, 1, 5), None, date(2026, 1, 8)) == {}
