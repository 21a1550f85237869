"""Server-rendered SVG charts: well-formed, never scaled, whole labels, suppressed groups shown as such."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports.charts import LABEL_CHARS, levels_svg, trend_svg, wrap

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def test_long_agency_names_wrap_whole_above_their_bar() -> None:
    long_name = "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân Quận Hoàn Kiếm"
    svg = ET.fromstring(levels_svg([(long_name, (52.4, 19.0, 28.6)), ("UBND Phường 1", None)],
                                   title="Mức độ", withheld="< 5 *"))
    shown = _texts(svg)
    lines = shown[:-2]
    assert len(lines) >= 3 and all(len(line) <= LABEL_CHARS for line in lines)
    assert " ".join(lines) == long_name and not any("…" in t for t in shown)  # the whole name, nothing cut
    assert shown[-2:] == ["UBND Phường 1", "< 5 *"]  # the suppressed agency gets the caller's note, no bars
    # Each line is its own row: the label sits above the bar (larger y), never beside it.
    ys = [float(t.get("y").removesuffix("em")) for t in svg.iter(f"{SVG}text")]
    bar_y = float(next(r for r in svg.iter(f"{SVG}rect")).get("y").removesuffix("em"))
    assert ys[:len(lines)] == sorted(ys[:len(lines)]) and bar_y > ys[len(lines) - 1]
    assert all(t.get("x") == "0" and t.get("text-anchor") is None for t in svg.iter(f"{SVG}text"))
    segments = [r for r in svg.iter(f"{SVG}rect") if r.get("fill") != "#e8ece8"]
    assert [r.get("width") for r in segments] == ["52.40%", "19.00%", "28.60%"]
    assert [r.findtext(f"{SVG}title") for r in segments] == ["52,4\u00a0%", "19,0\u00a0%", "28,6\u00a0%"]


def test_charts_are_never_scaled_and_size_in_the_pages_text_units() -> None:
    svg = ET.fromstring(trend_svg([("2026-Q2", 82.7), ("2026-Q3", None)], "en", "Rate by quarter", "no data"))
    assert svg.get("viewBox") is None and svg.get("width") == "100%" and svg.get("height").endswith("em")
    assert svg.findtext(f"{SVG}title") == "Rate by quarter" == svg.get("aria-label")
    assert _texts(svg) == ["2026-Q2: 82.7%", "2026-Q3: no data"]
    assert all(t.get("font-size") is None for t in svg.iter(f"{SVG}text"))  # the page's text size
    bars = [r.get("width") for r in svg.iter(f"{SVG}rect") if r.get("fill") != "#e8ece8"]
    assert bars == ["82.70%"]


def test_wrap_breaks_between_words_and_splits_only_a_word_too_long() -> None:
    assert wrap("UBND Phường 1") == ["UBND Phường 1"]
    assert wrap("a" * 30, 10) == ["a" * 10, "a" * 10, "a" * 10]
    assert wrap("Trung tâm Phục vụ hành chính công", 12) == ["Trung tâm", "Phục vụ hành", "chính công"]
    assert wrap("") == [""]
