"""The official report (first sheet(s) of the XLSX): units, period words, the nine indicators as numbers
with number formats, totals, the band or "x of y indicators", the date line and the signature block."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from report_district import NOW, District

from reports.export import Format, render, report_extras
from reports.official import OfficialUnit, add_official_sheets
from reports.periods import parse_period, period_words
from reports.results import build_results
from storage import Database, update_agency_settings
from survey_flows import load_schema
from survey_flows.totals import AgencyEntry, EntryBy, agency_total

SCHEMA = load_schema()
Q2 = parse_period("2026-Q2")


@pytest.mark.parametrize(("name", "vi", "en"), [
    ("2026-Q2", "Quý II năm 2026", "Q2 2026"),
    ("2026-q4", "Quý IV năm 2026", "Q4 2026"),
    ("2026-H1", "6 tháng đầu năm 2026", "First half of 2026"),
    ("2026-H2", "6 tháng cuối năm 2026", "Second half of 2026"),
    ("2026-9M", "9 tháng đầu năm 2026", "First nine months of 2026"),
    ("2026", "Năm 2026", "Year 2026"),
    ("2026-05", "Tháng 5 năm 2026", "May 2026"),
])
def test_the_period_in_words(name: str, vi: str, en: str) -> None:
    assert (period_words(name), period_words(name, "en")) == (vi, en)


def _sheet(unit: OfficialUnit, entries: list[AgencyEntry], dossiers: dict[int, tuple[int, int]],
           signed_on: date = date(2026, 7, 5)) -> Worksheet:
    """The official sheet of one hand-computed total, saved and read back as Excel would."""
    book = Workbook()
    add_official_sheets(book, Q2, [(unit, agency_total(SCHEMA, dossiers, entries))], SCHEMA, signed_on)
    out = io.BytesIO()
    book.save(out)
    return load_workbook(out)["bao-cao"]


# Hand-computed: 1 → 3/2 = 1.5, 2 → 4/2 = 2, 3 → 2/2 = 1, 4 → 4/2 = 2, 6 → 3/2 = 1.5, 7 → 5/3 ≈ 1.67;
# 5: self 2, appraisal 1 (the appraisal wins); 8 computed 2; 9 self 1.5 only.
# Total 1.5 + 2 + 1 + 2 + 1 + 1.5 + 5/3 + 2 + 1.5 = 14.1666… → 14.2, band "Tốt" (12–15).
DOSSIERS = {1: (3, 2), 2: (4, 2), 3: (2, 2), 4: (4, 2), 6: (3, 2), 7: (5, 3)}
ENTRIES = [AgencyEntry(5, 2, EntryBy.SELF), AgencyEntry(5, 1, EntryBy.APPRAISAL, "thiếu 2 hồ sơ tại chỗ"),
           AgencyEntry(8, 2, EntryBy.COMPUTED), AgencyEntry(9, 1.5, EntryBy.SELF)]
UNIT = OfficialUnit("A1", "UBND Phường 1", receiving_unit="UBND quận Ba Đình", form_code="01/BC-HL",
                    place="Ba Đình")


def test_the_official_sheet_of_a_complete_quarter() -> None:
    sheet = _sheet(UNIT, ENTRIES, DOSSIERS)
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:C1", "E1:H1", "A4:H4", "A6:H6", "D10:F10", "A10:A11", "B10:B11", "H10:H11"} <= merged
    assert sheet["A1"].value == "UBND PHƯỜNG 1" and sheet["E1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["A2"].value == "Biểu số / Form: 01/BC-HL"
    assert sheet["A6"].value == "Quý II năm 2026 / Q2 2026 (15/03/2026 – 14/06/2026)"
    assert sheet["A7"].value.endswith(": UBND Phường 1")
    assert sheet["A8"].value == "Đơn vị nhận báo cáo / Receiving unit: UBND quận Ba Đình"
    assert sheet["D10"].value.startswith("Điểm") and sheet["D11"].value.startswith("Tự chấm")
    rows = {sheet.cell(r, 1).value: [sheet.cell(r, c) for c in range(1, 9)] for r in range(12, 21)}
    assert sorted(rows) == list(range(1, 10))
    for n, cells in rows.items():
        assert cells[1].value == SCHEMA.indicator(n).name.get("vi")
        assert cells[2].value == 2 and cells[2].number_format == "#,##0"
        assert all(c.number_format == "#,##0.00" for c in cells[3:6])
        assert all(c.value is None or type(c.value) in (int, float) for c in cells[2:6])  # numbers, not text
        assert all(c.border.left.style == "thin" for c in cells)
    five = [c.value for c in rows[5]]
    assert five[3:8] == [2, 1, 1, "Điểm thẩm định / Appraisal", "thiếu 2 hồ sơ tại chỗ"]
    assert [c.value for c in rows[7]][3:7] == [None, None, 1.67, "Trung bình 3 hồ sơ / Mean of 3 dossiers"]
    assert [c.value for c in rows[9]][3:7] == [1.5, None, 1.5, "Điểm tự chấm / Self-score"]
    assert [c.value for c in rows[8]][5:7] == [2, "Hệ thống tính / Computed by the system"]
    totals = [sheet.cell(21, c) for c in range(1, 9)]
    assert totals[1].value == "Tổng cộng / Total" and totals[1].font.b
    assert (totals[2].value, totals[5].value, totals[5].number_format) == (18, 14.2, "#,##0.0")
    assert sheet["A22"].value == "Xếp loại: Tốt / Band: Good"
    assert sheet["E24"].value == "Ba Đình, ngày 05 tháng 07 năm 2026"
    assert sheet["A25"].value.startswith("NGƯỜI LẬP BIỂU") and sheet["E25"].value.startswith("THỦ TRƯỞNG ĐƠN VỊ")
    assert sheet["A26"].value.startswith("(Ký, ghi rõ họ tên)") and "đóng dấu" in sheet["E26"].value
    assert {"A25:C25", "E25:H25", "E24:H24"} <= merged


def test_a_quarter_missing_indicators_is_not_graded_and_blanks_are_dotted() -> None:
    # Without 5 and 9: 1.5 + 2 + 1 + 2 + 1.5 + 5/3 + 2 = 11.666… → 11.7 of at most 14.
    sheet = _sheet(OfficialUnit("A1", "UBND Phường 1"), ENTRIES[3:3] + [ENTRIES[2]], DOSSIERS)
    totals = [sheet.cell(21, c).value for c in range(1, 8)]
    assert totals[5] == 11.7 and "14" in totals[6]
    assert sheet["A22"].value == ("Có 7/9 chỉ số, chưa xếp loại (thiếu chỉ số 5, 9) / "
                                  "7 of 9 indicators, not graded (missing 5, 9)")
    assert [sheet.cell(r, 6).value for r in (16, 20)] == [None, None]  # 5 and 9: no figure, not a zero
    assert sheet.cell(16, 7).value == "Chưa có số liệu / Not measured"
    assert sheet["A2"].value == "Biểu số / Form: ……………" and sheet["A8"].value.endswith(": ……………")
    assert sheet["E24"].value.startswith("……………, ngày 05 tháng 07 năm 2026")


def test_a_name_that_looks_like_a_formula_stays_text() -> None:
    sheet = _sheet(OfficialUnit("X", "=HYPERLINK(\"http://x\")", receiving_unit="+cmd"), [], {1: (2, 1)})
    assert sheet["A1"].data_type == "s" and sheet["A8"].value.endswith("+cmd")


async def test_the_export_starts_with_each_agency_official_sheet(db: Database, district: District) -> None:
    """The district's agency A (tests/report_district.py): 1, 3, 4 at 1.5, 6 at 11/6, 7 at 9/6 (per the law: timeliness
    and the register, tests/report_district.py), 8 computed 2: 9.8 of at most 12, 6 of 9 indicators; its settings fill the units and the place."""
    async with db.transaction() as s:
        await update_agency_settings(s, district.a, {"report_form_code": "01/BC", "report_place": " Phường   1 ",
                                                     "report_receiving_unit": "UBND Quận 3"})
    async with db.transaction() as s:
        # Generated at 18:00 UTC on 30/06, already 01/07 in Hà Nội: the date line says 01/07.
        results = await build_results(s, parse_period("2019-Q2"), bands=SCHEMA.bands,
                                      now=datetime(2019, 6, 30, 18, 0, tzinfo=timezone.utc))
        extras = await report_extras(s, results)
    book = load_workbook(io.BytesIO(render(results, Format.XLSX, extras)))
    assert book.sheetnames[:3] == ["bao-cao-A1", "bao-cao-B2", "ket-qua"] and book.active.title == "bao-cao-A1"
    a = book["bao-cao-A1"]
    assert (a["A2"].value, a["A8"].value) == ("Biểu số / Form: 01/BC", "Đơn vị nhận báo cáo / Receiving unit: UBND Quận 3")
    assert a["A6"].value.startswith("Quý II năm 2019 / Q2 2019 (15/03/2019 – 14/06/2019)")
    assert [a.cell(r, 6).value for r in range(12, 21)] == [1.5, None, 1.5, 1.5, None, 1.83, 1.5, 2, None]
    assert a.cell(21, 6).value == 9.8
    assert a["A22"].value.startswith("Có 6/9 chỉ số, chưa xếp loại (thiếu chỉ số 2, 5, 9)")
    assert a["E24"].value == "Phường 1, ngày 01 tháng 07 năm 2019"
    b = book["bao-cao-B2"]  # no settings: dotted blanks to fill in by hand
    assert b["A8"].value.endswith("……………") and b["A1"].value == "UBND PHƯỜNG 2"


async def test_one_agency_export_has_one_official_sheet(db: Database, district: District) -> None:
    async with db.transaction() as s:
        results = await build_results(s, parse_period("2019-Q2"), bands=SCHEMA.bands, now=NOW,
                                      agency_id=district.b)
    book = load_workbook(io.BytesIO(render(results, Format.XLSX)))
    assert book.sheetnames[:2] == ["bao-cao", "ket-qua"]
    # B: three kiosk evaluations, every per-dossier indicator 2; 8 computed 2.
    assert [book["bao-cao"].cell(r, 6).value for r in range(12, 21)] == [2, None, 2, 2, None, 2, 2, 2, None]

