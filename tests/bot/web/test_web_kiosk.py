"""Kiosk mode in Debian's Chromium on a tablet: officer, keypad, the survey, then back to the desk."""

from __future__ import annotations

from live import screenshot_path, serve_app
from surveykit import CODES, DESK, DUE, OFFICER, RECEIVED, RETURNED, Client, hidden, seed, stored_evaluation

from bot.common.settings import load_settings
from bot.conversation.surveys import survey_link
from survey_flows import dossier_points

# A district portal's address is longer than a survey token: the QR link is ~80 characters.
PORTAL = "https://dichvucong.quangninh.gov.vn/khao-sat-hai-long"


def answer_quick(client: Client, path: str, page: str) -> str:
    """Answer the quick flow at ``path`` over HTTP: five stars, very satisfied, no comment."""
    for step, field in (("overall", {"choice": "5"}), ("officer", {"choice": "1"}), ("comment", {"action": "skip"})):
        assert f'data-step="{step}"' in page
        form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), "step": step, **field}
        status, page = client.post(path, form)
        assert status == 200
    return page


def desk_post(client: Client, code: str) -> tuple[int, str]:
    """Type or scan ``code`` on the kiosk's code screen and press Đánh giá."""
    _, page = client.get(f"/kiosk/{DESK}")
    return client.post(f"/kiosk/{DESK}", {"_csrf": hidden(page, "_csrf"), "code": code, "go": "1"})


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


def test_the_kiosk_rates_a_dossier_from_its_scanned_qr_link(live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=3)
    settings = load_settings(env_file=None, database_url=live_db_url, public_url=PORTAL)
    token = seeded.tokens[CODES[1]]
    link = survey_link(settings, token)  # what the QR on the return slip holds, and a scanner types
    assert len(link) > 64
    with serve_app(settings) as base:
        client = Client(base)
        status, page = desk_post(client, link)
        assert status == 200 and f'action="/kiosk/{DESK}/s/{token}"' in page  # the slip's own survey
        page = answer_quick(client, f"/kiosk/{DESK}/s/{token}", page)
        assert "Cảm ơn Ông/Bà!" in page and f"url=/kiosk/{DESK}" in page and "<form" not in page
        status, page = desk_post(client, link)  # the same slip scanned again
        assert status == 400 and "đã được đánh giá" in page
    header, answers = stored_evaluation(live_db_url, CODES[1])
    assert header["channel"] == "kiosk" and header["status"] == "completed"
    points = dossier_points(RECEIVED, DUE, RETURNED)
    assert answers == {
        **{field: {"value": p, "level": None, "text": None, "items": None} for field, p in points.items()},
        "satisfaction.overall": {"value": 5, "level": 2, "text": None, "items": None},
        "satisfaction.officer_attitude": {"value": 2, "level": 2, "text": None, "items": None},
    }


def test_a_dossier_evaluated_on_the_web_is_refused_at_the_kiosk(live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=3)
    token = seeded.tokens[CODES[2]]
    with serve_app(seeded.settings) as base:
        client = Client(base)
        _, page = client.get(f"/s/{token}")
        _, page = client.post(f"/s/{token}", {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"),
                                              "action": "start"})
        assert "Cảm ơn Ông/Bà!" in answer_quick(client, f"/s/{token}", page)
        for entered in (CODES[2], CODES[2].lower(), survey_link(seeded.settings, token)):  # typed or scanned
            status, page = desk_post(Client(base), entered)
            assert status == 400 and "đã được đánh giá" in page and 'data-step=' not in page
        status, page = Client(base).get(f"/kiosk/{DESK}/s/{token}")  # straight to the kiosk's survey page
        assert "<form" not in page and 'data-step=' not in page
    header, answers = stored_evaluation(live_db_url, CODES[2])
    assert header["channel"] == "web" and header["status"] == "completed"
    assert answers["satisfaction.overall"]["value"] == 5
