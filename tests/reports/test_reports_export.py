"""Exports: the XLSX opened with openpyxl, CSV with a BOM, the anonymous dataset, and the CLI."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from report_district import NOW, District, seed_district

from bot.cli.main import main
from reports.export import Format, dataset, render
from reports.periods import parse_period
from reports.results import build_results
from storage import Database, open_database, upgrade_async
from survey_flows import load_schema

Q2 = parse_period("2019-Q2")


async def _render(db: Database, fmt: Format) -> bytes:
    async with db.transaction() as s:
        return render(await build_results(s, Q2, bands=load_schema().bands, now=NOW), fmt)


async def test_xlsx_is_laid_out_like_the_official_table(db: Database, district: District) -> None:
    book = load_workbook(io.BytesIO(await _render(db, Format.XLSX)))
    # The official report of each agency comes first (tests/reports/test_reports_official.py), then the tables.
    assert book.sheetnames[:4] == ["bao-cao-A1", "bao-cao-B2", "ket-qua", "giai-quyet"]
    sheet = book["ket-qua"]
    assert sheet["A1"].value.startswith("KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG")
    assert sheet["A2"].value == "Kỳ báo cáo / Period: 2019-Q2 (15/03/2019 – 14/06/2019)"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:W1", "A5:A6", "D5:I5", "K5:S5"} <= merged  # title, STT over two rows, grouped headings
    assert sheet["D5"].value.startswith("Mức độ hài lòng") and sheet["D6"].value.startswith("Rất hài lòng")
    a = [c.value for c in sheet[7]]
    assert a[:10] == [1, "UBND Phường 1", 6, 3, 50.0, 2, 33.3, 1, 16.7, 83.3]
    assert a[19] == 9.8  # indicators 2, 5 and 9 missing: a total, no band, and what is missing in words
    assert a[20].startswith("Mới có 6/9 chỉ số: 9,8 điểm trên tối đa 12 điểm") and "thiếu chỉ số 2, 5, 9" in a[20]
    totals = [c.value for c in sheet[9]]
    assert totals[1] == "Tổng cộng / Total" and totals[2] == 9 and sheet.cell(9, 3).font.b
    settled = [c.value for c in book["giai-quyet"][7]]
    assert settled[2:9] == [6, 1, 2, 2, 1, 1, 1]


async def test_csv_starts_with_a_bom_and_keeps_vietnamese(db: Database, district: District) -> None:
    data = await _render(db, Format.CSV)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["Kỳ báo cáo / Period: 2019-Q2 (15/03/2019 – 14/06/2019)"]
    assert any(r[:3] == ["1", "UBND Phường 1", "6"] for r in rows)


async def test_csv_for_vietnamese_excel_has_semicolons_and_decimal_commas(db: Database, district: District) -> None:
    data = await _render(db, Format.CSV_VI)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Kỳ báo cáo / Period: 2019-Q2 (15/03/2019 – 14/06/2019)"]
    a = next(r for r in rows if r[:2] == ["1", "UBND Phường 1"])
    # Agency A (tests/report_district.py): 6 evaluations, 3 very satisfied = 50 %, rate 5/6 = 83.3 %, total 9.8.
    assert a[2:10] == ["6", "3", "50,0", "2", "33,3", "1", "16,7", "83,3"] and a[19] == "9,8"
    # Numbers are written bare (Excel reads them as numbers), text in double quotes.
    assert '\r\n1;"UBND Phường 1";6;3;50,0;2;33,3;' in data.decode("utf-8-sig")
    standard = list(csv.reader(io.StringIO((await _render(db, Format.CSV)).decode("utf-8-sig"))))
    assert len(rows) == len(standard)  # the same table, cell for cell, in the other dialect
    assert [[c.replace(",", ".") if re.fullmatch(r"-?\d+(,\d+)?", c) else c for c in r]
            for r in rows if r[:2] == ["1", "UBND Phường 1"]] == \
        [r for r in standard if r[:2] == ["1", "UBND Phường 1"]]


async def test_html_report(db: Database, district: District) -> None:
    page = (await _render(db, Format.HTML)).decode()
    assert "UBND Phường 1" in page and "83,3" in page and 'colspan="6"' in page


async def test_the_dataset_is_anonymous(db: Database, district: District) -> None:
    async with db.transaction() as s:
        text = (await dataset(s, Q2, None)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9 * 6  # 9 evaluations in the window, 6 answers each
    assert set(rows[0]) == {"evaluation", "agency_code", "day", "channel", "procedure_code", "field", "value",
                            "level", "scale", "items"}
    assert "A1-0" not in text  # no dossier codes, names or phone numbers


def test_report_command_writes_the_file_and_reports_progress(tmp_path: Path, run_in_thread) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    run_in_thread(_seed(url))
    out = tmp_path / "q2.xlsx"
    result = CliRunner().invoke(main, ["report", "--period", "2019-Q2", "--agency", "A1", "--format", "xlsx",
                                       "--output", str(out)], env={"HAILONG_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "Đang tổng hợp" in result.output and "Wrote" in result.output
    assert load_workbook(out)["ket-qua"]["A3"].value.endswith("UBND Phường 1")


def test_report_command_writes_csv_for_vietnamese_excel(tmp_path: Path, run_in_thread) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    run_in_thread(_seed(url))
    out = tmp_path / "q2.csv"
    result = CliRunner().invoke(main, ["report", "--period", "2019-Q2", "--agency", "A1", "--format", "csv-vi",
                                       "--output", str(out)], env={"HAILONG_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert next(r for r in rows if r[:2] == ["1", "UBND Phường 1"])[9] == "83,3"


def test_report_command_refuses_a_bad_period_without_a_traceback(tmp_path: Path, run_in_thread) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    run_in_thread(_seed(url))
    result = CliRunner().invoke(main, ["report", "--period", "2019-Q7", "--output", str(tmp_path / "x.csv")],
                                env={"HAILONG_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "Lỗi: kỳ báo cáo không hợp lệ" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["report", "--period", "2019-Q2", "--agency", "ZZ", "--output",
                                       str(tmp_path / "x.csv")], env={"HAILONG_DATABASE_URL": url})
    assert result.exit_code == 1 and "no agency with code 'ZZ'" in result.output


def test_score_command_keeps_self_score_and_appraisal_side_by_side(tmp_path: Path, run_in_thread) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    run_in_thread(_seed(url))
    env = {"HAILONG_DATABASE_URL": url}
    assert CliRunner().invoke(main, ["score", "A1", "2019-q2", "--self", "15.5"], env=env).exit_code == 0
    assert CliRunner().invoke(main, ["score", "A1", "2019-Q2", "--appraisal", "14"], env=env).exit_code == 0
    out = tmp_path / "q2.xlsx"
    assert CliRunner().invoke(main, ["report", "--period", "2019-Q2", "--output", str(out)], env=env).exit_code == 0
    row = [c.value for c in load_workbook(out)["ket-qua"][7]]
    assert row[-2:] == [15.5, 14.0]


async def _seed(url: str) -> None:
    await upgrade_async(url)
    async with open_database(url) as db:
        await seed_district(db)
