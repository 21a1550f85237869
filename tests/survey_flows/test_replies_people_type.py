"""Replies people really type — abbreviations and teencode, with or without diacritics — for each scale,
and no alias of one option ever read as another option (so never as the opposite level).

The words are data (survey_flows/data/schema.yaml, each option's `aliases`); add rows here with them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from flows_testkit import flow_named

from survey_flows import TextReply
from survey_flows.flow import Step
from survey_flows.replies import interpret


def _step(scale: str) -> Step:
    flow = {"sat3": "quick", "stars5": "quick", "sat5": "sat5-required"}[scale]
    return next(s for s in flow_named(flow).steps if s.scale == scale)


TABLE = {  # scale -> [(typed, value)]
    "sat3": [("5 sao", 2), ("4 sao", 1), ("2 sao", 0), ("1 sao", 0), ("hl", 1), ("HL", 1), ("ok", 1), ("được", 1), ("duoc", 1), ("rhl", 2), ("hài lòng lắm", 2),
             ("hai long lam", 2), ("k hl", 0), ("ko hl", 0), ("kh hl", 0), ("không hài lòng lắm", 0),
             ("khong hai long lam", 0), ("chưa hài lòng", 0), ("chua hl", 0), ("Dạ, hl ạ", 1)],
    "sat5": [("5 sao", 5), ("4 sao", 4), ("3 sao", 3), ("2 sao", 2), ("1 sao", 1), ("hl", 4), ("rhl", 5), ("bt", 3), ("bình thường thôi", 3), ("tạm", 3), ("k hl", 2),
             ("không hài lòng lắm", 2), ("rất k hl", 1), ("5", 5), ("1", 1), ("ok", 4)],
    "stars5": [("5 sao", 5), ("rhl", 5), ("hl", 4), ("ok", 4), ("bt", 3), ("k hl", 2), ("chưa hài lòng", 2),
               ("không hài lòng lắm", 2), ("tệ", 1), ("rất ko hl", 1), ("5", 5), ("1", 1)],
}


@pytest.mark.parametrize(("scale", "typed", "value"),
                         [(scale, typed, value) for scale, rows in TABLE.items() for typed, value in rows])
def test_what_people_type_means_what_they_meant(scale: str, typed: str, value: int) -> None:
    parsed = interpret(_step(scale), TextReply(typed))
    assert not parsed.invalid and parsed.answer is not None and parsed.answer.value == value


@pytest.mark.parametrize("scale", sorted(TABLE))
def test_every_alias_reads_as_its_own_option(scale: str) -> None:
    step = _step(scale)
    for option in step.options:
        for typed in (*option.aliases, *option.label.values()):
            parsed = interpret(step, TextReply(typed))
            assert parsed.answer is not None and parsed.answer.value == option.value, (typed, option.value)


# nd61-standard "contacts" (indicator 3): 0 contacts 2 points, 1 contact 1, 2 or more 0.
COUNTS = [("1 lần thôi", 1), ("1 lan thoi", 1), ("một lần thôi", 1), ("chỉ 1 lần", 1), ("Dạ, 1 lần thôi ạ", 1),
          ("có 2 lần", 0), ("nhiều lần", 0), ("nhieu lan", 0), ("nhiều", 0), ("vài lần", 0), ("hơn 1 lần", 0),
          ("more than once", 0), ("không lần nào", 2), ("0 lần thôi", 2)]


@pytest.mark.parametrize(("typed", "points"), COUNTS)
def test_counts_people_type(typed: str, points: int) -> None:
    parsed = interpret(flow_named("nd61-standard").step("contacts"), TextReply(typed))
    assert not parsed.invalid and parsed.answer is not None and parsed.answer.value == points


@pytest.mark.parametrize("typed", ["nhiều lần", "vài lần", "hơn 1 lần", "1 lần thôi", "nhiều"])
def test_counts_are_never_read_as_a_choice(typed: str) -> None:
    """On a satisfaction question "nhiều lần" is no option (it is asked again), never the option coded "2"."""
    for flow, step in (("nd61-standard", "overall"), ("quick", "overall"), ("sat5-required", "overall")):
        assert interpret(flow_named(flow).step(step), TextReply(typed)).invalid, (flow, step)


def test_many_times_is_not_a_count_where_the_count_itself_is_kept() -> None:
    """A number step that records the count (no points per range) cannot store "nhiều lần" as any number."""
    step = replace(flow_named("nd61-standard").step("contacts"), thresholds=())
    assert interpret(step, TextReply("nhiều lần")).invalid
    assert interpret(step, TextReply("1 lần thôi")).answer.value == 1
