"""A printable HTML file of every table of a report (what `hailong report --format html` writes)."""

from __future__ import annotations

from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from reports.tables import Cell, Table

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"), autoescape=True)


def cell(value: object) -> str:
    """A cell as Vietnamese readers write it: "1.234", "82,7", "1,83".

    Plain string formatting, not Babel: a full report has 100,000 cells and this is the hot loop.
    """
    kind = type(value)
    if kind is int:
        return f"{value:,}".replace(",", ".")
    if kind is float:
        return _decimal(value)
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return cell(int(value) if isinstance(value, int) else float(value))  # subclasses of int or float


@lru_cache(maxsize=8192)
def _decimal(value: float) -> str:
    # Rates and totals carry one decimal, indicator means two: show what the figure has.
    text = f"{value:,.1f}" if round(value, 1) == value else f"{value:,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _td(value: Cell) -> str:
    kind = type(value)
    if kind is str:
        return escape(value)
    return cell(value) if kind is int or kind is float or value is None else escape(cell(value))


def _cells(row: tuple[Cell, ...]) -> str:
    """One table row's cells, escaped (the hot loop of the page: no template call per cell)."""
    return "".join([f"<td>{_td(v)}</td>" for v in row])


def rows_html(rows: tuple[tuple[Cell, ...], ...]) -> Markup:
    """Body rows as HTML: ``<tr><td>…</td>…</tr>`` per row, what the template once looped over."""
    return Markup("".join([f"<tr>{_cells(row)}</tr>" for row in rows]))


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
    page = _TEMPLATE.render(header=header, tables=tables, rows=rows_html, groups=groups)
    return page.encode("utf-8")


_TEMPLATE = _ENV.get_template("report.html")  # compiled once, at import
