"""The web survey in Debian's Chromium on a 360×740 phone: start, answer, go back, finish.

The evaluation the web writes must equal, field for field, the simulator's for the same replies.
"""

from __future__ import annotations

from live import screenshot_path, serve_app
from surveykit import CODES, DUE, RECEIVED, RETURNED, seed, stored_evaluation

from bot.cli.commands import simulate_json
from bot.office.sms_templates import SAMPLE_DOSSIER
from survey_flows import dossier_points

COMMENT = "Cán bộ nhiệt tình <b>rõ ràng</b>"


def answer_screen(page, lines: list[str]) -> None:
    """Answer the current screen the way a citizen would; note the same reply as a typed line."""
    fieldset = page.locator("fieldset")
    step = fieldset.get_attribute("data-step")
    buttons = page.locator("button.choice")
    if buttons.count():
        # "Not satisfied" overall opens the reasons and comment steps.
        pick = buttons.count() if step == "overall" else 2 if step == "officer_conduct" else 1
        buttons.nth(pick - 1).click()
        lines.append(str(pick))
    elif page.locator("input[type=checkbox]").count():
        page.locator("input[type=checkbox]").nth(0).check()
        page.locator("input[type=checkbox]").nth(2).check()
        page.get_by_role("button", name="Tiếp tục").click()
        lines.append("1 3")
    elif page.locator("input[type=number]").count():
        page.get_by_label("Câu trả lời").fill("1")
        page.get_by_role("button", name="Tiếp tục").click()
        lines.append("1")
    else:
        page.get_by_label("Câu trả lời").fill(COMMENT)
        page.get_by_role("button", name="Tiếp tục").click()
        lines.append(COMMENT)


def test_phone_survey_matches_the_simulator(chromium, live_db_url) -> None:
    seeded = seed(live_db_url)
    token = seeded.tokens[CODES[0]]
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 740})
        page.goto(f"{base}/s/{token}")
        assert CODES[0] in page.content() and "Đăng ký khai sinh" in page.content()
        page.screenshot(path=screenshot_path("survey-phone-welcome"), full_page=True)
        page.get_by_role("button", name="Bắt đầu").click()
        assert page.locator(".progress").inner_text() == "Câu 1/7"
        page.locator("button.choice").nth(2).click()  # a first answer, then take it back
        page.get_by_role("button", name="Quay lại").click()
        assert page.locator("fieldset").get_attribute("data-step") == "overall"
        page.screenshot(path=screenshot_path("survey-phone-question"), full_page=True)
        lines: list[str] = []
        for _ in range(12):
            if page.locator("fieldset").count() == 0:
                break
            answer_screen(page, lines)
        assert page.locator("h1").inner_text() == "Cảm ơn Ông/Bà!"
        assert page.locator("form").count() == 0
        page.screenshot(path=screenshot_path("survey-phone-thanks"), full_page=True)
        page.goto(f"{base}/s/{token}")  # the link again: thanks, never a second form
        assert page.locator("form").count() == 0 and "Cảm ơn" in page.content()
        page.close()
    header, answers = stored_evaluation(live_db_url, CODES[0])
    record = simulate_json("nd61-standard", lang="vi", channel="web", lines=lines, context=SAMPLE_DOSSIER)
    # The product adds the date-computed indicators to what the citizen answered (bot.conversation).
    computed = dossier_points(RECEIVED, DUE, RETURNED)
    assert computed == {"indicator.1": 1}  # returned on the promised day: on time
    assert record["channel"] == "web" and record["status"] == "completed"
    stored = {"flow": header["flow"], "schema_version": header["schema_version"], "lang": header["lang"],
              "channel": header["channel"], "status": header["status"], "answers": answers}
    # flow_version is stored as the flow revision the survey started with: 0 is the shipped file.
    assert header["flow_revision"] == 0
    assert set(record) == {"flow", "flow_version", "schema_version", "lang", "channel", "status", "answers"}
    expected = {k: v for k, v in record.items() if k != "flow_version"}
    expected["answers"] = {**{field: {"value": points, "level": None, "text": None, "items": None}
                              for field, points in computed.items()}, **record["answers"]}
    assert stored == expected
    assert any(a["text"] == COMMENT for a in answers.values())


def test_language_switch_keeps_the_survey(chromium, live_db_url) -> None:
    seeded = seed(live_db_url, surveys=2)
    token = seeded.tokens[CODES[1]]
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 740})
        page.goto(f"{base}/s/{token}")
        page.get_by_role("link", name="English").click()
        page.get_by_role("button", name="Start").click()
        assert page.locator(".progress").inner_text() == "Question 1 of 7"
        page.get_by_role("link", name="Tiếng Việt").click()
        assert page.locator(".progress").inner_text() == "Câu 1/7"
        page.screenshot(path=screenshot_path("survey-phone-language"), full_page=True)
        page.close()
