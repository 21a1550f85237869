"""Table tests: each step kind against each reply form (diacritics, digits, words, emoji, controls)."""

from __future__ import annotations

import pytest

from survey_flows import ChoiceReply, Flow, TextReply
from survey_flows.replies import Control, control_of, interpret

OPT_OUT, HELP, BACK = Control.OPT_OUT, Control.HELP, Control.BACK
INVALID = "invalid"
SKIP = "skip"


def meaning(flow: Flow, step_id: str, reply: TextReply | ChoiceReply) -> object:
    """What a reply means, in one comparable value."""
    parsed = interpret(flow.step(step_id), reply)
    if parsed.control is not None:
        return parsed.control
    if parsed.skip:
        return SKIP
    if parsed.answer is None:
        return INVALID
    answer = parsed.answer
    if answer.items is not None:
        return answer.items
    if answer.text is not None:
        return answer.text
    return (answer.value, answer.level)


# nd61-standard "overall": sat3, options in order Rất hài lòng (2) / Hài lòng (1) / Không hài lòng (0).
SAT3 = [
    ("Rất hài lòng", (2, 2)),
    ("rất hài lòng", (2, 2)),
    ("RAT HAI LONG", (2, 2)),
    ("  rat hai long!!  ", (2, 2)),
    ("Hài lòng", (1, 1)),
    ("hai long", (1, 1)),  # a label, not the number word "hai"
    ("Không hài lòng", (0, 0)),
    ("khong hai long", (0, 0)),
    ("chưa hài lòng", (0, 0)),
    ("very satisfied", (2, 2)),
    ("1", (2, 2)),
    ("2.", (1, 1)),
    ("#3", (0, 0)),
    ("một", (2, 2)),
    ("mot", (2, 2)),
    ("hai", (1, 1)),
    ("ba", (0, 0)),
    ("😍", (2, 2)),
    ("🙂", (1, 1)),
    ("👍🏽", (1, 1)),
    ("😡", (0, 0)),
    ("4", INVALID),
    ("0", INVALID),
    ("không", INVALID),
    ("tuyệt", INVALID),
    ("", INVALID),
    ("đúng", INVALID),  # "đúng" is yes, never a stop; here it answers nothing
    ("dung", OPT_OUT),  # bare "dung" cannot answer a satisfaction question: it is "dừng"
    ("dừng", OPT_OUT),
]

STARS5 = [
    ("⭐⭐⭐⭐⭐", (5, 2)),
    ("⭐⭐⭐⭐", (4, 1)),
    ("⭐", (1, 0)),
    ("4", (4, 1)),
    ("4 sao", (4, 1)),
    ("bốn", (4, 1)),
    ("bon", (4, 1)),
    ("năm", (5, 2)),
    ("nam", (5, 2)),
    ("Rất tốt", (5, 2)),
    ("rat tot", (5, 2)),
    ("tốt", (4, 1)),
    ("Kém", (1, 0)),
    ("kem", (1, 0)),
    ("😐", (3, 0)),
    ("6", INVALID),
    ("sáu", INVALID),
]

NUMBER = [  # nd61-standard "contacts" writes indicator.3: 0 -> 2, 1 -> 1, >= 2 -> 0
    ("0", (2, None)),
    ("1", (1, None)),
    ("2", (0, None)),
    ("2 lần", (0, None)),
    ("2 lan", (0, None)),
    ("không", (2, None)),
    ("khong", (2, None)),
    ("không lần nào", (2, None)),
    ("một", (1, None)),
    ("mot", (1, None)),
    ("hai", (0, None)),
    ("ba lần", (0, None)),
    ("bốn", (0, None)),
    ("năm", (0, None)),
    ("20", (0, None)),
    ("21", INVALID),
    ("-1", INVALID),
    ("nhiều", INVALID),
    ("dung", OPT_OUT),
]

YESNO = [  # nd61-standard "officer_conduct": yes -> 0 points, no -> 2 points
    ("có", (0, None)),
    ("Co", (0, None)),
    ("yes", (0, None)),
    ("ừ", (0, None)),
    ("OK", (0, None)),
    ("👍", (0, None)),
    ("đúng", (0, None)),
    ("dung", (0, None)),  # bare "dung" can be "đúng" here, so it is an answer
    ("DUNG", (0, None)),
    ("không", (2, None)),
    ("khong", (2, None)),
    ("ko", (2, None)),
    ("no", (2, None)),
    ("👎", (2, None)),
    ("sai", (2, None)),
    ("1", (0, None)),
    ("2", (2, None)),
    ("dừng", OPT_OUT),  # with diacritics it is always a stop
    ("có lẽ", INVALID),
    ("3", INVALID),
]

