"""Pages write days as dd/mm/yyyy and instants in Vietnam time, whatever was stored."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from bot.web.dates import day, vn_time

TEMPLATES = Path(__file__).resolve().parents[3] / "bot" / "web" / "templates"


def test_days_and_instants_as_people_read_them() -> None:
    assert day(date(2026, 11, 9)) == "09/11/2026" and day("2026-11-09") == "09/11/2026" and day(None) == "—"
    assert vn_time(datetime(2026, 11, 30, 17, 5, tzinfo=timezone.utc)) == "01/12/2026 00:05"  # the next day in Hà Nội
    assert vn_time(datetime(2026, 11, 30, 17, 5)) == "01/12/2026 00:05"  # stored naive values are UTC
    assert vn_time("2026-11-30T17:05:00+00:00") == "01/12/2026 00:05" and vn_time(None) == "—"


def test_no_template_writes_utc_or_iso_instants() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "UTC" not in text and 'replace("T"' not in text and "isoformat" not in text, template.name
