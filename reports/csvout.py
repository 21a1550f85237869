"""CSV in UTF-8 with a BOM, so that Excel opens Vietnamese correctly; and the anonymous answers dataset."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from io import StringIO
from typing import Any

from reports.tables import Table

BOM = "\ufeff"
DATASET_COLUMNS = ("evaluation", "agency_code", "day", "channel", "procedure_code", "field", "value", "level",
                   "items")


def tables_csv(header: tuple[str, ...], tables: Iterable[Table]) -> bytes:
    """Every table one after the other, each under the header lines and its title."""
    out = StringIO()
    writer = csv.writer(out)
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
    writer = csv.writer(out)
    writer.writerow(DATASET_COLUMNS)
    for *head, items in rows:
        writer.writerow([*head, json.dumps(items, ensure_ascii=False) if items is not None else ""])
    return (BOM + out.getvalue()).encode("utf-8")
