"""Issue 12: schema versions an admin can check and load; a period that spans two versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from survey_flows import (
    Schema,
    SchemaInvalid,
    check_schema_text,
    load_schema,
    load_schema_text,
    schema_in_force,
    schema_template_path,
    shipped_schema_path,
    version_problems,
    version_spans,
)
from survey_flows.schema import Source

SHIPPED = shipped_schema_path().read_text(encoding="utf-8")
TEMPLATE = schema_template_path().read_text(encoding="utf-8")
D = date


@pytest.fixture(scope="module")
def old() -> Schema:
    return load_schema()


@pytest.fixture(scope="module")
def new() -> Schema:
    return load_schema_text(TEMPLATE, "tt03-2025.yaml")


def test_shipped_schema_has_its_effective_date_and_every_indicator_its_source(old: Schema) -> None:
    assert old.effective_from == D(2019, 1, 8) and old.effective_to is None
    assert "to verify against the circular" in SHIPPED.lower()
    assert {i.id: i.origin for i in old.indicators} == {
        1: Source.DATES, 2: Source.DATES, 3: Source.CITIZEN, 4: Source.CITIZEN, 5: Source.AGENCY,
        6: Source.CITIZEN, 7: Source.CITIZEN, 8: Source.REGISTER, 9: Source.AGENCY}
    assert {i.id: i.method for i in old.indicators} == {
        1: "dates", 2: "unit_dates", 3: "contacts", 4: "bodies", 5: "agency_entry", 6: "answer",
        7: "timeliness_and_complaints", 8: "complaint_handling", 9: "online_services"}
    assert all(i.rule is not None and i.rule.get("vi") and i.rule.get("en") for i in old.indicators)
    assert [i.id for i in old.indicators if i.per_dossier] == [1, 2, 3, 4, 6, 7]
    assert [i.id for i in old.indicators if i.per_agency] == [5, 6, 8, 9]


def test_the_template_is_a_valid_schema_marked_to_verify(new: Schema) -> None:
    assert new.version == "tt03-2025.1" and new.effective_from == D(2025, 7, 1)
    assert "TO VERIFY" in TEMPLATE and "CHƯA đối chiếu" in TEMPLATE
    assert check_schema_text(TEMPLATE) == []


def test_schema_in_force(old: Schema, new: Schema) -> None:
    versions = [new, old]  # any order
    assert schema_in_force(versions, D(2018, 12, 31)) is None
    assert schema_in_force(versions, D(2019, 1, 8)) is old
    assert schema_in_force(versions, D(2025, 6, 30)) is old
    assert schema_in_force(versions, D(2025, 7, 1)) is new
    assert schema_in_force(versions, D(2030, 1, 1)) is new
    ended = replace(new, effective_to=D(2026, 12, 31))
    assert schema_in_force([old, ended], D(2027, 1, 1)) is None


def test_a_quarter_spanning_two_versions_splits_by_hand(old: Schema, new: Schema) -> None:
    # Q3 2025 on the common cut-off window: 15 Jun – 14 Sep 2025; the new schema starts 1 Jul.
    spans = version_spans([old, new], D(2025, 6, 15), D(2025, 9, 14))
    assert [(s.version, s.start, s.end) for s in spans] == [
        ("tt01-2018.1", D(2025, 6, 15), D(2025, 6, 30)),
        ("tt03-2025.1", D(2025, 7, 1), D(2025, 9, 14)),
    ]
    assert spans[0].to_json() == {"version": "tt01-2018.1", "start": "2025-06-15", "end": "2025-06-30"}
    # a calendar quarter inside one version is one span
    assert [(s.version, s.start, s.end) for s in version_spans([old, new], D(2026, 4, 1), D(2026, 6, 30))] == [
        ("tt03-2025.1", D(2026, 4, 1), D(2026, 6, 30))]


def test_spans_show_days_no_version_covers(old: Schema, new: Schema) -> None:
    early = version_spans([old], D(2018, 12, 1), D(2019, 1, 31))
    assert [(s.version, s.start, s.end) for s in early] == [
        (None, D(2018, 12, 1), D(2019, 1, 7)), ("tt01-2018.1", D(2019, 1, 8), D(2019, 1, 31))]
    ended_old = replace(old, effective_to=D(2025, 6, 20))
    gap = version_spans([ended_old, new], D(2025, 6, 15), D(2025, 7, 5))
    assert [(s.version, s.start, s.end) for s in gap] == [
        ("tt01-2018.1", D(2025, 6, 15), D(2025, 6, 20)), (None, D(2025, 6, 21), D(2025, 6, 30)),
        ("tt03-2025.1", D(2025, 7, 1), D(2025, 7, 5))]
    with pytest.raises(ValueError):
        version_spans([old], D(2025, 2, 1), D(2025, 1, 1))


def test_version_problems(old: Schema, new: Schema) -> None:
    assert version_problems([old, new]) == []
    same_day = replace(new, version="tt03-2025.2", effective_from=old.effective_from)
    overlap = replace(old, effective_to=D(2025, 8, 1))
    gap = replace(old, effective_to=D(2025, 6, 1))
    assert [str(p) for p in version_problems([old, same_day])] == [
        "tt03-2025.2: starts on 2019-01-08, the same day as 'tt01-2018.1': two versions would be in force"]
    assert "overlap" in str(version_problems([overlap, new])[0])
    problem = version_problems([gap, new])[0]
    assert problem.message == "no version is in force from 2025-06-02 to 2025-06-30"
    assert problem.vi == "không có phiên bản nào có hiệu lực từ 2025-06-02 đến 2025-06-30"
    assert "loaded twice" in str(version_problems([old, old])[0])
    undated = replace(new, effective_from=None)
    assert "effective_from" in str(version_problems([old, undated])[0])


def test_check_schema_text_points_at_lines_in_both_languages() -> None:
    broken = (SHIPPED.replace("effective_from: 2019-01-08", "effective_from: 8/1/2019")
              .replace("    source: register\n", "    source: registry\n")
              .replace("    method: bodies\n", "    method: bodys\n")
              .replace("params: {on_time_full: 100, on_time_partial: 90}", "params: {on_time_full: 100, partial: 90}")
              .replace("    digits: value\n", "    digits: values\n", 1))
    problems = check_schema_text(broken, "tt03.yaml")
    lines = SHIPPED.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    found = {p.line: (p.message, p.vi) for p in problems}
    assert found[line_of("effective_from: 2019")][0].startswith("effective_from must be a date written YYYY-MM-DD")
    assert "NĂM-THÁNG-NGÀY" in found[line_of("effective_from: 2019")][1]
    assert found[line_of("source: register")] == (
        "indicator 8: unknown source 'registry' (expected one of: dates, citizen, agency, register)",
        "chỉ số 8: nguồn (source) 'registry' không hợp lệ (chọn một trong: dates, citizen, agency, register)")
    assert "unknown method 'bodys'" in found[line_of("method: bodies")][0]
    assert "has no parameter 'partial'" in found[line_of("on_time_partial: 90")][0]
    assert "digits phải là 'value'" in found[line_of("digits: value")][1]
    assert all(p.file == "tt03.yaml" and p.vi for p in problems)
    assert problems[0].bilingual().startswith(f"tt03.yaml:{problems[0].line}: ")
    assert problems[0].text("vi").endswith(problems[0].vi) and problems[0].text("en").endswith(problems[0].message)
    with pytest.raises(SchemaInvalid) as caught:
        load_schema_text(broken, "tt03.yaml")
    assert len(caught.value.problems) == len(problems)


@pytest.mark.parametrize(("text", "message"), [
    ("version: [1\n", "YAML syntax error"),
    ("- just a list\n", "the schema must be a mapping"),
    ("version: x\nindicators: []\n", "a schema needs at least one indicator"),
])
def test_check_schema_text_on_broken_files(text: str, message: str) -> None:
    problems = check_schema_text(text, "x.yaml")
    assert any(message in p.message for p in problems) and all(p.vi for p in problems)


def test_an_indicator_with_a_method_that_reads_another_source_is_refused() -> None:
    text = SHIPPED.replace("    source: register\n    method: complaint_handling\n",
                           "    source: citizen\n    method: complaint_handling\n")
    [problem] = check_schema_text(text)
    assert problem.message == "indicator 8: method 'complaint_handling' reads register, not source citizen"


def test_older_schema_files_with_filled_by_still_load() -> None:
    text = (SHIPPED.replace("    source: register\n    method: complaint_handling\n", "    filled_by: system\n")
            .replace("    params: {on_time_full: 100, on_time_partial: 90}\n", ""))
    schema = load_schema_text(text)
    assert schema.indicator(8).origin is Source.REGISTER and schema.indicator(8).method == ""


def test_a_modified_schema_loads_with_its_own_names_and_bands() -> None:
    text = (TEMPLATE.replace('"Công khai thủ tục hành chính"', '"Công khai, minh bạch thủ tục"')
            .replace("{code: good, from: 12, to: 15,", "{code: good, from: 11, to: 15,")
            .replace("{code: fair, from: 9, to: 11.9,", "{code: fair, from: 9, to: 10.9,"))
    schema = load_schema_text(text)
    assert schema.indicator(6).name.get("vi") == "Công khai, minh bạch thủ tục"
    assert [b.low for b in schema.bands if b.code == "good"] == [11]
    assert load_schema().indicator(6).name.get("vi") == "Công khai thủ tục hành chính"


def test_checking_against_the_loaded_versions(old: Schema) -> None:
    assert check_schema_text(TEMPLATE, "tt03.yaml", existing=[old]) == []
    same_name = TEMPLATE.replace('version: "tt03-2025.1"', 'version: "tt01-2018.1"')
    [twice] = check_schema_text(same_name, "tt03.yaml", existing=[old])
    assert twice.message == "version 'tt01-2018.1' is loaded twice"
    assert twice.line == next(i for i, line in enumerate(same_name.splitlines(), 1) if line.startswith("version:"))
    same_day = TEMPLATE.replace("effective_from: 2025-07-01", "effective_from: 2019-01-08")
    [clash] = check_schema_text(same_day, "tt03.yaml", existing=[old])
    assert "the same day as 'tt01-2018.1'" in clash.message and "cùng ngày" in clash.vi
    with pytest.raises(SchemaInvalid):
        load_schema_text(same_day, "tt03.yaml", existing=[old])
    assert load_schema_text(TEMPLATE, "tt03.yaml", existing=[old]).version == "tt03-2025.1"
