"""A desk refusal carries the values its message needs, a `reason` among them (the slip's failure)."""

from __future__ import annotations

from bot.office.desk import DeskRefused
from bot.web.texts import translate


def test_a_failed_slip_is_refused_with_its_reason() -> None:
    refusal = DeskRefused("slip_failed", reason="no font with Vietnamese letters")  # was a TypeError (a 500)
    assert refusal.reason == "slip_failed" and refusal.values == {"reason": "no font with Vietnamese letters"}
    assert translate(f"desk_refused_{refusal.reason}", "vi", **refusal.values).endswith("no font with Vietnamese letters")
