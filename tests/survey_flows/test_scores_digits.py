"""Issue 12: a digit on a 5-level or star scale means the value on the button with that label."""

from __future__ import annotations

import pytest
from flows_testkit import flow_named

from survey_flows import ChoiceReply, Flow, Schema, TextReply, choices_for
from survey_flows.replies import interpret
from survey_flows.schema import Digits


def _answer(flow: Flow, step_id: str, reply: TextReply | ChoiceReply) -> tuple[int | None, int | None]:
    answer = interpret(flow.step(step_id), reply).answer
    assert answer is not None
    return answer.value, answer.level


def test_scales_say_what_a_digit_means(schema: Schema) -> None:
    assert {s.id: s.digits for s in schema.scales} == {
        "sat3": Digits.POSITION, "sat5": Digits.VALUE, "stars5": Digits.VALUE}


def test_choices_for_sat5_are_values_not_positions() -> None:
    step = flow_named("sat5-required").step("overall")
    assert choices_for(step, "vi") == (
        ("5", "Rất hài lòng"), ("4", "Hài lòng"), ("3", "Bình thường"),
        ("2", "Không hài lòng"), ("1", "Rất không hài lòng"))
    assert choices_for(step, "en")[0] == ("5", "Very satisfied")


def test_choices_for_sat3_and_own_options_are_positions(nd61: Flow) -> None:
    assert [code for code, _ in choices_for(nd61.step("overall"), "vi")] == ["1", "2", "3"]
    assert choices_for(nd61.step("bodies"), "vi")[0][0] == "1"
    assert choices_for(nd61.step("contacts"), "vi") == ()
    assert choices_for(nd61.step("intro"), "vi") == ()


def test_stars_codes_are_the_star_counts(quick: Flow) -> None:
    assert choices_for(quick.step("overall"), "vi") == (
        ("1", "Kém"), ("2", "Chưa tốt"), ("3", "Bình thường"), ("4", "Tốt"), ("5", "Rất tốt"))


@pytest.mark.parametrize("flow_id, step_id", [("sat5-required", "overall"), ("quick", "overall"),
                                               ("nd61-standard", "overall"), ("nd61-standard", "bodies")])
def test_typed_digit_pressed_code_and_label_agree(flow_id: str, step_id: str) -> None:
    flow = flow_named(flow_id)
    step = flow.step(step_id)
    for code, label in choices_for(step, "vi"):
        by_label = _answer(flow, step_id, TextReply(label))
        assert _answer(flow, step_id, TextReply(code)) == by_label
        assert _answer(flow, step_id, ChoiceReply(code)) == by_label


def test_five_on_sat5_is_very_satisfied_not_the_fifth_choice() -> None:
    flow = flow_named("sat5-required")
    assert _answer(flow, "overall", TextReply("5")) == (5, 2)
    assert _answer(flow, "overall", ChoiceReply("5")) == (5, 2)
    assert _answer(flow, "overall", TextReply("1")) == (1, 0)
    assert interpret(flow.step("overall"), ChoiceReply("0")).invalid
    assert interpret(flow.step("overall"), ChoiceReply("6")).invalid
