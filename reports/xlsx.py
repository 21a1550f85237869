"""XLSX laid out like the official tables: header lines, merged group headings, bold totals.

Every text is a typed string cell (`t="s"`): a name such as ``=HYPERLINK(...)`` (procedures and
officers come from imports and API v1) is shown, never run as a formula; characters XML cannot
hold are dropped rather than failing the export.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.tables import Table

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
FIRST_HEADING_ROW = 5  # after the three header lines and a blank row
# Shared style objects: creating one per cell is what makes large workbooks slow.
BOLD, PLAIN = Font(bold=True), Font(bold=False)
# Cells take one of these named styles, body cells through the style's array of ids: assigning a font
# and a border instead hashes both for every one of a report's ~100,000 cells.
BODY, TOTAL, HEADING = "hailong-body", "hailong-total", "hailong-heading"


def _cell(sheet: Worksheet, value: object, **style: object) -> Cell:
    """A cell of `value`; text always as a string cell (openpyxl would make "=…" a formula)."""
    if isinstance(value, str):
        cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value), **style)
        cell.data_type = "s"
        return cell
    return Cell(sheet, value=value, **style)


def _text(sheet: Worksheet, row: int, column: int, text: str) -> Cell:
    """Put a header or heading text at (row, column) as a string cell."""
    cell = sheet.cell(row, column)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.data_type = "s"
    return cell


def workbook(header: tuple[str, ...], tables: tuple[Table, ...],
             before: Callable[[Workbook], None] | None = None) -> bytes:
    """One sheet per table, each starting with the header lines; returns the .xlsx bytes. `before` adds
    sheets of its own at the front (the official report: reports/official.py)."""
    book = Workbook()
    book.remove(book.active)
    styles = {}
    for name, font, alignment in ((BODY, PLAIN, None), (TOTAL, BOLD, None), (HEADING, BOLD, CENTRE)):
        style = NamedStyle(name, font=font, border=BOX)
        if alignment is not None:
            style.alignment = alignment
        book.add_named_style(style)
        styles[name] = style.as_tuple()
    for table in tables:
        sheet = book.create_sheet(table.name[:31])  # our own fixed sheet names
        _write(sheet, header, table, styles)
    if before is not None:
        before(book)
        book.active = 0
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet: Worksheet, header: tuple[str, ...], table: Table, styles: dict[Any, Any]) -> None:
    width = len(table.columns)
    body = FIRST_HEADING_ROW + 2
    for _ in range(body - 1):
        sheet.append([])  # the body rows are appended from row `body` on; header and headings come after
    lines = list(table.rows) + ([table.totals] if table.totals else [])
    for r, line in enumerate(lines, body):
        style = styles[TOTAL if table.totals is not None and r == body + len(lines) - 1 else BODY]
        sheet.append([_cell(sheet, value, style_array=style) for value in line])
    for n, heading in enumerate(header, 1):
        _text(sheet, n, 1, heading).font = Font(bold=n == 1, size=13 if n == 1 else 11)
        sheet.merge_cells(start_row=n, start_column=1, end_row=n, end_column=width)
    _headings(sheet, table)
    for c in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 14 if c > 2 else 28
    sheet.freeze_panes = sheet.cell(body, 3)


def _headings(sheet: Worksheet, table: Table) -> None:
    """Two heading rows: a group heading merged across its columns; an ungrouped heading spans both rows."""
    top, sub = FIRST_HEADING_ROW, FIRST_HEADING_ROW + 1
    c = 1
    while c <= len(table.columns):
        column = table.columns[c - 1]
        if column.group is None:
            _heading(sheet, top, c, column.heading)
            sheet.merge_cells(start_row=top, start_column=c, end_row=sub, end_column=c)
            c += 1
            continue
        end = c
        while end < len(table.columns) and table.columns[end].group == column.group:
            end += 1
        _heading(sheet, top, c, column.group)
        sheet.merge_cells(start_row=top, start_column=c, end_row=top, end_column=end)
        for k in range(c, end + 1):
            _heading(sheet, sub, k, table.columns[k - 1].heading)
        c = end + 1


def _heading(sheet: Worksheet, row: int, column: int, text: str) -> None:
    _text(sheet, row, column, text).style = HEADING
