"""Replies people really type — abbreviations and teencode, with or without diacritics — for each scale,
and no alias of one option ever read as another option (so never as the opposite level).

The words are data (survey_flows/data/schema.yaml, each option's `aliases`); add rows here with them.
"""

from __future__ import annotations

import pytest
from flows_testkit import flow_named

from survey_flows import TextReply
from survey_flows.flow import Step
from survey_flows.replies import interpret


def _step(scale: str) -> Step:
    flow = {"sat3": "quick", "stars5": "quick", "sat5": "sat5-required"}[scale]
    return next(s for s in flow_named(flow).steps if s.scale == scale)


TABLE = {  # scale -> [(typed, value)]
    "sat3": [("hl", 1), ("HL", 1), ("ok", 1), ("được", 1), ("duoc", 1), ("rhl", 2), ("hài lòng lắm", 2),
             ("hai long lam", 2), ("k hl", 0), ("ko hl", 0), ("kh hl", 0), ("không hài lòng lắm", 0),
             ("khong hai long lam", 0), ("chưa hài lòng", 0), ("chua hl", 0), ("Dạ, hl ạ", 1)],
    "sat5": [("hl", 4), ("rhl", 5), ("bt", 3), ("bình thường thôi", 3), ("tạm", 3), ("k hl", 2),
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
