"""CSV in UTF-8 with a BOM, so that Excel opens Vietnamese correctly; and the anonymous answers dataset.

Every writer here is `safe_writer`: text that a spreadsheet would run as a formula (a cell starting
with = + - @, a tab or a carriage return; names and codes come from imports and API v1) gets a
leading single quote, and every text cell is wrapped in double quotes (inner quotes doubled), as
OWASP's CSV-injection guidance asks; numbers stay numbers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from io import StringIO
from typing import IO, Any

from reports.tables import Table

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATASET_COLUMNS = ("evaluation", "agency_code", "day", "channel", "procedure_code", "field", "value", "level",
                   "items")


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


def tables_csv(header: tuple[str, ...], tables: Iterable[Table]) -> bytes:
    """Every table one after the other, each under the header lines and its title."""
    out = StringIO()
    writer = safe_writer(out)
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
    """One line per answer, no personal data: the evaluation id only links answers of one form."""
    out = StringIO()
    writer = safe_writer(out)
    writer.writerow(DATASET_COLUMNS)
    for *head, items in rows:
        writer.writerow([*head, json.dumps(items, ensure_ascii=False) if items is not None else ""])
    return (BOM + out.getvalue()).encode("utf-8")
