"""The landing page in a real browser, on a phone-sized screen."""

from __future__ import annotations

from datetime import date, datetime, timezone

from live import run_async, screenshot_path, serve_app

from bot.common.settings import load_settings
from storage import AnswerIn, open_database, record_evaluation, upgrade_async, upsert_agency, upsert_dossier


def test_home_page_shows_agencies_and_rates_on_a_phone(chromium, tmp_path) -> None:
    """Ward 1 (6 evaluations) is published; ward 2 (2 evaluations) is listed without figures and
    left out of the overall rate, so its citizens' ratings cannot be worked out."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    run_async(upgrade_async(url))
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)

    async def seed() -> None:
        async with open_database(url) as db, db.transaction() as s:
            for code, name, levels in (("A1", "UBND Phường 1", (2, 1, 0, 2, 2, 1)), ("A2", "UBND Phường 2", (0, 0))):
                agency = await upsert_agency(s, code=code, name=name, now=now)
                for n, level in enumerate(levels):
                    dossier, _ = await upsert_dossier(s, code=f"{code}-261118-000{n}", agency_id=agency.id,
                                                      status=10, received_on=date(2026, 11, 18), now=now)
                    await record_evaluation(s, dossier_id=dossier.id, agency_id=agency.id, channel="web",
                                            schema_version="x", completed_at=now,
                                            answers=[AnswerIn("satisfaction.overall", level=level)])

    run_async(seed())
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 740})
        page.goto(base + "/")
        assert page.locator("h1").inner_text().startswith("Kết quả đánh giá")
        assert page.locator(".big").inner_text() == "83,3\u00a0%"  # (3 + 2) of ward 1's 6; ward 2 not counted
        assert "trên 6 phiếu đánh giá" in page.locator("p").first.inner_text()
        # The figures say which evaluations they count: every one so far, by its days (Vietnam time).
        assert page.locator("#home-period").inner_text() == "(tất cả phiếu từ 20/11/2026 đến 20/11/2026)"
        assert "20/11/2026" in page.locator("caption").inner_text()
        rows = page.locator("tbody tr")
        assert rows.nth(0).locator("td").all_inner_texts() == ["UBND Phường 1", "6", "3", "2", "1", "83,3\u00a0%"]
        assert rows.nth(1).locator("td").all_inner_texts() == ["UBND Phường 2", "< 5", "Chưa đủ 5 phiếu để công bố"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        # A phone shows each agency as a card: no cell reaches past the screen's edge.
        assert page.evaluate("Math.max(...[...document.querySelectorAll('body *')]"
                             ".map(e => e.getBoundingClientRect().right))") <= 360
        page.get_by_role("link", name="English").click()
        assert page.locator("h1").inner_text() == "Satisfaction with the settlement of administrative procedures"
        assert page.locator(".big").inner_text() == "83.3%"
        assert "Fewer than 5 evaluations: not published" in page.locator("tbody").inner_text()
        page.screenshot(path=screenshot_path("home-phone"), full_page=True)
        page.close()
