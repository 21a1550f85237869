"""Kiosk mode in Debian's Chromium on a tablet: enrolment, officer, keypad, the survey, then back to the desk.

Only the desk's enrolled tablet gets a survey; code lookups are throttled; every refusal reads the same."""

from __future__ import annotations

import re

from live import run_async, screenshot_path, serve_app
from surveykit import (
    AGENCY,
    CODES,
    DESK,
    DUE,
    OFFICER,
    RECEIVED,
    RETURNED,
    Client,
    enrolled,
    enrolment_path,
    hidden,
    seed,
    stored_evaluation,
)

from bot.common.settings import load_settings
from bot.conversation.surveys import survey_link
from bot.office.kiosks import LOOKUP_LIMIT, set_desk
from storage import audit_entries, find_dossier, find_survey, open_database
from survey_flows import dossier_points

# A district portal's address is longer than a survey token: the QR link is ~80 characters.
PORTAL = "https://dichvucong.quangninh.gov.vn/khao-sat-hai-long"


def answer_quick(client: Client, path: str, page: str, *, kiosk: bool = False) -> str:
    """Answer the quick flow at ``path`` over HTTP: five stars, very satisfied, no comment (the
    kiosk asks no comment: the quick flow's short set is its two satisfaction questions)."""
    steps = (("overall", {"choice": "5"}), ("officer", {"choice": "1"}))
    for step, field in steps if kiosk else (*steps, ("comment", {"action": "skip"})):
        assert f'data-step="{step}"' in page
        form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), "step": step, **field}
        status, page = client.post(path, form)
        assert status == 200
    return page


def desk_post(client: Client, code: str) -> tuple[int, str]:
    """Type or scan ``code`` on the kiosk's code screen and press Đánh giá."""
    _, page = client.get(f"/kiosk/{DESK}")
    return client.post(f"/kiosk/{DESK}", {"_csrf": hidden(page, "_csrf"), "code": code, "go": "1"})


REFUSED = "Không mở được phiếu đánh giá cho mã này"  # the one refusal, whatever the dossier's state


def browser_enrol(page, base: str, url: str) -> None:
    """Open a fresh enrolment link on the tablet and press the button, as a manager does."""
    page.goto(base + enrolment_path(url))
    page.get_by_role("button", name="Đăng ký máy này").click()
    page.wait_for_selector("[data-officer]")


def test_kiosk_rates_a_dossier_and_refuses_it_twice(chromium, live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=5)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 800, "height": 1280})
        page.goto(f"{base}/kiosk/{DESK}")
        assert page.locator("h1").inner_text() == "Máy chưa được đăng ký"
        browser_enrol(page, base, live_db_url)
        assert page.locator("[data-officer]").inner_text() == OFFICER
        page.get_by_label("Nhập mã hồ sơ").fill(CODES[3][:-1])
        page.locator(".keypad button[value='4']").click()  # the on-screen keypad types the last digit
        page.screenshot(path=screenshot_path("kiosk-code"), full_page=True)
        page.get_by_role("button", name="Đánh giá").click()
        page.locator("button.choice").nth(4).click()   # five stars
        page.locator("button.choice").nth(0).click()   # very satisfied with the officer: the last kiosk question
        assert page.locator("h1").inner_text() == "Cảm ơn Ông/Bà!"
        page.screenshot(path=screenshot_path("kiosk-thanks"), full_page=True)
        assert page.locator("meta[http-equiv=refresh]").get_attribute("content").endswith(f"/kiosk/{DESK}")
        page.goto(f"{base}/kiosk/{DESK}")
        page.get_by_label("Nhập mã hồ sơ").fill(CODES[3].lower())
        page.get_by_role("button", name="Đánh giá").click()
        assert REFUSED in page.locator("[role=alert]").inner_text()
        page.close()
    header, answers = stored_evaluation(live_db_url, CODES[3])
    assert header["channel"] == "kiosk" and answers["satisfaction.officer_attitude"]["level"] == 2


