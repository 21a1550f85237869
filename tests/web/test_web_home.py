"""The landing page in a real browser, on a phone-sized screen."""

from __future__ import annotations

from datetime import date, datetime, timezone

from bot.settings import load_settings
from live import run_async, screenshot_path, serve_app
from storage import AnswerIn, open_database, record_evaluation, upgrade_async, upsert_agency, upsert_dossier


def test_home_page_shows_agencies_and_rates_on_a_phone(chromium, tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    run_async(upgrade_async(url))
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)

    async def seed() -> None:
        async with open_database(url) as db, db.transaction() as s:
            agency = await upsert_agency(s, code="A1", name="UBND Phường 1", now=now)
            for n, level in enumerate((2, 1, 0, 2)):
                dossier, _ = await upsert_dossier(s, code=f"A1-261118-000{n}", agency_id=agency.id, status=10,
                                                  received_on=date(2026, 11, 18), now=now)
                await record_evaluation(s, dossier_id=dossier.id, agency_id=agency.id, channel="web",
                                        schema_version="x", completed_at=now,
                                        answers=[AnswerIn("satisfaction.overall", level=level)])

    run_async(seed())
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 740})
        page.goto(base + "/")
        assert page.locator("h1").inner_text().startswith("Kết quả đánh giá")
        row = page.locator("tbody tr").first.inner_text()
        assert "UBND Phường 1" in row and "75.0%" in row  # (2 + 1) of 4 satisfied
        page.get_by_role("link", name="English").click()
        assert "Satisfaction rate" in page.content()
        page.screenshot(path=screenshot_path("home-phone"), full_page=True)
        page.close()
