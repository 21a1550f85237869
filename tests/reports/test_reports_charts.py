"""Server-rendered SVG charts: well-formed, labels that fit, suppressed groups shown as such."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports.charts import LABEL_CHARS, levels_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_long_agency_names_are_shortened_with_the_full_name_as_tooltip() -> None:
    long_name = "Văn phòng HĐND và UBND Quận 3"
    svg = ET.fromstring(levels_svg([(long_name, (52.4, 19.0, 28.6)), ("UBND Phường 1", None)]))
    labels = [t for t in svg.iter(f"{SVG}text")]
    shown = ["".join(t.itertext()).replace(t.findtext(f"{SVG}title") or "", "") for t in labels]
    assert shown[0].endswith("…") and len(shown[0]) == LABEL_CHARS
    assert labels[0].findtext(f"{SVG}title") == long_name
    assert shown[1] == "UBND Phường 1" and labels[1].find(f"{SVG}title") is None
    assert "< 5" in shown[2]  # the suppressed agency gets a note, not bars
    widths = [int(r.get("width")) for r in svg.iter(f"{SVG}rect")]
    assert len(widths) == 3 and abs(sum(widths) - (640 - 210)) <= 2