def test_keypad_works_without_javascript(chromium, live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        context = chromium.new_context(java_script_enabled=False, viewport={"width": 800, "height": 1280})
        page = context.new_page()
        browser_enrol(page, base, live_db_url)
        for key in ("1", "2", "DEL", "3"):
            page.locator(f".keypad button[value='{key}']").click()
        assert page.get_by_label("Nhập mã hồ sơ").input_value() == "13"
        page.locator(".keypad button[value='CLR']").click()
        page.locator(f".keypad button[value='{AGENCY}-']").click()  # the agency's part in one press
        page.locator("details.letters summary").click()  # the other letters, without a script too
        page.locator("details.letters button[value='G']").click()
        assert page.get_by_label("Nhập mã hồ sơ").input_value() == f"{AGENCY}-G"
        assert [page.locator(".keypad button[value='H']").count(), page.locator(".keypad button[value='Q']").count()] == [1, 1]
        context.close()


def test_wrong_codes_and_unknown_desks_change_nothing(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        client = enrolled(base, live_db_url)
        status, page = client.get("/kiosk/nope")
        assert status == 403 and "chưa được đăng ký" in page
        status, page = client.get(f"/kiosk/{DESK}")
        csrf = hidden(page, "_csrf")
        for code in ("000.99.99.H29-261118-0001", "not a code", "x" * 300):
            status, page = client.post(f"/kiosk/{DESK}", {"_csrf": csrf, "code": code, "go": "1"})
            assert status == 400 and REFUSED in page
        status, page = client.post(f"/kiosk/{DESK}", {"code": CODES[0], "go": "1"})
        assert status == 403
    assert stored_evaluation(live_db_url, CODES[0]) is None


def test_the_kiosk_rates_a_dossier_from_its_scanned_qr_link(live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=3)
    settings = load_settings(env_file=None, database_url=live_db_url, public_url=PORTAL)
    token = seeded.tokens[CODES[1]]
    link = survey_link(settings, token)  # what the QR on the return slip holds, and a scanner types
    assert len(link) > 64
    with serve_app(seeded.settings) as base:  # served over http here: the tablet's cookie is Secure under https
        client = enrolled(base, live_db_url)
        status, page = desk_post(client, link)
        assert status == 200 and f'action="/kiosk/{DESK}/s/{token}"' in page  # the slip's own survey
        page = answer_quick(client, f"/kiosk/{DESK}/s/{token}", page, kiosk=True)
        assert "Cảm ơn Ông/Bà!" in page and f"url=/kiosk/{DESK}" in page and "<form" not in page
        status, page = desk_post(client, link)  # the same slip scanned again
        assert status == 400 and REFUSED in page and "đã được đánh giá" not in page
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
        tablet = enrolled(base, live_db_url)
        for entered in (CODES[2], CODES[2].lower(), survey_link(seeded.settings, token)):  # typed or scanned
            status, page = desk_post(tablet, entered)
            assert status == 400 and REFUSED in page and "đã được đánh giá" not in page and 'data-step=' not in page
        # Evaluated, unknown, another agency's: the very same page (the CSRF token aside).
        pages = {re.sub(r'name="_csrf" value="[^"]*"', "", desk_post(tablet, entered)[1])
                 for entered in (CODES[2], f"{AGENCY}-261118-0999", "000.32.32.H29-261118-0001")}
        assert len(pages) == 1
        status, page = tablet.get(f"/kiosk/{DESK}/s/{token}")  # straight to the kiosk's survey page
        assert "<form" not in page and 'data-step=' not in page
    header, answers = stored_evaluation(live_db_url, CODES[2])
    assert header["channel"] == "web" and header["status"] == "completed"
    assert answers["satisfaction.overall"]["value"] == 5


def csrf_cookie(client: Client) -> str:
    """The CSRF cookie any visitor gets with any page."""
    jar = next(h.cookiejar for h in client.opener.handlers if hasattr(h, "cookiejar"))
    return next(c.value for c in jar if c.name == "hl_csrf")


def has_survey(url: str, code: str) -> bool:
    async def run() -> bool:
        async with open_database(url) as db, db.transaction() as s:
            return await find_survey(s, dossier_id=(await find_dossier(s, code)).id) is not None

    return run_async(run())


def kiosk_actions(url: str) -> list[str]:
    async def run() -> list[str]:
        async with open_database(url) as db, db.transaction() as s:
            return [e.action for e in await audit_entries(s, action_prefix="kiosk.", limit=100)]

    return run_async(run())


def test_an_unenrolled_browser_gets_no_survey_for_any_code(live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=3)
    with serve_app(seeded.settings) as base:
        stranger = Client(base)
        status, page = stranger.get(f"/kiosk/{DESK}")
        assert status == 403 and "chưa được đăng ký" in page and "<form" not in page
        csrf = csrf_cookie(stranger)  # a forger has a CSRF cookie of its own: it is not what stops it
        entered = [*CODES, *(survey_link(seeded.settings, t) for t in seeded.tokens.values())]
        for code in entered:
            status, page = stranger.post(f"/kiosk/{DESK}", {"_csrf": csrf, "code": code, "go": "1"})
            assert status == 403 and "/s/" not in page and "data-step" not in page
        for token in seeded.tokens.values():
            status, page = stranger.get(f"/kiosk/{DESK}/s/{token}")
            assert status == 403 and "data-step" not in page
        forged = Client(base)  # a made-up device cookie is no better
        forged.opener.addheaders = [("Cookie", f"hl_kiosk_{DESK}=" + "A" * 43)]
        status, page = forged.get(f"/kiosk/{DESK}")
        assert status == 403 and "<form" not in page
        # Enrolling again retires the tablet enrolled before; an enrolment link works once.
        first, second = enrolled(base, live_db_url), enrolled(base, live_db_url)
        assert first.get(f"/kiosk/{DESK}")[0] == 403 and second.get(f"/kiosk/{DESK}")[0] == 200
        path = enrolment_path(live_db_url)
        for n, expected in enumerate((200, 403)):
            client = Client(base)
            _, page = client.get(path)
            status, page = client.post(path, {"_csrf": hidden(page, "_csrf")})
            assert status == expected
        assert "Liên kết đăng ký đã được dùng" in page
        client = Client(base)
        _, page = client.get(f"/kiosk/{DESK}/enrol/{'x' * 32}")
        assert client.post(f"/kiosk/{DESK}/enrol/{'x' * 32}", {"_csrf": hidden(page, "_csrf")})[0] == 403
    assert not has_survey(live_db_url, CODES[3]) and not has_survey(live_db_url, CODES[4])  # nothing opened
    assert all(stored_evaluation(live_db_url, code) is None for code in CODES)
    assert kiosk_actions(live_db_url).count("kiosk.enrolled") == 3


def test_twenty_wrong_codes_in_a_minute_are_throttled(live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=3)

    async def second_desk() -> None:
        async with open_database(live_db_url) as db:
            await set_desk(db, AGENCY, "quay-2", officer_code="CB01")

    run_async(second_desk())
    with serve_app(seeded.settings) as base:
        tablet = enrolled(base, live_db_url)
        _, page = tablet.get(f"/kiosk/{DESK}")
        csrf = hidden(page, "_csrf")
        for n in range(LOOKUP_LIMIT):
            status, page = tablet.post(f"/kiosk/{DESK}", {"_csrf": csrf, "code": f"{AGENCY}-261118-{n + 100:04d}", "go": "1"})
            assert status == 400 and REFUSED in page
        assert LOOKUP_LIMIT == 20
        status, page = tablet.post(f"/kiosk/{DESK}", {"_csrf": csrf, "code": CODES[0], "go": "1"})
        assert status == 429 and "quá nhiều lần" in page and "data-step" not in page  # even a right code waits
        other = enrolled(base, live_db_url, "quay-2")  # another desk, from the same address
        _, page = other.get("/kiosk/quay-2")
        status, page = other.post("/kiosk/quay-2", {"_csrf": hidden(page, "_csrf"), "code": CODES[0], "go": "1"})
        assert status == 429


def test_a_manager_enrols_the_desk_tablet_from_the_staff_pages(chromium, live_db_url) -> None:
    from staffkit import browser_sign_in, seed_staff, signed_in, staff_desk

    seeded = seed_staff(live_db_url)
    staff_desk(live_db_url, DESK)
    with serve_app(seeded.settings) as base:
        manager = chromium.new_context()
        page = manager.new_page()
        browser_sign_in(page, base, "manager_a")
        page.get_by_role("link", name="Máy đánh giá tại quầy").first.click()
        assert page.locator(f'tr[data-desk="{DESK}"] [data-enrolled]').get_attribute("data-enrolled") == "0"
        page.locator(f'tr[data-desk="{DESK}"]').get_by_role("button", name="Tạo liên kết đăng ký").click()
        link = page.locator(f'[data-enrol-link="{DESK}"] code').inner_text()
        assert page.locator(f'[data-enrol-link="{DESK}"] img').get_attribute("src").startswith("data:image/svg+xml")
        page.screenshot(path=screenshot_path("staff-kiosks-link"), full_page=True)
        tablet = chromium.new_context(viewport={"width": 800, "height": 1280})
        screen = tablet.new_page()
        screen.goto(base + link[link.index("/kiosk/"):])
        screen.get_by_role("button", name="Đăng ký máy này").click()
        assert screen.locator("[data-officer]").count() == 1
        page.goto(f"{base}/staff/kiosks")
        assert page.locator(f'tr[data-desk="{DESK}"] [data-enrolled]').get_attribute("data-enrolled") == "1"
        manager.close()
        tablet.close()
        other, csrf = signed_in(base, "manager_b")  # another agency's manager sees no such desk
        status, page_b = other.get("/staff/kiosks")
        assert status == 200 and f'data-desk="{DESK}"' not in page_b
        assert other.post(f"/staff/kiosks/{DESK}/enrol", {"_csrf": csrf})[0] == 404
        clerk, csrf = signed_in(base, "staff_a")
        assert clerk.post(f"/staff/kiosks/{DESK}/enrol", {"_csrf": csrf})[0] == 403
    assert kiosk_actions(live_db_url).count("kiosk.enrol_link") == 1
