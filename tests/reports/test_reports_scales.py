"""Scales kept whole: 5-level answers stay five levels in reports, beside their 3-level roll-up, and every
export says which scale each answer was given on."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from report_district import IN_Q2, NOW, District

from reports.export import Format, dataset, render, report_extras
from reports.periods import parse_period
from reports.results import build_results
from reports.scales import ScaleKind, scale_of
from storage import AnswerIn, Database, record_evaluation, upsert_dossier
from survey_flows import load_schema

Q2 = parse_period("2019-Q2")


@pytest.mark.parametrize(("value", "level", "kind"), [
    (None, 2, ScaleKind.THREE), (None, 0, ScaleKind.THREE),  # only the level stored (kiosk, API)
    (2, 2, ScaleKind.THREE), (1, 1, ScaleKind.THREE), (0, 0, ScaleKind.THREE),
    (5, 2, ScaleKind.FIVE), (4, 1, ScaleKind.FIVE), (3, 0, ScaleKind.FIVE), (2, 0, ScaleKind.FIVE),
    (1, 0, ScaleKind.FIVE),
    (4, 2, ScaleKind.OTHER), (7, 1, ScaleKind.OTHER),  # no shipped scale gives these
    (3, None, None),  # not a satisfaction answer
])
def test_the_stored_pair_says_the_scale(value: int | None, level: int | None, kind: ScaleKind | None) -> None:
    assert scale_of(value, level) is kind


# Agency A gets six more evaluations in 2019-Q2: overall on a 5-level scale 5, 5, 4, 3, 2, 1 (levels 2, 2, 1,
# 0, 0, 0) and officer attitude on 3 levels (value = level) 2, 1, 0, 0, 1, 2.
FIVE = (5, 5, 4, 3, 2, 1)
ROLL_UP = {5: 2, 4: 1, 3: 0, 2: 0, 1: 0}
ATTITUDE = (2, 1, 0, 0, 1, 2)


async def _five_level(db: Database, district: District) -> None:
    async with db.transaction() as s:
        for n, (value, attitude) in enumerate(zip(FIVE, ATTITUDE)):
            dossier, _ = await upsert_dossier(s, code=f"A1-5L-{n}", agency_id=district.a, status=10,
                                              received_on=date(2019, 4, 1), returned_on=date(2019, 4, 3), now=NOW)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=district.a, channel="zalo", schema_version="t",
                                    completed_at=IN_Q2, answers=[
                                        AnswerIn("satisfaction.overall", value=value, level=ROLL_UP[value]),
                                        AnswerIn("satisfaction.officer_attitude", value=attitude, level=attitude)])


async def test_reports_count_each_of_the_five_levels_beside_the_roll_up(db: Database, district: District) -> None:
    await _five_level(db, district)
    async with db.transaction() as s:
        results = await build_results(s, Q2, bands=load_schema().bands, now=NOW)
        extras = await report_extras(s, results)
    book = load_workbook(io.BytesIO(render(results, Format.XLSX, extras)))
    sheet = book["thang-do"]
    assert sheet["E5"].value.startswith("Thang 5 mức") and sheet["J5"].value.startswith("Quy về thang 3 mức")
    assert sheet["E6"].value.startswith("5 – Rất hài lòng") and sheet["I6"].value.startswith("1 – Rất không")
    rows = {(r[0], r[1], r[2]): r[3:] for r in sheet.iter_rows(min_row=7, values_only=True)}
    overall = "Đánh giá tổng thể dịch vụ"
    # The district's own 6 overall answers of A are level-only (3 levels 2, 2, 1, 0, 1, 2); B's 3 are all 2.
    assert rows[("UBND Phường 1", overall, "thang 5 mức / 5-level")] == (6, 2, 1, 1, 1, 1, 2, 1, 3)
    assert rows[("UBND Phường 1", overall, "thang 3 mức / 3-level")] == (6, None, None, None, None, None, 3, 2, 1)
    assert rows[("UBND Phường 1", "Thái độ của cán bộ tiếp nhận", "thang 3 mức / 3-level")] == \
        (6, None, None, None, None, None, 2, 2, 2)
    assert rows[("UBND Phường 2", overall, "thang 3 mức / 3-level")] == (3, None, None, None, None, None, 3, 0, 0)
    assert len(rows) == 4
    # The results table counts the roll-up, and says so: A's 12 overall answers, 5 + 3 + 4.
    table = book["ket-qua"]
    assert "quy về thang 3 mức" in table["D5"].value
    assert [table.cell(7, c).value for c in (3, 4, 6, 8)] == [12, 5, 3, 4]

    text = render(results, Format.CSV_VI, extras).decode("utf-8-sig")
    line = next(r for r in csv.reader(io.StringIO(text), delimiter=";") if r[2:3] == ["thang 5 mức / 5-level"])
    assert line[:4] == ["UBND Phường 1", overall, "thang 5 mức / 5-level", "6"] and line[4:] == \
        ["2", "1", "1", "1", "1", "2", "1", "3"]


async def test_one_agency_keeps_only_its_own_scales(db: Database, district: District) -> None:
    await _five_level(db, district)
    async with db.transaction() as s:
        results = await build_results(s, Q2, bands=load_schema().bands, now=NOW, agency_id=district.b)
        extras = await report_extras(s, results)
    assert {(c.agency_id, c.kind) for c in extras.scales or ()} == {(district.b, ScaleKind.THREE)}


async def test_the_dataset_states_the_scale_of_each_answer(db: Database, district: District) -> None:
    await _five_level(db, district)
    async with db.transaction() as s:
        text = (await dataset(s, Q2, district.a)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    overall = [(r["value"], r["level"], r["scale"]) for r in rows if r["field"] == "satisfaction.overall"]
    assert sorted(v for v in overall if v[2] == "5-level") == sorted(
        (str(v), str(ROLL_UP[v]), "5-level") for v in FIVE)
    assert sum(1 for v in overall if v[2] == "3-level") == 6  # the district's level-only answers
    assert {r["scale"] for r in rows if r["field"].startswith("indicator.")} == {""}
