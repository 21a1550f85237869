"""Exports of a period: XLSX, CSV or HTML of every table, and the anonymous answers dataset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reports.csvout import Dialect, dataset_csv, tables_csv
from reports.html import report_html
from reports.official import OfficialUnit, add_official_sheets, agency_totals
from reports.periods import DEFAULT_TZ, Period
from reports.results import Results
from reports.scales import ScaleCounts, scale_counts
from reports.tables import Table, all_tables, header_lines, scale_table
from reports.xlsx import workbook
from storage import results as store
from storage import rollup
from survey_flows import load_schema


class Format(StrEnum):
    """What `hailong report --format` writes."""

    XLSX = "xlsx"
    CSV = "csv"
    CSV_VI = "csv-vi"  # CSV for a Vietnamese Excel: ";" between cells, decimal comma, UTF-8 with a BOM
    HTML = "html"
    DATASET = "dataset"  # anonymous answers, CSV


@dataclass(frozen=True, slots=True)
class Extras:
    """What a report reads besides `Results`: each agency's settings (the official sheet's units) and the
    satisfaction answers per raw value (the scale table). Empty: the official sheet shows blanks to fill
    in by hand and the scale table is left out."""

    settings: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    scales: tuple[ScaleCounts, ...] | None = None


async def report_extras(s: AsyncSession, results: Results) -> Extras:
    """The settings of the report's agencies and its answers per raw value (call after build_results,
    which brings the facts up to date)."""
    period = results.period
    only = results.agencies[0].agency_id if len(results.agencies) == 1 else None
    settings = {a.agency_id: await store.agency_settings(s, a.agency_id) for a in results.agencies}
    rows = await store.answer_value_counts(s, first=period.first, last=period.last, agency_id=only)
    return Extras(settings, scale_counts(rows))


def _tables(results: Results, extras: Extras) -> tuple[Table, ...]:
    tables = all_tables(results)
    return tables if extras.scales is None else (*tables, scale_table(results, extras.scales))


def render(results: Results, fmt: Format, extras: Extras | None = None) -> bytes:
    """The report file of a format (not the dataset, which reads answers). The XLSX starts with the
    official report of each agency (reports/official.py)."""
    extras = extras or Extras()
    agency = results.agencies[0] if len(results.agencies) == 1 else None
    header, tables = header_lines(results, agency), _tables(results, extras)
    if fmt is Format.XLSX:
        # The version in force at the period's end (a period spanning two versions has a section each).
        schema = results.versions[-1].schema if results.versions else load_schema()
        totals = agency_totals(results.agencies)
        units = [(OfficialUnit.of(a.code, a.name, extras.settings.get(a.agency_id)), totals[a.agency_id])
                 for a in results.agencies]
        signed_on = results.generated_at.astimezone(ZoneInfo(DEFAULT_TZ)).date()
        return workbook(header, tables,
                        before=lambda book: add_official_sheets(book, results.period, units, schema, signed_on,
                                                                [v.schema for v in results.versions]))
    if fmt in (Format.CSV, Format.CSV_VI):
        return tables_csv(header, tables, Dialect.EXCEL_VI if fmt is Format.CSV_VI else Dialect.STANDARD)
    return report_html(header, tables)


async def dataset(s: AsyncSession, period: Period, agency_id: int | None, cutoff_day: int = 15) -> bytes:
    """The anonymous answers of a period as CSV with a BOM."""
    await rollup.refresh_facts(s, tz=DEFAULT_TZ, grid=cutoff_day)
    return dataset_csv(await store.answer_rows(s, first=period.first, last=period.last, agency_id=agency_id))
