"""Exports of a period: XLSX, CSV or HTML of every table, and the anonymous answers dataset."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from reports.csvout import dataset_csv, tables_csv
from reports.html import report_html
from reports.periods import DEFAULT_TZ, Period
from reports.results import Results
from reports.tables import all_tables, header_lines
from reports.xlsx import workbook
from storage import results as store
from storage import rollup


class Format(StrEnum):
    """What `hailong report --format` writes."""

    XLSX = "xlsx"
    CSV = "csv"
    HTML = "html"
    DATASET = "dataset"  # anonymous answers, CSV


def render(results: Results, fmt: Format) -> bytes:
    """The report file of a format (not the dataset, which reads answers)."""
    agency = results.agencies[0] if len(results.agencies) == 1 else None
    header, tables = header_lines(results, agency), all_tables(results)
    if fmt is Format.XLSX:
        return workbook(header, tables)
    if fmt is Format.CSV:
        return tables_csv(header, tables)
    return report_html(header, tables)


async def dataset(s: AsyncSession, period: Period, agency_id: int | None, cutoff_day: int = 15) -> bytes:
    """The anonymous answers of a period as CSV with a BOM."""
    await rollup.refresh_facts(s, tz=DEFAULT_TZ, grid=cutoff_day)
    return dataset_csv(await store.answer_rows(s, first=period.first, last=period.last, agency_id=agency_id))
