"""Kiosk mode in Debian's Chromium on a tablet: officer, keypad, the survey, then back to the desk."""

from __future__ import annotations

from live import screenshot_path, serve_app
from surveykit import CODES, DESK, OFFICER, Client, hidden, seed, stored_evaluation


def test_kiosk_rates_a_dossier_and_refuses_it_twice(chromium, live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=5)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 800, "height": 1280})
        page.goto(f"{base}/kiosk/{DESK}")
        assert page.locator("[data-officer]").inner_text() == OFFICER
        page.get_by_label("Nhập mã hồ sơ").fill(CODES[3][:-1])
        page.locator(".keypad button[value='4']").click()  # the on-screen keypad types the last digit
        page.screenshot(path=screenshot_path("kiosk-code"), full_page=True)
        page.get_by_role("button", name="Đánh giá").click()
        page.locator("button.choice").nth(4).click()   # five stars
        page.locator("button.choice").nth(0).click()   # very satisfied with the officer
        page.get_by_role("button", name="Bỏ qua").click()
        assert page.locator("h1").inner_text() == "Cảm ơn Ông/Bà!"
        page.screenshot(path=screenshot_path("kiosk-thanks"), full_page=True)
        assert page.locator("meta[http-equiv=refresh]").get_attribute("content").endswith(f"/kiosk/{DESK}")
        page.goto(f"{base}/kiosk/{DESK}")
        page.get_by_label("Nhập mã hồ sơ").fill(CODES[3].lower())
        page.get_by_role("button", name="Đánh giá").click()
        assert "đã được đánh giá" in page.locator("[role=alert]").inner_text()
        page.close()
    header, answers = stored_evaluation(live_db_url, CODES[3])
    assert header["channel"] == "kiosk" and answers["satisfaction.officer_attitude"]["level"] == 2


def test_keypad_works_without_javascript(chromium, live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        context = chromium.new_context(java_script_enabled=False, viewport={"width": 800, "height": 1280})
        page = context.new_page()
        page.goto(f"{base}/kiosk/{DESK}")
        for key in ("1", "2", "DEL", "3"):
            page.locator(f".keypad button[value='{key}']").click()
        assert page.get_by_label("Nhập mã hồ sơ").input_value() == "13"
        context.close()


def test_wrong_codes_and_unknown_desks_change_nothing(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        client = Client(base)
        status, page = client.get("/kiosk/nope")
        assert status == 404 and "Không có quầy này" in page
        status, page = client.get(f"/kiosk/{DESK}")
        csrf = hidden(page, "_csrf")
        for code in ("000.99.99.H29-261118-0001", "not a code", "x" * 300):
            status, page = client.post(f"/kiosk/{DESK}", {"_csrf": csrf, "code": code, "go": "1"})
            assert status == 400 and "không thuộc quầy này" in page
        status, page = client.post(f"/kiosk/{DESK}", {"code": CODES[0], "go": "1"})
        assert status == 403
    assert stored_evaluation(live_db_url, CODES[0]) is None
