"""The counter kiosk answered by touch alone, in Debian's Chromium, on a phone-sized portrait screen
(360×740) and a landscape tablet (1280×800): the keypad types a dossier code without loading a
page, the receiving officer's name and photo stay on screen, faces answer the satisfaction
questions, only the flow's kiosk questions are asked, and the thank-you screen goes back to the
keypad by itself. Nothing is wider than the screen; screenshots go to var/test-artifacts/."""

from __future__ import annotations

import io

import pytest
from layoutkit import assert_fits, measure
from live import run_async, screenshot_path, serve_app
from PIL import Image
from surveykit import AGENCY, CODES, DESK, OFFICER, enrolment_path, seed, stored_evaluation

from bot.office.photos import keep_photo, set_photo
from storage import find_agency, open_database

VIEWS = {"portrait": (360, 740), "landscape": (1280, 800)}
MIN_TARGET = 64  # CSS px: a finger hits a button this large in one touch


def give_photo(url: str) -> str:
    """A photo for the desk's officer CB01, kept as a manager's upload is; returns its address."""
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), (40, 110, 170)).save(buffer, "PNG")

    async def run() -> str:
        async with open_database(url) as db:
            async with db.transaction() as s:
                agency = await find_agency(s, AGENCY)
            assert agency is not None
            name = keep_photo(buffer.getvalue())
            from datetime import datetime, timezone
            await set_photo(db, agency.id, "CB01", name, actor="test", now=datetime.now(timezone.utc))
            return name

    return run_async(run())


def check_screen(page, view: str, shot: str) -> None:
    """The officer's name and loaded photo on screen, nothing past its edges, and a screenshot."""
    assert page.locator("[data-officer]").inner_text() == OFFICER
    photo = page.locator("[data-officer-photo]")
    assert photo.is_visible() and photo.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_fits(measure(page), scroll_boxes=False)
    page.screenshot(path=screenshot_path(f"kiosk-touch-{view}-{shot}"), full_page=True)


def big_enough(locator) -> None:
    for n in range(locator.count()):
        box = locator.nth(n).bounding_box()
        assert box is not None and box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_the_kiosk_is_answered_by_touch_alone(chromium, live_db_url, view: str) -> None:
    seeded = seed(live_db_url, flow="nd61-standard", surveys=3)
    photo = give_photo(live_db_url)
    width, height = VIEWS[view]
    unhappy = view == "portrait"  # a low rating brings the reasons; a high one ends after two questions
    with serve_app(seeded.settings) as base:
        context = chromium.new_context(viewport={"width": width, "height": height}, has_touch=True,
                                       is_mobile=view == "portrait")
        page = context.new_page()
        page.goto(base + enrolment_path(live_db_url))
        page.get_by_role("button", name="Đăng ký máy này").tap()
        page.wait_for_selector("[data-officer]")
        assert page.locator("[data-officer-photo]").get_attribute("src") == f"/kiosk-photos/{photo}"
        check_screen(page, view, "desk")
        big_enough(page.locator(".keypad button:visible"))

        # The keypad: the agency's part in one tap, then the date and number; no page load per key.
        page.evaluate("window.sameDocument = true")
        code = CODES[0]
        page.locator(f".keypad button[value='{AGENCY}-']").tap()
        for key in code[len(AGENCY) + 1:]:
            page.locator(f".keypad button[value='{key}']").first.tap()
        page.locator("details.letters summary").tap()  # every other letter a code may hold
        page.locator("details.letters button[value='G']").tap()
        assert page.locator("#code").input_value() == code + "G"
        page.locator(".keypad button[value='DEL']").tap()
        assert page.locator("#code").input_value() == code
        assert page.evaluate("window.sameDocument === true")
        check_screen(page, view, "code")
        page.get_by_role("button", name="Đánh giá").tap()

        # Faces with their words for the overall rating, then the officer, then (low) the reasons.
        page.wait_for_selector("[data-step=overall]")
        faces = page.locator("button.face")
        assert faces.count() == 3 and faces.locator("svg").count() == 3
        assert [faces.nth(n).inner_text() for n in range(3)] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
        big_enough(faces)
        check_screen(page, view, "overall")
        faces.nth(2 if unhappy else 0).tap()
        page.wait_for_selector("[data-step=officer_conduct]")
        big_enough(page.locator("button.choice"))
        check_screen(page, view, "officer")
        page.locator("button.choice").nth(1).tap()  # no trouble from the officer
        if unhappy:
            page.wait_for_selector("[data-step=reasons]")
            check_screen(page, view, "reasons")
            page.locator("label.check").nth(0).tap()
            page.locator("label.check").nth(1).tap()
            page.get_by_role("button", name="Tiếp tục").tap()

        page.wait_for_selector("[data-page=thanks_kiosk]")
        assert page.locator("h1").inner_text() == "Cảm ơn Ông/Bà!"
        assert "có thể đóng" not in page.content()
        assert_fits(measure(page), scroll_boxes=False)
        page.screenshot(path=screenshot_path(f"kiosk-touch-{view}-thanks"), full_page=True)
        page.wait_for_selector("#code", timeout=20_000)  # back to the keypad by itself, for the next person
        assert page.url == f"{base}/kiosk/{DESK}" and page.locator("#code").input_value() == ""
        context.close()
    header, answers = stored_evaluation(live_db_url, CODES[0])
    assert header["channel"] == "kiosk" and header["status"] == "completed"
    assert answers["satisfaction.overall"]["level"] == (0 if unhappy else 2)
    assert answers["indicator.7"]["value"] == 2
    assert "indicator.4" not in answers and "indicator.6" not in answers  # not kiosk questions
    assert ("reasons" in answers) == unhappy
    if unhappy:
        assert answers["reasons"]["items"] == ["slow", "many_visits"]
