"""Row arithmetic without a database: band edges, half-up rounding, empty groups, suppression."""

from __future__ import annotations

import pytest

from reports.results import MIN_PUBLIC_GROUP, empty_totals, make_row, percent
from storage.results import FactTotals
from survey_flows import load_schema

BANDS = load_schema().bands


def _totals(points: dict[int, tuple[int, int]], levels: tuple[int, int, int] = (0, 0, 0), n: int = 10) -> FactTotals:
    base = empty_totals(1)
    return FactTotals(1, None, n, {**base.levels, "satisfaction.overall": levels},
                      {**base.points, **{f"indicator.{i}": sc for i, sc in points.items()}})


BAND_CASES = [
    # 15.0 exactly is "good" (the bug this guards against put it in "weak").
    ({1: (20, 10), 3: (20, 10), 4: (20, 10), 6: (20, 10), 7: (20, 10), 2: (5, 10), 8: (0, 1)}, 10.5, "fair"),
    ({1: (2, 1), 3: (2, 1), 4: (2, 1), 6: (2, 1), 7: (2, 1), 2: (2, 1), 8: (1, 1)}, 13.0, "good"),
    ({1: (2, 1), 3: (2, 1), 4: (2, 1), 6: (2, 1), 7: (2, 1), 2: (2, 1), 8: (2, 1), 9: (1, 1)}, 15.0, "good"),
    ({1: (2, 1), 3: (2, 1), 4: (2, 1), 6: (2, 1), 7: (2, 1), 2: (2, 1)}, 12.0, "good"),
    # 11.95 rounds half up to 12.0 (good); 11.94 rounds to 11.9 (fair).
    ({1: (2, 1), 3: (2, 1), 4: (2, 1), 6: (2, 1), 7: (2, 1), 2: (195, 100)}, 12.0, "good"),
    ({1: (2, 1), 3: (2, 1), 4: (2, 1), 6: (2, 1), 7: (2, 1), 2: (194, 100)}, 11.9, "fair"),
    ({1: (2, 1), 3: (2, 1), 4: (2, 1), 6: (2, 1), 7: (2, 1), 2: (2, 1), 8: (2, 1), 9: (2, 1), 5: (1, 20)}, 16.1,
     "excellent"),
    ({1: (0, 5)}, 0.0, "weak"),
    # The edges of survey_flows/data/schema.yaml's bands (domain.md: excellent > 15, good 12–15,
    # fair 9–12, average 6–9, weak < 6, as closed intervals on the 0.1 grid: 15.1–18, 12–15,
    # 9–11.9, 6–8.9, 0–5.9). The total is the sum of the indicators' means rounded to one
    # decimal as by hand (half up) before its band is looked up.
    (dict.fromkeys((1, 2, 3, 4, 6, 7, 8), (2, 1)) | {9: (11, 10)}, 15.1, "excellent"),  # 14 + 1.1
    (dict.fromkeys((1, 2, 3, 4, 6, 7, 8), (2, 1)) | {9: (21, 20)}, 15.1, "excellent"),  # 15.05 → 15.1
    (dict.fromkeys((1, 2, 3, 4, 6, 7, 8), (2, 1)) | {9: (1049, 1000)}, 15.0, "good"),  # 15.049 → 15.0
    (dict.fromkeys(range(1, 10), (2, 1)), 18.0, "excellent"),  # the maximum
    (dict.fromkeys((1, 3, 4, 6), (2, 1)) | {7: (1, 1)}, 9.0, "fair"),  # 8 + 1
    (dict.fromkeys((1, 3, 4, 6), (2, 1)) | {7: (19, 20)}, 9.0, "fair"),  # 8.95 → 9.0
    (dict.fromkeys((1, 3, 4, 6), (2, 1)) | {7: (9, 10)}, 8.9, "average"),  # 8 + 0.9
    (dict.fromkeys((1, 3, 4, 6), (2, 1)) | {7: (949, 1000)}, 8.9, "average"),  # 8.949 → 8.9
    (dict.fromkeys((1, 3, 4), (2, 1)) | {6: (3, 2)}, 7.5, "average"),  # 6 + 1.5: inside the band
    (dict.fromkeys((1, 3, 4), (2, 1)), 6.0, "average"),
    (dict.fromkeys((1, 3), (2, 1)) | {4: (39, 20)}, 6.0, "average"),  # 5.95 → 6.0
    (dict.fromkeys((1, 3), (2, 1)) | {4: (19, 10)}, 5.9, "weak"),  # 4 + 1.9
    (dict.fromkeys((1, 3), (2, 1)) | {4: (1949, 1000)}, 5.9, "weak"),  # 5.949 → 5.9
    # Means that are not whole tenths: 2/3 + 2/3 + 2/3 = 2.0 exactly (added as fractions, not floats).
    ({1: (2, 3), 3: (2, 3), 4: (2, 3)}, 2.0, "weak"),
]


@pytest.mark.parametrize(("points", "total", "band"), BAND_CASES)
def test_totals_fall_in_closed_bands(points, total, band) -> None:
    complete = dict.fromkeys(range(1, 10), (0, 1)) | points  # every indicator present; the absent ones scored 0
    row = make_row(_totals(complete), "x", BANDS)
    assert (row.total, row.band.code) == (total, band)


@pytest.mark.parametrize(("points", "total", "band"), BAND_CASES)
def test_a_partial_total_is_shown_but_never_graded(points, total, band) -> None:
    row = make_row(_totals(points), "x", BANDS)
    if len(points) == 9:
        assert row.band is not None and row.band.code == band
    else:  # "x of y indicators": the bands were made for all nine (Circular 01/2018 Art. 14)
        assert row.total == total and row.band is None


def test_the_band_cases_reach_every_band() -> None:
    assert {band for _, _, band in BAND_CASES} == {b.code for b in BANDS} \
        == {"excellent", "good", "fair", "average", "weak"}


def test_percentages_round_half_up_to_one_decimal() -> None:
    assert percent(1, 16) == 6.3  # 6.25: round() would give 6.2
    assert percent(1, 8) == 12.5 and percent(2, 3) == 66.7 and percent(0, 0) is None
    row = make_row(_totals({}, levels=(15, 0, 1), n=16), "x", BANDS)
    assert row.shares == (6.3, 0.0, 93.8) and row.rate == 6.3


def test_an_empty_group_has_no_figures() -> None:
    row = make_row(empty_totals(1), "x", BANDS)
    assert (row.rate, row.total, row.band, row.shares) == (None, None, None, (None, None, None))


@pytest.mark.parametrize(("n", "suppressed"), [(0, True), (MIN_PUBLIC_GROUP - 1, True), (MIN_PUBLIC_GROUP, False)])
def test_groups_under_five_are_suppressed(n: int, suppressed: bool) -> None:
    row = make_row(_totals({1: (n, n)}, levels=(0, n, 0), n=n), "x", BANDS).public()
    assert row.suppressed is suppressed and (row.rate is None) is suppressed
