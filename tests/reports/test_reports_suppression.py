"""Complementary suppression on an agency's public drill-downs (reports.public.protect): no group
under 5 can be worked out as a published total minus the published groups, by hand-made fixtures."""

from __future__ import annotations

from reports.public import protect
from reports.results import Row, empty_totals, make_row
from storage.results import Dimension, FactTotals
from survey_flows import load_schema

BANDS = load_schema().bands
F, P, C = Dimension.FIELD, Dimension.PROCEDURE, Dimension.CHANNEL


def _row(key: int | str, n: int) -> Row:
    """A group of n evaluations, all "satisfied" (level 1) with indicator 1 at 2 points."""
    base = empty_totals(1)
    totals = FactTotals(1, key, n, {**base.levels, "satisfaction.overall": (0, n, 0)},
                        {**base.points, "indicator.1": (2 * n, n)})
    return make_row(totals, f"{key}", BANDS)


def _drill(fields: dict[int, int], procedures: dict[int, int], channels: dict[str, int]) -> dict:
    return {F: tuple(_row(k, n) for k, n in fields.items()), P: tuple(_row(k, n) for k, n in procedures.items()),
            C: tuple(_row(k, n) for k, n in channels.items())}


def _hidden(published: dict) -> dict[Dimension, set]:
    return {d: {r.key for r in rows if r.suppressed} for d, rows in published.items()}


def test_one_small_group_takes_the_next_smallest_with_it() -> None:
    # Agency total 33 = kiosk 10 + web 3 + sms 20: shown alone, web would be 33 - 10 - 20.
    drill = _drill({1: 33}, {11: 33}, {"kiosk": 10, "web": 3, "sms": 20})
    published = protect(drill, {11: 1})
    assert _hidden(published) == {F: set(), P: set(), C: {"web", "kiosk"}}
    kiosk = next(r for r in published[C] if r.key == "kiosk")
    assert (kiosk.rate, kiosk.levels, kiosk.shares, kiosk.total, kiosk.means) == (None, None, None, None, {})
    sms = next(r for r in published[C] if r.key == "sms")
    assert (sms.suppressed, sms.rate, sms.total) == (False, 100.0, 2.0)


def test_two_small_groups_hide_each_other() -> None:
    drill = _drill({1: 35}, {11: 35}, {"kiosk": 10, "web": 3, "sms": 2, "zalo": 20})
    assert _hidden(protect(drill, {11: 1}))[C] == {"web", "sms"}


def test_nothing_more_is_hidden_when_no_group_is_small() -> None:
    drill = _drill({1: 12, 2: 8}, {11: 12, 21: 8}, {"kiosk": 5, "web": 15})
    assert _hidden(protect(drill, {11: 1, 21: 2})) == {F: set(), P: set(), C: set()}


def test_a_field_minus_its_published_procedures_gives_nothing_away() -> None:
    # Fields 1 (13) and 2 (22); procedures 11 (10) and 12 (3) in field 1, 21 (2) and 22 (20) in field 2.
    # Two procedures are under 5, so "one per drill-down" would stop there; but field 1 - procedure 11
    # = procedure 12 and field 2 - procedure 22 = procedure 21: both partners go too.
    drill = _drill({1: 13, 2: 22}, {11: 10, 12: 3, 21: 2, 22: 20}, {"kiosk": 35})
    published = protect(drill, {11: 1, 12: 1, 21: 2, 22: 2})
    assert _hidden(published) == {F: set(), P: {11, 12, 21, 22}, C: set()}


def test_a_field_hidden_as_a_partner_is_not_left_as_the_sum_of_published_procedures() -> None:
    # Field 1 (3) is small, field 2 (6) goes with it; procedure 21 is all of field 2, so it goes too,
    # else field 2 = procedure 21 and field 1 = 29 - 20 - 6.
    drill = _drill({1: 3, 2: 6, 3: 20}, {11: 3, 21: 6, 31: 20}, {"kiosk": 29})
    published = protect(drill, {11: 1, 21: 2, 31: 3})
    assert _hidden(published) == {F: {1, 2}, P: {11, 21}, C: set()}


def test_the_smallest_partner_is_taken_and_ties_go_to_the_first_row() -> None:
    drill = _drill({1: 30}, {11: 30}, {"kiosk": 8, "web": 2, "sms": 8, "zalo": 12})
    assert _hidden(protect(drill, {11: 1}))[C] == {"web", "kiosk"}
