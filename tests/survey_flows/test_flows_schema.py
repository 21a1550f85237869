"""The shipped scoring schema and the rules a schema file must keep (bands, scales, fields)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey_flows import Schema, SchemaInvalid, band_for, load_schema
from survey_flows.schema import FieldType
from survey_flows.schema_loader import shipped_schema_path

SHIPPED = shipped_schema_path().read_text(encoding="utf-8")
DEFAULT_BANDS = """bands:
  - {code: excellent, from: 15.1, to: 18, name: {vi: "Xuất sắc", en: "Excellent"}}
  - {code: good, from: 12, to: 15, name: {vi: "Tốt", en: "Good"}}
  - {code: fair, from: 9, to: 11.9, name: {vi: "Khá", en: "Fair"}}
  - {code: average, from: 6, to: 8.9, name: {vi: "Trung bình", en: "Average"}}
  - {code: weak, from: 0, to: 5.9, name: {vi: "Yếu", en: "Weak"}}
"""


def with_bands(tmp_path: Path, bands: str) -> Path:
    assert DEFAULT_BANDS in SHIPPED
    path = tmp_path / "schema.yaml"
    path.write_text(SHIPPED.replace(DEFAULT_BANDS, bands), encoding="utf-8")
    return path


def band_line(code: str, low: str, high: str) -> str:
    return f'  - {{code: {code}, from: {low}, to: {high}, name: {{vi: "{code}", en: "{code}"}}}}\n'


def test_version_and_nine_indicators(schema: Schema) -> None:
    assert schema.version == "tt01-2018.1"
    assert [i.id for i in schema.indicators] == list(range(1, 10))
    assert schema.max_score == 18
    assert all([p for p, _ in i.points] == [2, 1, 0] for i in schema.indicators)
    citizen = [i.id for i in schema.indicators if i.filled_by == "citizen"]
    assert citizen == [3, 4, 6, 7]


def test_fields_and_their_types(schema: Schema) -> None:
    types = {f.name: f.type for f in schema.fields}
    assert types == {
        "indicator.1": FieldType.POINTS, "indicator.2": FieldType.POINTS,
        "indicator.3": FieldType.POINTS, "indicator.4": FieldType.POINTS,
        "indicator.6": FieldType.POINTS, "indicator.7": FieldType.POINTS,
        "satisfaction.overall": FieldType.LEVEL, "satisfaction.convenience": FieldType.LEVEL,
        "satisfaction.timeliness": FieldType.LEVEL, "satisfaction.officer_attitude": FieldType.LEVEL,
        "reasons": FieldType.REASONS, "comment": FieldType.TEXT,
    }


def test_scales_map_to_canonical_levels(schema: Schema) -> None:
    levels = {sid: [(o.value, o.level) for o in schema.scale(sid).options] for sid in ("sat3", "sat5", "stars5")}
    assert levels["sat3"] == [(2, 2), (1, 1), (0, 0)]
    assert levels["sat5"] == [(5, 2), (4, 1), (3, 0), (2, 0), (1, 0)]
    assert levels["stars5"] == [(1, 0), (2, 0), (3, 0), (4, 1), (5, 2)]
    assert schema.scale("sat3").options[0].label.get("vi") == "Rất hài lòng"


def test_indicator_3_thresholds(schema: Schema) -> None:
    indicator = schema.indicator(3)
    assert [indicator.points_for(n) for n in range(6)] == [2, 1, 0, 0, 0, 0]


def test_reasons_and_channels(schema: Schema) -> None:
    assert [r.code for r in schema.reasons] == ["slow", "many_visits", "unclear_guidance", "attitude",
                                                "extra_fees", "other"]
    assert schema.channel_ids() == ("paper", "kiosk", "portal", "web", "telegram", "zalo", "sms")


def test_every_schema_text_has_vietnamese_and_english(schema: Schema) -> None:
    texts = [i.name for i in schema.indicators] + [t for i in schema.indicators for _, t in i.points]
    texts += [r.label for r in schema.reasons] + [o.label for s in schema.scales for o in s.options]
    texts += [t for _, t in schema.channels] + [b.name for b in schema.bands]
    assert all(set(t.languages()) >= {"vi", "en"} for t in texts)


def test_every_score_falls_in_exactly_one_band(schema: Schema) -> None:
    for tenths in range(0, 181):
        score = tenths / 10
        holding = [b.code for b in schema.bands if b.low <= score <= b.high]
        assert len(holding) == 1, score
        assert band_for(score, schema.bands).code == holding[0]


@pytest.mark.parametrize(("score", "band"), [
    (18.0, "excellent"), (15.1, "excellent"), (15.0, "good"), (12.0, "good"), (11.9, "fair"),
    (9.0, "fair"), (8.9, "average"), (6.0, "average"), (5.9, "weak"), (0.0, "weak"),
    (15.04, "good"), (15.05, "excellent"),
])
def test_band_edges(schema: Schema, score: float, band: str) -> None:
    assert band_for(score, schema.bands).code == band


def test_score_outside_every_band(schema: Schema) -> None:
    with pytest.raises(ValueError):
        band_for(18.5, schema.bands)


def test_bands_with_a_gap_are_refused(tmp_path: Path) -> None:
    bands = "bands:\n" + band_line("high", "15.1", "18") + band_line("low", "0", "14.9")
    with pytest.raises(SchemaInvalid) as caught:
        load_schema(with_bands(tmp_path, bands))
    assert [p.message for p in caught.value.problems] == ["rating bands leave a gap: 15.0..15.0 is in no band"]
    assert caught.value.code == "schema_invalid"


def test_bands_that_overlap_are_refused(tmp_path: Path) -> None:
    bands = "bands:\n" + band_line("high", "15", "18") + band_line("low", "0", "15")
    with pytest.raises(SchemaInvalid) as caught:
        load_schema(with_bands(tmp_path, bands))
    assert [p.message for p in caught.value.problems] == [
        "rating bands overlap: band 'high' starts at 15.0, inside band 'low'"]
    line = caught.value.problems[0].line
    assert re.search(r"code: high", with_bands(tmp_path, bands).read_text().splitlines()[line - 1])


def test_bands_that_stop_short_or_go_beyond_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaInvalid, match=r"17\.1\.\.18\.0 is in no band"):
        load_schema(with_bands(tmp_path, "bands:\n" + band_line("all", "0", "17")))
    with pytest.raises(SchemaInvalid, match="beyond the maximum score 18"):
        load_schema(with_bands(tmp_path, "bands:\n" + band_line("all", "0", "20")))
    with pytest.raises(SchemaInvalid, match="0.1 grid"):
        load_schema(with_bands(tmp_path, "bands:\n" + band_line("a", "0", "8.95") + band_line("b", "9", "18")))


def test_other_local_bands_are_accepted(tmp_path: Path) -> None:
    bands = "bands:\n" + band_line("pass", "9", "18") + band_line("fail", "0", "8.9")
    schema = load_schema(with_bands(tmp_path, bands))
    assert band_for(9.0, schema.bands).code == "pass"
    assert band_for(8.9, schema.bands).code == "fail"


def test_broken_schema_reports_lines(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(SHIPPED.replace("scope: agency", "scope: province", 1)
                    .replace("level: 2\n        label: {vi: \"Rất hài lòng\"", "level: 7\n        label: {vi: \"Rất hài lòng\"", 1),
                    encoding="utf-8")
    with pytest.raises(SchemaInvalid) as caught:
        load_schema(path)
    messages = [p.message for p in caught.value.problems]
    assert messages == ["indicator 5: unknown scope 'province' (expected one of: dossier, agency, dossier_and_agency)",
                        "scale 'sat3': option 2 maps to unknown level 7"]
    assert [p.vi for p in caught.value.problems] == [
        "chỉ số 5: phạm vi (scope) 'province' không hợp lệ (chọn một trong: dossier, agency, dossier_and_agency)",
        "thang 'sat3': lựa chọn 2 ứng với mức 7 không có trong levels"]
    assert all(str(p).startswith(f"{path}:") for p in caught.value.problems)
