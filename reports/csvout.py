"""CSV in UTF-8 with a BOM, so that Excel opens Vietnamese correctly; and the anonymous answers dataset.

Reports come in two dialects: the standard one ("," between cells, "83.3") and one for Excel set to
Vietnamese (";" between cells, decimal comma "83,3"), which opens in columns with numbers as numbers.

Every writer here is `safe_writer`: text that a spreadsheet would run as a formula (a cell starting
with = + - @, a tab or a carriage return; names and codes come from imports and API v1) gets a
leading single quote, and every text cell is wrapped in double quotes (inner quotes doubled), as
OWASP's CSV-injection guidance asks; numbers stay numbers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from enum import StrEnum
from io import StringIO
from typing import IO, Any

from reports.scales import scale_of
from reports.tables import Table

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATASET_COLUMNS = ("evaluation", "agency_code", "day", "channel", "procedure_code", "field", "value", "level",
                   "scale", "items")


def csv_cell(value: Any) -> Any:
    """A cell as the CSV holds it: text that starts like a formula is quoted with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose rows go through `csv_cell`, every text cell in double quotes."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(["" if v is None else csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(out: IO[str]) -> SafeWriter:
    """A CSV writer that cannot write a live formula (see the module's docstring)."""
    return SafeWriter(out)


class Dialect(StrEnum):
    """How a report's CSV separates cells and writes decimals."""

    STANDARD = "standard"  # "," between cells, "83.3"
    EXCEL_VI = "excel-vi"  # ";" between cells, "83,3": what Excel set to Vietnamese opens as columns and numbers


def decimal_comma(value: float) -> str:
    """A float with a decimal comma and no thousands separator ("83,3", "1234,5", "-0,5")."""
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(value, "f").rstrip("0").rstrip(".") or "0"
    return text.replace(".", ",")


class ExcelViWriter:
    """Rows for a Vietnamese Excel: cells split by ";", numbers unquoted with a decimal comma, every text
    cell in double quotes and passed through `csv_cell` (no live formula), as `SafeWriter` does."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    @staticmethod
    def _cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return decimal_comma(value)
        return '"' + str(csv_cell(str(value))).replace('"', '""') + '"'

    def writerow(self, row: Iterable[Any]) -> None:
        self._out.write(";".join(self._cell(v) for v in row) + "\r\n")

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def tables_csv(header: tuple[str, ...], tables: Iterable[Table], dialect: Dialect = Dialect.STANDARD) -> bytes:
    """Every table one after the other, each under the header lines and its title."""
    out = StringIO()
    writer: SafeWriter | ExcelViWriter = ExcelViWriter(out) if dialect is Dialect.EXCEL_VI else safe_writer(out)
    for line in header:
        writer.writerow([line])
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([f"{c.group} – {c.heading}" if c.group else c.heading for c in table.columns])
        writer.writerows(table.rows)
        if table.totals:
            writer.writerow(table.totals)
    return (BOM + out.getvalue()).encode("utf-8")


def dataset_csv(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """One line per answer, no personal data: the evaluation id only links answers of one form. `scale`
    says which kind of scale a satisfaction answer was given on ("3-level", "5-level"; reports.scales):
    `value` is the option's own value on it, `level` the 3-level roll-up."""
    out = StringIO()
    writer = safe_writer(out)
    writer.writerow(DATASET_COLUMNS)
    for *head, value, level, items in rows:
        kind = scale_of(value, level)
        writer.writerow([*head, value, level, kind.value if kind else "",
                         json.dumps(items, ensure_ascii=False) if items is not None else ""])
    return (BOM + out.getvalue()).encode("utf-8")
