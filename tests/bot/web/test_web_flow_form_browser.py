"""In Debian's Chromium at 360×740 and 1280×800: an admin makes a new flow with a conditional question
only through the form (keyboard for the buttons), publishes it, and citizens answer it on the web;
the reasons question shows only after "Không hài lòng". Screenshots in var/test-artifacts/."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from layoutkit import assert_fits, measure
from live import run_async, screenshot_path, serve_app
from staffkit import CODES_A, browser_sign_in, seed_staff
from surveykit import stored_evaluation

from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from storage import open_database

ASK_VI = "Nhìn chung, Ông/Bà có hài lòng với Phường không?"
WHY_VI = "Vì sao Ông/Bà chưa hài lòng?"


UNLABELLED = """() => [...document.querySelectorAll(
    '#flow-form input:not([type=hidden]), #flow-form select, #flow-form textarea:not([hidden]), [tabindex]')]
  .filter(e => e.tabIndex > 0 || !((e.labels && e.labels.length) || e.getAttribute('aria-label')))
  .map(e => e.name || e.tagName)"""


def open_surveys(url: str, settings, codes: tuple[str, ...]) -> dict[str, str]:
    """Surveys made the way the desk makes them: no flow named, so the server's default flow."""
    async def run() -> dict[str, str]:
        async with open_database(url) as db:
            now = datetime.now(timezone.utc)
            return {code: (await send_survey(db, settings, code, now=now)).token for code in codes}
    return run_async(run())


def fits(page, name: str) -> None:
    assert_fits(measure(page), scroll_boxes=True)
    page.screenshot(path=screenshot_path(name), full_page=True)


def press(page, locator) -> None:
    """A submit button pressed from the keyboard: focused, then Enter; the next page loaded."""
    locator.focus()
    assert locator.evaluate("e => e === document.activeElement")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 800)])
