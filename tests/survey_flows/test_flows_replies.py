"""Table tests: each step kind against each reply form (diacritics, digits, words, emoji, controls)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flows_testkit import HERE, flow_named

from survey_flows import ChoiceReply, Flow, Schema, StepKind, TextReply
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
    ("rất ko hài lòng", (0, 0)),
    ("very satisfied", (2, 2)),
    ("Dạ, rất hài lòng ạ", (2, 2)),  # courtesy particles around an answer
    ("hai long a", (1, 1)),
    ("da 3", (0, 0)),
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
    ("rất ko hài lòng", (1, 0)),
    ("4 sao ạ", (4, 1)),
    ("6", INVALID),
    ("sáu", INVALID),
]

# sat5-required "overall": options in order Rất hài lòng (5) / Hài lòng (4) / Bình thường (3) /
# Không hài lòng (2) / Rất không hài lòng (1). The scale says `digits: value`: a digit or number
# word is the option's VALUE, so "5" is Rất hài lòng, as on the button labelled with it (issue 12).
SAT5 = [
    ("Rất hài lòng", (5, 2)),
    ("RAT HAI LONG", (5, 2)),
    ("Hài lòng", (4, 1)),
    ("hai long", (4, 1)),
    ("Bình thường", (3, 0)),
    ("binh thuong", (3, 0)),
    ("tạm được", (3, 0)),
    ("tam duoc", (3, 0)),
    ("tàm tạm", (3, 0)),
    ("Không hài lòng", (2, 0)),
    ("khong hai long", (2, 0)),
    ("ko hài lòng", (2, 0)),
    ("chua hai long", (2, 0)),
    ("Rất không hài lòng", (1, 0)),  # the longer label wins over "Không hài lòng"
    ("rat khong hai long", (1, 0)),
    ("rất ko hài lòng", (1, 0)),
    ("rat k hai long", (1, 0)),
    ("very satisfied", (5, 2)),
    ("neutral", (3, 0)),
    ("very dissatisfied", (1, 0)),
    ("Dạ, rất hài lòng ạ", (5, 2)),
    ("binh thuong a", (3, 0)),
    ("5", (5, 2)),
    ("4.", (4, 1)),
    ("3", (3, 0)),
    ("2", (2, 0)),
    ("1", (1, 0)),
    ("năm", (5, 2)),
    ("ba", (3, 0)),
    ("bon", (4, 1)),
    ("một", (1, 0)),
    ("0", INVALID),
    ("6", INVALID),
    ("😍", (5, 2)),
    ("🙂", (4, 1)),
    ("👍🏽", (4, 1)),
    ("😐", (3, 0)),
    ("🙁", (2, 0)),
    ("👎", (2, 0)),
    ("😡", (1, 0)),
    ("🤬", (1, 0)),
    ("0", INVALID),
    ("6", INVALID),
    ("sáu", INVALID),
    ("5 sao", (5, 2)),  # stars typed on a 5-level scale: its values are the stars' (issue 12, point 6)
    ("1 sao", (1, 0)),
    ("7 sao", INVALID),
    ("tuyệt vời", INVALID),
    ("không", INVALID),
    ("", INVALID),
    ("dạ", INVALID),
    ("đúng", INVALID),
    ("dung", OPT_OUT),
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
    ("2 lần ạ", (0, None)),
    ("20", (0, None)),
    ("21", INVALID),
    ("-1", INVALID),
    ("nhiều", (0, None)),  # more than once: 0 points whatever the count (survey_flows/words.py AT_LEAST_PHRASES)
    ("nhiều lần", (0, None)),
    ("1 lần thôi", (1, None)),
    ("chỉ một lần", (1, None)),
    ("thôi", INVALID),
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
    ("dạ có ạ", (0, None)),
    ("dạ không ạ", (2, None)),
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
    ("1 3 ạ", ("slow", "unclear_guidance")),
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
    ("Dạ, chờ lâu ạ", "Dạ, chờ lâu ạ"),  # free text is kept as typed
]

REQUIRED_TEXT = [  # sat5-required "comment": not optional, so no skip word skips it
    ("Chờ lâu quá", "Chờ lâu quá"),
    ("  Hướng dẫn chưa rõ.  ", "Hướng dẫn chưa rõ."),
    ("ok", "ok"),
    ("😡", "😡"),
    ("đúng", "đúng"),
    ("bỏ qua", INVALID),
    ("BO QUA", INVALID),
    ("skip", INVALID),
    ("không", INVALID),
    ("không có gì", INVALID),
    ("", INVALID),
    ("...", INVALID),
    ("dung", OPT_OUT),
    ("HUY", OPT_OUT),
    ("ql", BACK),
]

CONTROLS = [
    ("HUY", OPT_OUT), ("huỷ", OPT_OUT), ("HỦY", OPT_OUT), ("tu choi", OPT_OUT), ("TỪ CHỐI", OPT_OUT),
    ("STOP", OPT_OUT), ("stop.", OPT_OUT), ("DỪNG", OPT_OUT), ("dừng lại", OPT_OUT),
    ("HD", HELP), ("help", HELP), ("?", HELP), ("tro giup", HELP), ("Trợ giúp", HELP),
    ("QUAY LAI", BACK), ("quay lại", BACK), ("QL", BACK), ("back", BACK), ("<", BACK),
    ("dung", None), ("đúng", None), ("huy hiệu", None), ("stop đi mà", None), ("2", None),
]


# Every reply table and the (flow, step) it is read at; test_every_step_kind_and_scale_has_test_data
# reads the step kinds and scales from here.
TABLES: dict[str, tuple[str, str, list[tuple[str, object]]]] = {
    "sat3": ("nd61-standard", "overall", SAT3),
    "stars5": ("quick", "overall", STARS5),
    "sat5": ("sat5-required", "overall", SAT5),
    "number": ("nd61-standard", "contacts", NUMBER),
    "yesno": ("nd61-standard", "officer_conduct", YESNO),
    "reasons": ("nd61-standard", "reasons", REASONS),
    "optional_text": ("quick", "comment", OPTIONAL_TEXT),
    "required_text": ("sat5-required", "comment", REQUIRED_TEXT),
}
ROWS = [(name, text, expected) for name, (_, _, table) in TABLES.items() for text, expected in table]


@pytest.mark.parametrize(("table", "text", "expected"), ROWS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(ROWS)])
def test_reply_table(table: str, text: str, expected: object) -> None:
    flow_id, step_id, _ = TABLES[table]
    assert meaning(flow_named(flow_id), step_id, TextReply(text)) == expected


def test_choice_with_own_options_matches_labels_and_aliases(nd61: Flow) -> None:
    assert meaning(nd61, "bodies", TextReply("chi bo phan mot cua")) == (1, None)
    assert meaning(nd61, "bodies", TextReply("Nhiều nơi")) == (0, None)
    assert meaning(nd61, "published", TextReply("CẢ HAI")) == (2, None)


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


GOLDEN = HERE / "golden"


def golden_data(path: Path) -> tuple[set[StepKind], set[str]]:
    """The step kinds and scales a golden transcript exercises: steps answered, messages said."""
    data = json.loads(path.read_text(encoding="utf-8"))
    flow = flow_named(data["flow"])
    events = [e for turn in data["turns"] for e in turn["events"]]
    steps = [flow.step(e["step_id"]) for e in events if e["type"] == "answer_recorded"]
    steps += [flow.step(e["step_id"]) for e in events
              if e["type"] == "message_sent" and e["step_id"] and flow.step(e["step_id"]).kind is StepKind.MESSAGE]
    return {s.kind for s in steps}, {s.scale for s in steps if s.scale}


def test_every_step_kind_and_scale_has_test_data(schema: Schema) -> None:
    """A new step kind or scale fails here until golden scenarios or a reply table exercise it."""
    golden_kinds: set[StepKind] = set()
    golden_scales: set[str] = set()
    for path in sorted(GOLDEN.glob("*/*.json")):
        kinds, scales = golden_data(path)
        golden_kinds |= kinds
        golden_scales |= scales
    table_steps = [flow_named(flow_id).step(step_id) for flow_id, step_id, _ in TABLES.values()]
    table_kinds = {s.kind for s in table_steps}
    table_scales = {s.scale for s in table_steps if s.scale}
    every_scale = {scale.id for scale in schema.scales}
    assert golden_kinds == set(StepKind), set(StepKind) - golden_kinds
    assert golden_scales == every_scale, every_scale - golden_scales
    assert table_kinds == set(StepKind) - {StepKind.MESSAGE}, "a kind that reads replies needs a reply table"
    assert table_scales == every_scale, every_scale - table_scales
    assert {False, True} == {s.optional for s in table_steps if s.kind is StepKind.TEXT}
