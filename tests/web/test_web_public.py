"""The public results page in a real Chromium: figures, suppression, charts, no personal data."""

from __future__ import annotations

import re

from report_district import seed_district
from bot.settings import load_settings
from live import run_async, screenshot_path, serve_app
from storage import open_database, upgrade_async

PHONE = re.compile(r"(\+84|0)\d{9}")


def _seeded(tmp_path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    run_async(upgrade_async(url))

    async def seed() -> None:
        async with open_database(url) as db:
            await seed_district(db)

    run_async(seed())
    return url


def test_public_results_page_in_a_browser(chromium, tmp_path) -> None:
    url = _seeded(tmp_path)
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base + "/public/results?period=2019-Q2")
        assert page.locator("h1").inner_text().startswith("Công khai kết quả")
        rows = page.locator("#results tbody tr")
        first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
        assert "UBND Phường 1" in first and "83,3\u00a0%" in first and "10,0" in first and "Khá" in first
        assert "UBND Phường 2" in second and "< 5" in second and "100" not in second  # 3 evaluations: hidden
        # The total pools published agencies only, so it cannot be used to work out the hidden one.
        assert "83,3\u00a0%" in page.locator("#overall-rate").inner_text()
        assert page.locator("svg").count() == 2
        assert "15/03/2019 – 14/06/2019" in page.content()
        assert not PHONE.search(page.content()) and "Cán bộ" not in page.content()
        page.screenshot(path=screenshot_path("public-results"), full_page=True)
        page.select_option("select[name=agency]", "A1")
        page.get_by_role("button", name="Xem").click()
        page.wait_for_url("**agency=A1**")
        assert "Theo thủ tục" in page.content() and "Thủ tục P2" in page.content()
        page.emulate_media(media="print")
        assert not page.locator("form").is_visible()
        page.screenshot(path=screenshot_path("public-results-agency-print"), full_page=True)
        page.close()


def test_public_results_in_english_and_a_bad_period(chromium, tmp_path) -> None:
    url = _seeded(tmp_path)
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page()
        page.goto(base + "/public/results?period=2019-Q2&lang=en")
        assert "83.3%" in page.locator("#results").inner_text()
        response = page.goto(base + "/public/results?period=2019-Q9")
        assert response.status == 400 and "kỳ báo cáo" in page.content()
        page.close()
