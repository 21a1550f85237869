"""A printable HTML file of every table of a report (what `hailong report --format html` writes)."""

from __future__ import annotations

import jinja2

from reports.tables import Table

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"), autoescape=True)


def cell(value: object) -> str:
    """A cell as Vietnamese readers write it: "1.234", "82,7", "1,83".

    Plain string formatting, not Babel: a full report has 100,000 cells and this is the hot loop.
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    # Rates and totals carry one decimal, indicator means two: show what the figure has.
    text = f"{value:,.1f}" if round(value, 1) == value else f"{value:,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def groups(table: Table) -> list[tuple[str | None, int]]:
    """Consecutive columns sharing a group heading: (group, how many)."""
    out: list[tuple[str | None, int]] = []
    for column in table.columns:
        if out and column.group is not None and out[-1][0] == column.group:
            out[-1] = (column.group, out[-1][1] + 1)
        else:
            out.append((column.group, 1))
    return out


def report_html(header: tuple[str, ...], tables: tuple[Table, ...]) -> bytes:
    """The whole report as one HTML page (UTF-8)."""
    page = _ENV.get_template("report.html").render(header=header, tables=tables, cell=cell, groups=groups)
    return page.encode("utf-8")