def test_a_new_flow_with_a_condition_made_in_the_form_is_published_and_answered_on_the_web(
        chromium, live_db_url, width: int, height: int) -> None:
    flow_id = f"phuong-{width}"
    seed_staff(live_db_url)
    settings = load_settings(env_file=None, database_url=live_db_url, default_flow=flow_id)
    size = f"{width}"
    with serve_app(settings) as base:
        page = chromium.new_page(viewport={"width": width, "height": height})
        browser_sign_in(page, base, "admin")
        page.goto(f"{base}/admin/flows")
        page.get_by_role("link", name="Tạo kịch bản mới").click()
        page.get_by_label("Mã kịch bản").fill(flow_id)
        page.get_by_label("Tên (tiếng Việt)").fill("Đánh giá phường")
        page.get_by_label("Tên (tiếng Anh)").fill("Ward rating")
        fits(page, f"flowform-new-{size}")
        press(page, page.get_by_role("button", name="Tạo và mở biểu mẫu"))

        # Question 1: the overall rating on the three-level scale.
        q1 = page.locator("#step-1")
        q1.get_by_label("Mã câu hỏi").fill("overall")
        q1.get_by_label("Loại câu hỏi").select_option("choice")
        assert q1.get_by_label("Thang đánh giá").is_visible()
        assert not q1.get_by_label("Được bỏ qua").is_visible()  # a text question's box: hidden for a choice
        q1.get_by_label("Thang đánh giá").select_option("sat3")
        q1.get_by_label("Ghi vào trường").select_option("satisfaction.overall")
        chat = q1.locator("fieldset[data-variant=text]")
        chat.get_by_label("Tiếng Việt").fill(ASK_VI + " (trả lời 1, 2 hoặc 3)")
        chat.get_by_label("Tiếng Anh").fill("Overall, are you satisfied with the ward? (reply 1, 2 or 3)")
        screen = q1.locator("fieldset[data-variant=screen]")
        screen.get_by_label("Tiếng Việt").fill(ASK_VI)
        screen.get_by_label("Tiếng Anh").fill("Overall, are you satisfied with the ward?")
        sms = q1.locator("fieldset[data-variant=sms]")
        sms.get_by_label("Tiếng Việt").fill("Ong/Ba co hai long voi Phuong khong?")
        assert sms.locator("output").first.inner_text() == "36 ký tự · GSM-7 · 1 tin nhắn"
        sms.get_by_label("Tiếng Việt").fill("Ông/Bà có hài lòng với Phường không?")  # one accent: UCS-2
        assert "UCS-2" in sms.locator("output").first.inner_text()
        sms.get_by_label("Tiếng Việt").fill("Ong/Ba co hai long voi Phuong khong?")
        sms.get_by_label("Tiếng Anh").fill("Are you satisfied with the ward?")

        # Question 2 (added from the keyboard): the reasons, asked only after "Không hài lòng".
        press(page, page.get_by_role("button", name="Thêm câu hỏi"))
        q2 = page.locator("#step-2")
        q2.get_by_label("Mã câu hỏi").fill("why")
        q2.get_by_label("Loại câu hỏi").select_option("reasons")
        q2.get_by_label("Ghi vào trường").select_option("reasons")
        q2.locator("fieldset[data-variant=text]").get_by_label("Tiếng Việt").fill(WHY_VI + " (chọn số)")
        q2.locator("fieldset[data-variant=text]").get_by_label("Tiếng Anh").fill("Why not? (pick numbers)")
        q2.locator("fieldset[data-variant=screen]").get_by_label("Tiếng Việt").fill(WHY_VI)
        q2.locator("fieldset[data-variant=screen]").get_by_label("Tiếng Anh").fill("Why not?")
        q2.get_by_label("Hỏi câu này").select_option("in")
        q2.get_by_label("Câu trước").select_option("overall")
        q2.get_by_label("Không hài lòng", exact=True).check()  # the answers of question 1, shown for "is one of"
        # Question 3: the comment the new flow started with, edited: asked of everyone.
        press(page, page.get_by_role("button", name="Thêm câu hỏi"))
        q3 = page.locator("#step-3")
        q3.locator("fieldset[data-variant=text]").get_by_label("Tiếng Việt").fill("Ông/Bà có góp ý gì thêm?")
        q3.locator("fieldset[data-variant=text]").get_by_label("Tiếng Anh").fill("Any other comment?")
        press(page, page.get_by_role("button", name="Cập nhật và kiểm tra"))
        assert page.locator("#form-problems").get_attribute("data-state") == "ok", page.locator("#form-problems").inner_text()
        # Previews per channel and the simulator follow the form.
        why = page.locator("article.step-preview[data-step=why]")
        assert WHY_VI in why.locator("[data-channel=web]").inner_text()
        page.locator("#sim-form button[name=press]", has_text="Không hài lòng").click()
        assert WHY_VI in page.locator("ol.chat > li.bot").last.inner_text()
        assert page.locator("#step-2 select[name='s1.when.step']").input_value() == "overall"
        fits(page, f"flowform-edit-{size}")
        assert page.evaluate(UNLABELLED) == []  # every input has its label; the tab order is the page's order

        # The YAML view shows what the form wrote.
        press(page, page.get_by_role("button", name="Chế độ YAML (nâng cao)"))
        yaml = page.locator("#source").input_value()
        assert f"id: {flow_id}\n" in yaml and "when: {step: overall, value_in: [0]}" in yaml
        press(page, page.get_by_role("button", name="Mở bằng biểu mẫu"))
        page.get_by_label("Ghi chú cho phiên bản này").fill("Kịch bản mới")
        press(page, page.get_by_role("button", name="Lưu bản nháp"))
        assert "Đã lưu bản nháp, phiên bản 1" in page.locator("[role=status]").inner_text()
        press(page, page.locator("button[data-publish='1']"))
        assert "Đã xuất bản phiên bản 1" in page.locator("[role=status]").inner_text()
        fits(page, f"flowform-published-{size}")

        # Citizens answer it on the web: the new flow is the server's default, so the survey uses it.
        tokens = open_surveys(live_db_url, settings, CODES_A[:2])
        unhappy, happy = tokens[CODES_A[0]], tokens[CODES_A[1]]
        citizen = chromium.new_page(viewport={"width": width, "height": height})
        citizen.goto(f"{base}/s/{unhappy}")
        citizen.get_by_role("button", name="Bắt đầu").click()
        assert ASK_VI in citizen.content() and "trả lời 1, 2" not in citizen.content()
        citizen.locator("button.choice", has_text="Không hài lòng").click()
        assert WHY_VI in citizen.locator("fieldset").inner_text()
        fits(citizen, f"flowform-survey-why-{size}")
        citizen.locator("input[type=checkbox]").nth(0).check()
        citizen.get_by_role("button", name="Tiếp tục").click()
        citizen.get_by_role("button", name="Bỏ qua").click()
        assert citizen.locator("h1").inner_text() == "Cảm ơn Ông/Bà!"

        citizen.goto(f"{base}/s/{happy}")
        citizen.get_by_role("button", name="Bắt đầu").click()
        citizen.locator("button.choice", has_text="Rất hài lòng").click()
        assert WHY_VI not in citizen.content()
        assert "Ông/Bà có góp ý gì thêm?" in citizen.locator("fieldset").inner_text()
        citizen.get_by_role("button", name="Bỏ qua").click()
        assert citizen.locator("h1").inner_text() == "Cảm ơn Ông/Bà!"
        fits(citizen, f"flowform-survey-thanks-{size}")
        citizen.close()
        page.close()
    for code, level, reasons in ((CODES_A[0], 0, ["slow"]), (CODES_A[1], 2, None)):
        header, answers = stored_evaluation(live_db_url, code)
        assert header["flow"] == flow_id and header["flow_revision"] == 1 and header["channel"] == "web"
        assert answers["satisfaction.overall"]["level"] == level
        assert (answers["reasons"]["items"] if "reasons" in answers else None) == reasons
