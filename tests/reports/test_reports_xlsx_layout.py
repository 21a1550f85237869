"""Every XLSX sheet has the same layout: header lines, headings in rows 5–6, the body from row 7, boxed."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from report_district import NOW, District

from reports.export import Format, render
from reports.periods import parse_period
from reports.results import build_results
from reports.tables import all_tables, header_lines
from storage import Database
from survey_flows import load_schema


async def test_every_sheet_starts_its_body_on_row_7(db: Database, district: District) -> None:
    async with db.transaction() as s:
        results = await build_results(s, parse_period("2019-Q2"), bands=load_schema().bands, now=NOW)
    book = load_workbook(io.BytesIO(render(results, Format.XLSX)))
    header = header_lines(results, None)
    for table in all_tables(results):
        sheet = book[table.name]
        assert [sheet.cell(n, 1).value for n in (1, 2, 3)] == list(header)
        lines = [*table.rows, *([table.totals] if table.totals else [])]
        assert lines, table.name  # the district fills every table, the ungrouped response table too
        assert sheet.max_row == 6 + len(lines), table.name
        for r, line in enumerate(lines, 7):
            cells = [sheet.cell(r, c) for c in range(1, len(line) + 1)]
            assert [c.value for c in cells] == list(line), (table.name, r)
            assert all(c.border.left.style == "thin" and c.border.bottom.style == "thin" for c in cells)
            assert all(bool(c.font.b) == (table.totals is not None and r == 6 + len(lines)) for c in cells)
        assert sheet.freeze_panes == "C7"
