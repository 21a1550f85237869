"""The flow form's YAML: every shipped flow reads into the form and writes back byte for byte; edits
keep the untouched questions' text (comments included); any data writes as YAML that reads back the same."""

from __future__ import annotations

import copy

import pytest

from bot.conversation.flows import shipped_source
from bot.office.flow_form import compose, emit, form_of, parse
from survey_flows import load_schema, shipped_flows

SCHEMA = load_schema()


@pytest.mark.parametrize("flow_id", sorted(shipped_flows()))
def test_a_shipped_flow_reads_into_the_form_and_writes_back_the_same(flow_id: str) -> None:
    source = shipped_source(flow_id) or ""
    data = parse(source).data
    assert compose(source, copy.deepcopy(data)) == source
    assert parse(emit(data)).data == data  # written afresh, it still reads the same
    form = form_of(source, SCHEMA)
    assert form is not None and [s.id for s in form.steps] == [s["id"] for s in data["steps"]]
    assert all(s.when_test in ("", "in") for s in form.steps)  # every shipped condition fits the menus


def test_nd61_conditions_show_as_the_overall_answer_not_satisfied() -> None:
    form = form_of(shipped_source("nd61-standard") or "", SCHEMA)
    assert form is not None
    reasons = next(s for s in form.steps if s.id == "reasons")
    assert (reasons.when_step, reasons.when_test, reasons.when_values) == ("overall", "in", ("0",))
    overall = next(src for src in reasons.sources if src.id == "overall")
    assert [o.label for o in overall.options if o.value == "0"] == ["Không hài lòng"]


def test_moving_and_editing_keeps_the_other_questions_as_written() -> None:
    source = shipped_source("nd61-standard") or ""
    data = parse(source).data
    moved = copy.deepcopy(data)
    moved["steps"][2], moved["steps"][3] = moved["steps"][3], moved["steps"][2]
    moved["steps"][1]["text"]["vi"] = "Ông/Bà hài lòng chứ?"
    text = compose(source, moved)
    assert parse(text).data == moved
    assert "  # Indicator 4. Asked as" in text  # the comment above "bodies" moved with it
    assert text.index("  - id: bodies") < text.index("  - id: contacts")
    assert '      vi: "Ông/Bà hài lòng chứ?"' in text
    assert text.startswith(source[:source.index("  - id: intro")])  # the header as written
    renamed = copy.deepcopy(data)
    renamed["name"]["vi"] = "Tên mới"
    text = compose(source, renamed)
    assert parse(text).data == renamed and text.startswith("# The standard post-service evaluation")
    assert text[text.index("  - id: intro"):] == source[source.index("  - id: intro"):]


@pytest.mark.parametrize("value", ["yes", "null", "true", "1", "2025.1", "a: b", "x # y", 'say "hi"',
                                   "line\nbreak", "tab\there", "dấu\u2028tách", "{dossier_code}", "- dash", ""])
def test_any_text_writes_as_yaml_that_reads_back_the_same(value: str) -> None:
    data = {"id": "t", "version": value, "name": {"vi": value, "en": "x"}, "languages": ["vi", "en"],
            "steps": [{"id": "q1", "kind": "text", "optional": True, "writes": "comment",
                       "text": {"vi": value, "en": value}, "when": {"step": value, "value_in": [0, 2]}}]}
    assert parse(emit(data)).data == data


def test_a_flow_laid_out_otherwise_is_written_afresh_and_reads_the_same() -> None:
    source = 'id: t\nversion: "1"\nname: {vi: T, en: T}\nlanguages: [vi, en]\nsteps: [{id: a, kind: message, text: {vi: "x", en: "y"}}]\n'
    data = parse(source).data
    assert compose(source, data) == source
    changed = copy.deepcopy(data)
    changed["steps"][0]["text"]["vi"] = "z"
    text = compose(source, changed)
    assert parse(text).data == changed and "  - id: a\n" in text
