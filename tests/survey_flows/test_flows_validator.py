"""The flow validator: every broken fixture yields exactly the expected ``file:line: message`` lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_flows import FlowInvalid, Schema, UnknownFlow, load_flow, shipped_flows, validate_files
from survey_flows.errors import FlowError

FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED: dict[str, list[str]] = {
    "syntax_error.yaml": [
        "9: YAML syntax error: expected ',' or ']', but got ':'",
    ],
    "not_a_flow.yaml": [
        "1: a flow must be a mapping with id, version, name, languages and steps",
    ],
    "empty_header.yaml": [
        "1: missing 'id'",
        "1: missing 'version'",
        "1: missing 'name'",
        "1: missing 'languages'",
        "1: the flow asks nothing: add a step that is not a message",
    ],
    "unknown_field_and_kind.yaml": [
        "9: step 'overall': unknown schema field 'satisfaction.overal'",
        "12: step 'slider': unknown kind 'slider' (expected one of: choice, message, number, reasons, text, yesno)",
        "17: step 'online': unknown scale 'sat7' (expected one of: sat3, sat5, stars5)",
    ],
    "dangling_when.yaml": [
        "13: step 'overall': when refers to step 'comment', which does not come before it",
        "18: step 'reasons': when refers to unknown step 'overal'",
        "25: step 'comment': when refers to step 'hello', which records no answer",
        "26: step 'comment': unknown when test 'below' (expected one of: level_in, value_in, answered, lt, le, gt, ge)",
    ],
    "missing_translation.yaml": [
        "3: name lacks language 'en'",
        "9: step 'bodies': text lacks language 'en'",
        "16: step 'bodies': option 0 label lacks language 'en'",
    ],
    "duplicate_ids.yaml": [
        "11: duplicate step id 'overall' (first at line 6)",
        "14: step 'overall': field 'satisfaction.overall' is already written by step 'overall'",
        "16: duplicate key 'text' (first at line 15)",
    ],
    "unmapped_options.yaml": [
        "13: step 'bodies': option value 5 is not allowed for field 'indicator.4' (allowed: 0, 1, 2)",
        "23: step 'convenience': option value 0 has no level for field 'satisfaction.convenience'",
        "27: step 'stars_as_points': option value 3 is not allowed for field 'indicator.6' (allowed: 0, 1, 2)",
        "27: step 'stars_as_points': option value 4 is not allowed for field 'indicator.6' (allowed: 0, 1, 2)",
        "27: step 'stars_as_points': option value 5 is not allowed for field 'indicator.6' (allowed: 0, 1, 2)",
        "30: step 'conduct': missing 'no' (the value a no records)",
    ],
    "computed_indicator.yaml": [
        "8: step 'timely': field 'indicator.1' is computed from the dossier's dates; a flow cannot ask for it",
    ],
    "wrong_kinds.yaml": [
        "1: id must be lower-case letters, digits, '-', '_' or '.', not 'Wrong Kinds'",
        "4: languages must start with 'vi' (citizens read Vietnamese first)",
        "5: max_attempts must be a positive integer, not 0",
        "6: unknown key 'colour'",
        "10: step 'bodies': number step writes 'indicator.4', which has no thresholds",
        "14: step 'overall': a number step cannot write 'satisfaction.overall' (a level field)",
        "19: step 'comment': a choice step cannot write 'comment' (a text field)",
        "20: step 'comment': text uses unknown placeholder {oficer}",
        "21: step 'comment_again': missing 'writes' (the schema field it fills)",
        "23: step 'comment_again': unknown key 'write'",
        "27: step 'hello': unknown key 'writes'",
    ],
    "misc_steps.yaml": [
        "3: name must be a mapping of languages, e.g. {vi: \"…\", en: \"…\"}",
        "6: step 'a': text must be a mapping of languages, e.g. {vi: \"…\", en: \"…\"}",
        "7: step 'b': 'answered' must be true or false",
        "8: step 'c': 'min' 5 is above 'max' 2",
        "9: step 'd': a choice step needs either 'scale' or 'options'",
        "10: step 'e': option value 5 maps to level 5, not a satisfaction level (allowed: 0, 1, 2)",
        "11: step 'f': option: unknown key 'colour'",
        "11: step 'f': needs at least two options",
        "12: step 7 has no id",
        "13: step 'h': missing 'kind' (one of: choice, message, number, reasons, text, yesno)",
        "14: step 'g': field 'indicator.3' is already written by step 'c'",
        "15: step 10 must be a mapping with id, kind and text",
    ],
}


def test_every_fixture_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in FIXTURES.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_fixture(name: str, schema: Schema) -> None:
    path = FIXTURES / name
    problems = validate_files([path], schema)
    assert [str(p) for p in problems] == [f"{path}:{line}" for line in EXPECTED[name]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_flow_refuses_a_broken_file(name: str, schema: Schema) -> None:
    with pytest.raises(FlowInvalid) as caught:
        load_flow(FIXTURES / name, schema)
    assert caught.value.code == "flow_invalid"
    assert len(caught.value.problems) == len(EXPECTED[name])
    assert str(caught.value).startswith(str(FIXTURES / name))


def test_shipped_flows_are_valid(schema: Schema) -> None:
    assert validate_files(shipped_flows().values(), schema) == []


def test_shipped_flow_ids_match_file_names(schema: Schema) -> None:
    for flow_id in shipped_flows():
        assert load_flow(flow_id, schema).id == flow_id


def test_same_flow_id_in_two_files(tmp_path: Path, schema: Schema) -> None:
    source = shipped_flows()["quick"].read_text(encoding="utf-8")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(source, encoding="utf-8")
    second.write_text(source, encoding="utf-8")
    assert [str(p) for p in validate_files([first, second], schema)] == [
        f"{second}:1: flow id 'quick' is already used by {first}"
    ]


def test_unreadable_file_is_a_problem(tmp_path: Path, schema: Schema) -> None:
    missing = tmp_path / "missing.yaml"
    problems = validate_files([missing], schema)
    assert len(problems) == 1 and problems[0].line == 1 and "cannot read file" in problems[0].message


def test_unknown_flow() -> None:
    with pytest.raises(UnknownFlow) as caught:
        load_flow("no-such-flow")
    assert isinstance(caught.value, FlowError)
    assert caught.value.code == "unknown_flow"
    assert "quick" in str(caught.value)


def test_valid_when_forms_load(tmp_path: Path, schema: Schema) -> None:
    path = tmp_path / "when.yaml"
    path.write_text("""
id: when-forms
version: "1"
name: {vi: "Điều kiện"}
languages: [vi]
steps:
  - {id: contacts, kind: number, writes: indicator.3, text: {vi: "Mấy lần?"}}
  - id: overall
    kind: choice
    scale: sat5
    writes: satisfaction.overall
    text: {vi: "Hài lòng?"}
    when: {any: [{step: contacts, value_in: [0, 1]}, {step: contacts, answered: false}]}
  - id: comment
    kind: text
    writes: comment
    text: {vi: "Góp ý?"}
    when: {all: [{step: overall, le: 3, ge: 1}, {step: overall, level_in: [0]}]}
""", encoding="utf-8")
    flow = load_flow(path, schema)
    assert [s.id for s in flow.steps] == ["contacts", "overall", "comment"]
    assert flow.max_attempts == 3
