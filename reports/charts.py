"""Charts drawn on the server as SVG: they print, need no script, and show the same numbers as the tables."""

from __future__ import annotations

from html import escape

from reports.formats import percent

LABEL_CHARS = 26  # what fits the 200-unit label column at font-size 13
COLOURS = ("#1b7f3b", "#8cc152", "#d9534f")  # very satisfied, satisfied, not satisfied
WIDTH = 640


def trend_svg(points: list[tuple[str, float | None]], lang: str = "vi", title: str = "") -> str:
    """Satisfaction rate per quarter as columns with their value on top; a missing quarter shows a dash."""
    height, base, step = 220, 180, WIDTH // max(len(points), 1)
    parts = [_open(WIDTH, height, title)]
    for n, (label, rate) in enumerate(points):
        x = n * step + step // 4
        if rate is not None:
            h = round(rate * 1.5)
            parts.append(f'<rect x="{x}" y="{base - h}" width="{step // 2}" height="{h}" fill="{COLOURS[0]}"/>')
        parts.append(_text(x + step // 4, base - (round(rate * 1.5) if rate is not None else 0) - 6,
                           percent(rate, lang)))
        parts.append(_text(x + step // 4, base + 20, label))
    parts.append(f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#555"/>')
    return "".join(parts) + "</svg>"


def levels_svg(rows: list[tuple[str, tuple[float | None, ...] | None]], lang: str = "vi", title: str = "") -> str:
    """One stacked bar per agency: the shares of each level; a suppressed agency shows a note instead."""
    label_w, bar_w, row_h = 200, WIDTH - 210, 30
    parts = [_open(WIDTH, row_h * len(rows) + 10, title)]
    for n, (label, shares) in enumerate(rows):
        y = n * row_h + 5
        parts.append(_text(label_w - 8, y + 18, _fit(label), anchor="end", full=label))
        if not shares or shares[0] is None:
            parts.append(_text(label_w + 4, y + 18, "< 5 phiếu / evaluations", anchor="start"))
            continue
        x = label_w
        for share, colour in zip(shares, COLOURS):
            w = round(bar_w * (share or 0) / 100)
            parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{row_h - 8}" fill="{colour}">'
                         f"<title>{escape(percent(share, lang))}</title></rect>")
            x += w
    return "".join(parts) + "</svg>"


def _fit(label: str, limit: int = LABEL_CHARS) -> str:
    """A label short enough for the label column (the full name stays in its tooltip)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>')


def _text(x: int, y: int, text: str, anchor: str = "middle", full: str | None = None) -> str:
    tip = f"<title>{escape(full)}</title>" if full and full != text else ""
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="13" fill="#222">{tip}{escape(text)}</text>'
