"""The flow editor at /admin/flows: edit with checking as you type, preview, simulate, save, publish,
roll back; surveys keep the revision they started with; admin only, CSRF-checked."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timezone
from html import unescape

from live import run_async, screenshot_path, serve_app
from sqlalchemy import select
from staffkit import CODES_A, USERS, browser_sign_in, seed_staff, signed_in
from surveykit import Client, hidden

from bot.conversation.flows import shipped_source
from bot.conversation.surveys import send_survey
from bot.office.flow_editor import local_today, period_under_way
from storage import AuditEntry, Evaluation, FlowVersion, Survey, open_database

QUICK = shipped_source("quick") or ""
OLD_Q = "Ông/Bà đánh giá thế nào về thái độ phục vụ của cán bộ"
NEW_Q = "Ông/Bà đánh giá thế nào về sự tận tình của cán bộ"
NEW_TEXT = QUICK.replace(OLD_Q, NEW_Q)
SCORED = QUICK.replace("scale: sat3", "scale: sat5")
BROKEN_LINE = "colour: red"
URLS_GET = ("/admin/flows", "/admin/flows/quick", "/admin/flows/quick/versions", "/admin/flows/quick/versions/0",
            "/admin/flows/quick/diff?old=0&new=0")
URLS_POST = ("/admin/flows/quick", "/admin/flows/quick/publish", "/admin/flows/quick/check")


def open_surveys(url: str, settings, codes: tuple[str, ...]) -> dict[str, str]:
    """Surveys of the `quick` flow for these dossiers: code -> token."""
    async def run() -> dict[str, str]:
        async with open_database(url) as db:
            now = datetime.now(timezone.utc)
            return {code: (await send_survey(db, settings, code, now=now, flow_id="quick")).token for code in codes}
    return run_async(run())


def query(url: str, statement):
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return [tuple(row) for row in await s.execute(statement)]
    return run_async(run())


def web_step(client: Client, token: str, **fields: str) -> str:
    """Post one screen of the web survey (the start screen when no step is shown); the next page."""
    status, page = client.get(f"/s/{token}")
    assert status == 200, page[:300]
    form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), **fields}
    if 'name="step"' in page:
        form["step"] = hidden(page, "step")
    status, page = client.post(f"/s/{token}", form)
    assert status == 200
    return page


def test_admin_edits_previews_simulates_saves_publishes_and_rolls_back(chromium, live_db_url) -> None:
    seed = seed_staff(live_db_url)
    tokens = open_surveys(live_db_url, seed.settings, CODES_A[:2])
    before, after = tokens[CODES_A[0]], tokens[CODES_A[1]]
    with serve_app(seed.settings) as base:
        citizen = Client(base)
        web_step(citizen, before)  # started before the new revision: pinned to the shipped file
        page = chromium.new_page(viewport={"width": 1200, "height": 900})
        browser_sign_in(page, base, "admin")
        page.goto(f"{base}/admin/flows")
        page.locator("tr[data-flow=quick] a[href='/admin/flows/quick']").click()
        area = page.locator("#source")
        assert "id: quick" in area.input_value()
        area.fill(NEW_TEXT)
        page.wait_for_selector("#flow-problems[data-state=ok]")
        # Type a broken line at the end: the problem appears with its line, then goes when it is removed.
        area.press("Control+End")
        page.keyboard.type("\n" + BROKEN_LINE)
        problem = page.locator("#flow-problems li").first
        problem.wait_for()
        line = (NEW_TEXT + "\n" + BROKEN_LINE).count("\n") + 1
        assert problem.inner_text().startswith(f"dòng {line}: ") and "colour" in problem.inner_text()
        for _ in range(len(BROKEN_LINE) + 1):
            page.keyboard.press("Backspace")
        page.wait_for_selector("#flow-problems[data-state=ok]")
        assert page.locator("#flow-problems li").count() == 0
        # Preview on the four channels.
        page.get_by_role("button", name="Xem trước").click()
        officer = page.locator("article[data-step=officer]")
        for channel in ("telegram", "zalo", "web"):
            assert NEW_Q in officer.locator(f"[data-channel={channel}] .bubble").inner_text()
        assert officer.locator("[data-channel=telegram] .kb").count() == 3
        sms = officer.locator("[data-channel=sms]").inner_text()
        assert "su tan tinh cua can bo" in sms and "1 tin" in sms and "850 đồng" in sms
        assert "Câu 2/3" in officer.locator("[data-channel=web]").inner_text()
        # The simulator: press five stars, the next question is the edited one.
        page.locator("#sim-form button[name=press][value='5']").click()
        assert NEW_Q in page.locator("ol.chat > li.bot").last.inner_text()
        page.get_by_label("Câu trả lời").fill("hai long")
        page.get_by_role("button", name="Gửi", exact=True).click()
        assert "satisfaction.officer_attitude" in page.locator("ol.chat").inner_text()
        page.get_by_label("Ghi chú cho phiên bản này").fill("Câu hỏi về cán bộ dễ hiểu hơn")
        page.screenshot(path=screenshot_path("flows-editor"), full_page=True)
        page.get_by_role("button", name="Lưu bản nháp").click()
        assert "Đã lưu bản nháp, phiên bản 1" in page.locator("[role=status]").inner_text()
        page.locator("button[data-publish='1']").click()  # wording only: no question asked
        assert "Đã xuất bản phiên bản 1" in page.locator("[role=status]").inner_text()
        assert page.locator("tr.current").get_attribute("data-revision") == "1"
        page.goto(f"{base}/admin/flows/quick/diff?old=0&new=1")
        assert page.locator("table.diff tr.add").inner_text().count(NEW_Q) == 1
        assert OLD_Q in page.locator("table.diff tr.del").inner_text()
        page.screenshot(path=screenshot_path("flows-diff"), full_page=True)

        # A survey started now shows the new question and records revision 1; the older one keeps 0.
        web_step(citizen, after)
        assert NEW_Q in web_step(citizen, after, choice="5")
        assert OLD_Q in web_step(citizen, before, choice="4")
        for token in (after, before):
            web_step(citizen, token, choice="1")
            assert "Cảm ơn" in web_step(citizen, token, action="skip")

        # Roll back to the shipped file.
        page.goto(f"{base}/admin/flows/quick/versions")
        page.locator("button[data-publish='0']").click()
        assert page.locator("tr.current").get_attribute("data-revision") == "0"
        page.set_viewport_size({"width": 360, "height": 740})  # a phone: the table scrolls inside its box
        page.screenshot(path=screenshot_path("flows-versions-phone"), full_page=True)
        page.goto(f"{base}/admin/flows/quick")
        page.screenshot(path=screenshot_path("flows-editor-phone"), full_page=True)
        page.close()
    pinned = dict(query(live_db_url, select(Survey.token, Survey.flow_revision)))
    assert pinned == {before: 0, after: 1}
    recorded = dict(query(live_db_url, select(Survey.token, Evaluation.flow_revision)
                          .join(Evaluation, Evaluation.survey_id == Survey.id)))
    assert recorded == {before: 0, after: 1}
    actions = query(live_db_url, select(AuditEntry.action, AuditEntry.actor, AuditEntry.detail)
                    .where(AuditEntry.action.like("flow.%")).order_by(AuditEntry.id))
    assert [(a, who, d["revision"]) for a, who, d in actions] == [
        ("flow.save", "user:admin", 1), ("flow.publish", "user:admin", 1), ("flow.rollback", "user:admin", 0)]


def test_a_scored_change_during_a_period_asks_for_confirmation(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    under_way, period = period_under_way(local_today(datetime.now(timezone.utc)), seed.settings)
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.post("/admin/flows/quick", {"_csrf": csrf, "do": "save", "source": SCORED, "note": ""})
        assert status == 200 and "phiên bản 1" in page
        status, page = admin.post("/admin/flows/quick/publish", {"_csrf": csrf, "revision": "1"})
        if under_way:  # every day but the first of a reporting window
            assert status == 409 and period in page and 'name="confirm"' in page
            status, page = admin.post("/admin/flows/quick/publish", {"_csrf": csrf, "revision": "1", "asked": "1"})
            assert status == 409 and "xin đánh dấu ô xác nhận" in page
            assert query(live_db_url, select(FlowVersion.published_at)) == [(None,)]  # nothing published yet
            status, page = admin.post("/admin/flows/quick/publish",
                                      {"_csrf": csrf, "revision": "1", "asked": "1", "confirm": "1"})
        assert status == 200 and "Đã xuất bản phiên bản 1" in page
    [(detail,)] = query(live_db_url, select(AuditEntry.detail).where(AuditEntry.action == "flow.publish"))
    assert detail == {"revision": 1, "previous": 0, "scored_changed": True, "confirmed": under_way}


def test_saving_without_javascript_shows_the_problems_and_keeps_the_text(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    broken = QUICK.replace("scale: stars5", "scale: stars9")
    with serve_app(seed.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.post("/admin/flows/quick", {"_csrf": csrf, "do": "save", "source": broken, "note": "x"})
        line = QUICK.splitlines().index("    scale: stars5") + 1
        assert status == 400 and "Chưa lưu: nội dung còn lỗi" in page and "Not saved" in page
        assert re.search(rf"dòng {line}: [^<]*stars9", page)
        assert "scale: stars9" in unescape(page.split('id="source"')[1].split("</textarea>")[0])
        other = QUICK.replace("id: quick", "id: other")
        status, page = admin.post("/admin/flows/quick", {"_csrf": csrf, "do": "save", "source": other})
        assert status == 400 and "id must stay &#39;quick&#39;" in page
        status, page = admin.post("/admin/flows/quick", {"_csrf": csrf, "do": "save", "source": QUICK})
        assert status == 400 and "giống hệt" in page
        # The script's JSON endpoint says the same.
        status, body = post_json(base, admin, "/admin/flows/quick/check", {"source": broken}, csrf)
        assert status == 200 and body["ok"] is False and body["problems"][0]["line"] == line
        status, body = post_json(base, admin, "/admin/flows/quick/check", {"text": 1}, csrf)
        assert status == 400 and body["error"]["code"] == "flows_bad_request"
        assert admin.get("/admin/flows/nope")[0] == 404
        assert admin.get("/admin/flows/quick/versions/7")[0] == 404
        assert admin.get("/admin/flows/quick?from=7")[0] == 404
        assert admin.post("/admin/flows/quick/publish", {"_csrf": csrf, "revision": "7"})[0] == 404
    assert query(live_db_url, select(FlowVersion.id)) == []


def post_json(base: str, client: Client, path: str, data: dict, csrf: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} | ({"X-CSRF-Token": csrf} if csrf else {})
    request = urllib.request.Request(base + path, data=json.dumps(data).encode(), method="POST", headers=headers)
    status, text = client._open(request)
    return status, json.loads(text) if text.startswith("{") else {}


def test_only_admins_reach_the_editor_and_posts_need_the_csrf_token(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        for username in (u for u, (role, _, _) in USERS.items() if role != "admin"):
            client, csrf = signed_in(base, username)
            for path in URLS_GET:
                assert client.get(path)[0] == 403, (username, path)
            for path in URLS_POST:
                fields = {"_csrf": csrf, "do": "save", "source": QUICK.replace("Ông/Bà", "Quý khách"), "revision": "0"}
                assert client.post(path, fields)[0] == 403, (username, path)
        admin, csrf = signed_in(base, "admin")
        for path in URLS_GET:
            assert admin.get(path)[0] == 200, path
        fields = {"do": "save", "source": NEW_TEXT}
        assert admin.post("/admin/flows/quick", fields)[0] == 403
        assert admin.post("/admin/flows/quick", fields | {"_csrf": "forged" * 4})[0] == 403
        assert admin.post("/admin/flows/quick/publish", {"revision": "0"})[0] == 403
        assert post_json(base, admin, "/admin/flows/quick/check", {"source": QUICK}, None)[0] == 403
        assert post_json(base, admin, "/admin/flows/quick/check", {"source": QUICK}, csrf)[0] == 200
    assert query(live_db_url, select(FlowVersion.id)) == []
    assert query(live_db_url, select(AuditEntry.id).where(AuditEntry.action.like("flow.%"))) == []
    assert query(live_db_url, select(Survey.id)) == []
