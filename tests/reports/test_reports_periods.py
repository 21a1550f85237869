"""Period names and their windows, table-driven."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from reports.errors import ReportError
from reports.periods import Window, parse_period, quarters_up_to

CUTOFF = [
    ("2019-Q1", date(2018, 12, 15), date(2019, 3, 14)),
    ("2019-Q2", date(2019, 3, 15), date(2019, 6, 14)),
    ("2019-Q4", date(2019, 9, 15), date(2019, 12, 14)),
    ("2019-H1", date(2018, 12, 15), date(2019, 6, 14)),
    ("2019-H2", date(2019, 6, 15), date(2019, 12, 14)),
    ("2019-9M", date(2018, 12, 15), date(2019, 9, 14)),
    ("2019", date(2018, 12, 15), date(2019, 12, 14)),
    ("2019-05", date(2019, 4, 15), date(2019, 5, 14)),
    ("2019-01", date(2018, 12, 15), date(2019, 1, 14)),
    ("2019-q2", date(2019, 3, 15), date(2019, 6, 14)),
]
CALENDAR = [
    ("2019-Q1", date(2019, 1, 1), date(2019, 3, 31)),
    ("2019-Q2", date(2019, 4, 1), date(2019, 6, 30)),
    ("2019-H2", date(2019, 7, 1), date(2019, 12, 31)),
    ("2019-9M", date(2019, 1, 1), date(2019, 9, 30)),
    ("2019", date(2019, 1, 1), date(2019, 12, 31)),
    ("2020-02", date(2020, 2, 1), date(2020, 2, 29)),
]


@pytest.mark.parametrize(("name", "first", "last"), CUTOFF)
def test_cutoff_windows_run_from_the_15th_to_the_14th(name: str, first: date, last: date) -> None:
    period = parse_period(name)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(("name", "first", "last"), CALENDAR)
def test_calendar_windows(name: str, first: date, last: date) -> None:
    period = parse_period(name, Window.CALENDAR)
    assert (period.first, period.last) == (first, last)


def test_the_cutoff_day_is_configurable() -> None:
    period = parse_period("2019-Q2", cutoff_day=20)
    assert (period.first, period.last) == (date(2019, 3, 20), date(2019, 6, 19))


def test_utc_bounds_are_local_midnights() -> None:
    start, end = parse_period("2019-Q2").utc_bounds()
    assert start == datetime(2019, 3, 14, 17, tzinfo=timezone.utc)
    assert end == datetime(2019, 6, 14, 17, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", ["2019-Q5", "2019-13", "19-Q1", "2019-H3", "Q2-2019", "", "0000", "1999-Q4", "9999-Q1"])
def test_bad_names_are_refused_in_both_languages(name: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_period(name)
    assert "kỳ báo cáo" in caught.value.vi and "period" in caught.value.en


def test_trend_quarters() -> None:
    assert quarters_up_to("2019-Q1", 3) == ["2018-Q3", "2018-Q4", "2019-Q1"]
    assert quarters_up_to("2019", 2) == ["2019-Q3", "2019-Q4"]