REASONS = [
    ("1 3", ("slow", "unclear_guidance")),
    ("1,3", ("slow", "unclear_guidance")),
    ("1, 3", ("slow", "unclear_guidance")),
    ("3;1;3", ("unclear_guidance", "slow")),
    ("2 và 5", ("many_visits", "extra_fees")),
    ("một ba", ("slow", "unclear_guidance")),
    ("6", ("other",)),
    ("Phải đi lại nhiều lần", ("many_visits",)),
    ("phai di lai nhieu lan", ("many_visits",)),
    ("7", INVALID),
    ("1 9", INVALID),
    ("13", INVALID),
    ("chậm", INVALID),
]

OPTIONAL_TEXT = [
    ("Cán bộ nhiệt tình", "Cán bộ nhiệt tình"),
    ("  Chờ lâu.  ", "Chờ lâu."),
    ("😡😡", "😡😡"),
    ("bỏ qua", SKIP),
    ("BO QUA", SKIP),
    ("skip", SKIP),
    ("không", SKIP),
    ("", INVALID),
    ("...", INVALID),
    ("dung", OPT_OUT),  # free text does not read "dung" as an answer
    ("đúng", "đúng"),
]

CONTROLS = [
    ("HUY", OPT_OUT), ("huỷ", OPT_OUT), ("HỦY", OPT_OUT), ("tu choi", OPT_OUT), ("TỪ CHỐI", OPT_OUT),
    ("STOP", OPT_OUT), ("stop.", OPT_OUT), ("DỪNG", OPT_OUT), ("dừng lại", OPT_OUT),
    ("HD", HELP), ("help", HELP), ("?", HELP), ("tro giup", HELP), ("Trợ giúp", HELP),
    ("QUAY LAI", BACK), ("quay lại", BACK), ("QL", BACK), ("back", BACK), ("<", BACK),
    ("dung", None), ("đúng", None), ("huy hiệu", None), ("stop đi mà", None), ("2", None),
]


@pytest.mark.parametrize(("text", "expected"), SAT3)
def test_choice_on_sat3(nd61: Flow, text: str, expected: object) -> None:
    assert meaning(nd61, "overall", TextReply(text)) == expected


@pytest.mark.parametrize(("text", "expected"), STARS5)
def test_choice_on_stars5(quick: Flow, text: str, expected: object) -> None:
    assert meaning(quick, "overall", TextReply(text)) == expected


def test_choice_with_own_options_matches_labels_and_aliases(nd61: Flow) -> None:
    assert meaning(nd61, "bodies", TextReply("chi bo phan mot cua")) == (1, None)
    assert meaning(nd61, "bodies", TextReply("Nhiều nơi")) == (0, None)
    assert meaning(nd61, "published", TextReply("CẢ HAI")) == (2, None)


@pytest.mark.parametrize(("text", "expected"), NUMBER)
def test_number(nd61: Flow, text: str, expected: object) -> None:
    assert meaning(nd61, "contacts", TextReply(text)) == expected


@pytest.mark.parametrize(("text", "expected"), YESNO)
def test_yesno(nd61: Flow, text: str, expected: object) -> None:
    assert meaning(nd61, "officer_conduct", TextReply(text)) == expected


@pytest.mark.parametrize(("text", "expected"), REASONS)
def test_reasons(nd61: Flow, text: str, expected: object) -> None:
    assert meaning(nd61, "reasons", TextReply(text)) == expected


@pytest.mark.parametrize(("text", "expected"), OPTIONAL_TEXT)
def test_optional_text(quick: Flow, text: str, expected: object) -> None:
    assert meaning(quick, "comment", TextReply(text)) == expected


@pytest.mark.parametrize(("text", "expected"), CONTROLS)
def test_control_words_are_whole_messages(text: str, expected: Control | None) -> None:
    assert control_of(text) == expected


@pytest.mark.parametrize("step_id", ["overall", "contacts", "bodies", "officer_conduct", "reasons", "comment"])
@pytest.mark.parametrize(("text", "control"), [("HUY", OPT_OUT), ("hd", HELP), ("ql", BACK)])
def test_control_words_work_at_every_step(nd61: Flow, step_id: str, text: str, control: Control) -> None:
    assert meaning(nd61, step_id, TextReply(text)) == control


@pytest.mark.parametrize(("step_id", "code", "expected"), [
    ("overall", "1", (2, 2)),
    ("overall", "3", (0, 0)),
    ("overall", "4", INVALID),  # stale or forged button
    ("overall", "0", INVALID),
    ("overall", "x", INVALID),
    ("officer_conduct", "1", (0, None)),
    ("officer_conduct", "2", (2, None)),
    ("reasons", "2", ("many_visits",)),
    ("reasons", "2,5", ("many_visits", "extra_fees")),
    ("reasons", "8", INVALID),
    ("contacts", "1", INVALID),  # a number step has no buttons
    ("comment", "1", INVALID),
])
def test_button_codes_are_validated(nd61: Flow, step_id: str, code: str, expected: object) -> None:
    assert meaning(nd61, step_id, ChoiceReply(code)) == expected
