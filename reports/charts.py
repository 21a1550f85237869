"""Charts drawn on the server as SVG: they print, need no script, and show the same numbers as the tables.

Sized in the page's own units, never scaled: the SVG has no viewBox, its heights are in em of the text
size the page gives it and its widths are percentages of the width the page gives it. So its text is
the body text's size on a 360 px phone and on a desktop alike, and a bar is as wide as the screen
allows. Every label stands on its own line(s) above its bar, wrapped at LABEL_CHARS characters
(what a 320 px wide column holds at 17 px): a long agency name is never cut.

The words (title, what a missing or withheld figure is called) come from the caller, in its language.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from reports.formats import percent

LABEL_CHARS = 26  # characters per label line: the narrowest phone column at the body text size
COLOURS = ("#1b7f3b", "#8cc152", "#d9534f")  # very satisfied, satisfied, not satisfied
TRACK = "#e8ece8"  # the empty part of a bar: its length reads against 100 %
LINE = 1.35  # em: one line of text
BAR = 1.1  # em: the height of a bar
GAP = 0.7  # em: between two rows


def trend_svg(points: Sequence[tuple[str, float | None]], lang: str = "vi", title: str = "",
              missing: str = "—") -> str:
    """The satisfaction rate per quarter, one row each: "2026-Q3: 82,7 %" above a bar on a 0–100 % scale;
    a quarter without a (published) rate says `missing` and has an empty track."""
    y, parts = 0.0, []
    for quarter, rate in points:
        parts.append(_text(y + 1.0, f"{quarter}: {percent(rate, lang) if rate is not None else missing}"))
        y += LINE
        parts.append(_bar(y, [(rate, COLOURS[0])] if rate is not None else [], lang))
        y += BAR + GAP
    return _svg(y, title, parts)


def levels_svg(rows: Sequence[tuple[str, Sequence[float | None] | None]], lang: str = "vi", title: str = "",
               withheld: str = "< 5") -> str:
    """One stacked bar per agency, its whole name above it: the shares of each level (very satisfied,
    satisfied, not satisfied); an agency whose figures are not published says `withheld` instead."""
    y, parts = 0.0, []
    for label, shares in rows:
        for line in wrap(label):
            parts.append(_text(y + 1.0, line, weight="bold"))
            y += LINE
        if not shares or shares[0] is None:
            parts.append(_text(y + 0.95, withheld, fill="#555"))
            y += LINE + GAP
            continue
        parts.append(_bar(y, list(zip(shares, COLOURS)), lang))
        y += BAR + GAP
    return _svg(y, title, parts)


def wrap(label: str, limit: int = LABEL_CHARS) -> list[str]:
    """A label in lines of at most `limit` characters, broken between words (a longer word is split)."""
    lines: list[str] = []
    line = ""
    for word in label.split():
        while len(word) > limit:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:limit])
            word = word[limit:]
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not lines:
        lines.append(line)
    return lines


def _svg(height: float, title: str, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{_em(max(height, LINE))}" '
            f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
            + "".join(parts) + "</svg>")


def _bar(y: float, segments: Sequence[tuple[float | None, str]], lang: str) -> str:
    """A track the full width, and the segments on it from the left (percent of the width each, the
    figure as its tooltip)."""
    out = [f'<rect x="0" y="{_em(y)}" width="100%" height="{_em(BAR)}" fill="{TRACK}"/>']
    x = 0.0
    for share, colour in segments:
        w = max(0.0, min(share or 0.0, 100.0 - x))
        out.append(f'<rect x="{x:.2f}%" y="{_em(y)}" width="{w:.2f}%" height="{_em(BAR)}" fill="{colour}">'
                   f"<title>{escape(percent(share, lang))}</title></rect>")
        x += w
    return "".join(out)


def _text(y: float, text: str, *, weight: str = "normal", fill: str = "#222") -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return f'<text x="0" y="{_em(y)}" fill="{fill}"{bold}>{escape(text)}</text>'


def _em(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "em"
