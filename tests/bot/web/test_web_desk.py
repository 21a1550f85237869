"""The staff desk: look a dossier up by typed, scanned or pasted code, trigger its survey, print its slip;
every refusal in words, other agencies' dossiers unknown (404) by the UI and by URL."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import quote

from live import free_port, run_async, screenshot_path, serve_app
from sqlalchemy import text
from staffkit import (
    AGENCY_A,
    CODES_A,
    CODES_B,
    PENDING_A,
    UNIT_A,
    browser_sign_in,
    get_bytes,
    seed_staff,
    signed_in,
)

from bot.common.settings import load_settings
from storage import (
    AnswerIn,
    find_agency,
    find_dossier,
    open_database,
    record_evaluation,
    upsert_contact_address,
    upsert_dossier,
)

PHONE = "+84912345678"
EVALUATED = CODES_A[1]  # evaluated at the kiosk before the test
WITH_PHONE = CODES_A[2]
UNIT_CODE = f"{UNIT_A}-261118-0001"


def seed_desk(url: str):
    """The staff seed plus: an evaluation of EVALUATED, a phone on WITH_PHONE, a dossier of A's unit."""
    seeded = seed_staff(url)
    now = datetime.now(timezone.utc)

    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            dossier = await find_dossier(s, EVALUATED)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=dossier.agency_id, channel="kiosk",
                                    schema_version="t", completed_at=now,
                                    answers=[AnswerIn("satisfaction.overall", level=2)])
            phone = await upsert_contact_address(s, channel="sms", address=PHONE, now=now)
            await s.execute(text("UPDATE dossiers SET contact_id = :c WHERE code = :code"),
                            {"c": phone.contact_id, "code": WITH_PHONE})
            unit = await find_agency(s, UNIT_A)
            await upsert_dossier(s, code=UNIT_CODE, agency_id=unit.id, status=10, received_on=now.date(),
                                 returned_on=now.date(), now=now)

    run_async(run())
    return seeded


def rows(url: str, sql: str, **params) -> list[tuple]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            result = await s.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []

    return run_async(run())


def survey_of(url: str, code: str) -> tuple | None:
    found = rows(url, "SELECT s.token, s.status FROM surveys s JOIN dossiers d ON d.id = s.dossier_id "
                      "WHERE d.code = :code", code=code)
    return found[0] if found else None


def audits(url: str, action: str) -> list[tuple]:
    return rows(url, "SELECT actor, subject, detail FROM audit_log WHERE action = :a ORDER BY id", a=action)


def path_of(code: str) -> str:
    return "/staff/desk/" + quote(code, safe="")


def test_staff_types_a_code_triggers_the_web_link_and_sees_the_qr(chromium, live_db_url) -> None:
    seeded = seed_desk(live_db_url)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 780})
        browser_sign_in(page, base, "staff_a")
        page.goto(f"{base}/staff/desk")
        field = page.get_by_label("Mã hồ sơ (gõ, quét mã hoặc dán đường dẫn khảo sát)")
        field.fill(f"  {CODES_A[0].lower()} ")
        field.press("Enter")  # what a USB scanner does after typing the code
        page.wait_for_selector(f'[data-dossier="{CODES_A[0]}"]')
        facts = page.locator("dl.facts").inner_text()
        assert "UBND Phường 1" in facts and "Đăng ký khai sinh" in facts and "Cán bộ UBND Phường 1" in facts
        assert "Đã trả kết quả" in facts and "18/11/2026" in facts and "Chưa có khảo sát" in facts
        assert "Chưa đánh giá" in facts
        page.get_by_role("button", name="Đường dẫn web / mã QR").click()
        page.wait_for_selector('[data-triggered="web"] figure.qr[data-qr="web"] svg')
        link = page.locator("[data-link]").inner_text()
        assert re.fullmatch(r"http://127\.0\.0\.1:8080/s/[A-Za-z0-9_-]{32}", link)
        assert page.locator('[data-survey="invited"]').count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # usable on a phone
        page.screenshot(path=screenshot_path("desk-triggered"), full_page=True)
        # A scanner reading the QR slip types the survey link: it finds the same dossier.
        page.get_by_label("Mã hồ sơ (gõ, quét mã hoặc dán đường dẫn khảo sát)").fill(link)
        page.get_by_role("button", name="Tra cứu").click()
        page.wait_for_selector(f'[data-dossier="{CODES_A[0]}"]')
        # Not returned yet: the page says why nothing can be sent.
        page.get_by_label("Mã hồ sơ (gõ, quét mã hoặc dán đường dẫn khảo sát)").fill(PENDING_A)
        page.get_by_role("button", name="Tra cứu").click()
        assert "chưa được trả kết quả" in page.locator('[data-problem="not_returned"]').inner_text()
        assert page.get_by_role("button", name="Đường dẫn web / mã QR").count() == 0
        # Already evaluated (at the kiosk): refused, with the channel named.
        page.get_by_label("Mã hồ sơ (gõ, quét mã hoặc dán đường dẫn khảo sát)").fill(EVALUATED)
        page.get_by_role("button", name="Tra cứu").click()
        assert "đã được đánh giá (kiosk tại quầy)" in page.locator('[data-problem="evaluated"]').inner_text()
        # Another agency's dossier typed into the field: as if no such dossier existed.
        page.get_by_label("Mã hồ sơ (gõ, quét mã hoặc dán đường dẫn khảo sát)").fill(CODES_B[0])
        with page.expect_response(lambda r: "/staff/desk" in r.url and r.status == 404):
            page.get_by_role("button", name="Tra cứu").click()
        assert "Không tìm thấy hồ sơ" in page.locator("[data-refusal]").inner_text()
        page.screenshot(path=screenshot_path("desk-other-agency"), full_page=True)
        page.close()
    token, status = survey_of(live_db_url, CODES_A[0])
    assert link.endswith(token) and status == "invited"
    trail = audits(live_db_url, "survey.trigger")
    assert len(trail) == 1 and trail[0][0] == "user:staff_a" and trail[0][1] == f"dossier:{CODES_A[0]}"
    assert '"web"' in str(trail[0][2]) or "'web'" in str(trail[0][2])
    assert survey_of(live_db_url, PENDING_A) is None and survey_of(live_db_url, CODES_B[0]) is None


def test_refusals_change_nothing_and_other_agencies_are_unknown_by_url(live_db_url) -> None:
    seeded = seed_desk(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "staff_a")
        for code in (PENDING_A, EVALUATED):
            status, page = client.post(path_of(code) + "/trigger", {"_csrf": csrf, "channel": "web"})
            assert status == 409 and 'role="alert"' in page
        assert "chưa được trả kết quả" in client.post(path_of(PENDING_A) + "/trigger",
                                                      {"_csrf": csrf, "channel": "web"})[1]
        status, page = client.post(path_of(EVALUATED) + "/slip", {"_csrf": csrf, "format": "pdf"})
        assert status == 409 and "đã được đánh giá" in page and "already been evaluated" in page
        # Unknown and malformed codes, by the field and by URL.
        status, page = client.get("/staff/desk?code=" + quote(f"{AGENCY_A}-261118-9999"))
        assert status == 404 and "Không tìm thấy hồ sơ" in page and "No dossier was found" in page
        status, page = client.get("/staff/desk?code=" + quote("xin chào"))
        assert status == 400 and "không đúng dạng" in page
        status, page = client.get(path_of("nope"))
        assert status == 400
        # Agency B's dossier: not found typed, by URL, and on every post (its existence is not told).
        assert client.get("/staff/desk?code=" + quote(CODES_B[0]))[0] == 404
        assert client.get(path_of(CODES_B[0]))[0] == 404
        assert client.post(path_of(CODES_B[0]) + "/trigger", {"_csrf": csrf, "channel": "web"})[0] == 404
        assert client.post(path_of(CODES_B[0]) + "/slip", {"_csrf": csrf, "format": "png"})[0] == 404
        # Staff see their own agency only; the manager sees its units too; a viewer has no desk.
        assert client.get(path_of(UNIT_CODE))[0] == 404
        manager, _ = signed_in(base, "manager_a")
        assert manager.get(path_of(UNIT_CODE))[0] == 200
        assert manager.get(path_of(CODES_B[0]))[0] == 404
        viewer, _ = signed_in(base, "viewer_a")
        assert viewer.get("/staff/desk")[0] == 403
        # A post without the session's CSRF token: 403, no survey.
        status, page = client.post(path_of(CODES_A[0]) + "/trigger", {"channel": "web"})
        assert status == 403
        status, page = client.post(path_of(CODES_A[0]) + "/trigger", {"_csrf": "x" * 32, "channel": "web"})
        assert status == 403
        # A channel that does not exist.
        status, page = client.post(path_of(CODES_A[0]) + "/trigger", {"_csrf": csrf, "channel": "fax"})
        assert status == 400
    for code in (PENDING_A, EVALUATED, CODES_B[0], UNIT_CODE, CODES_A[0]):
        assert survey_of(live_db_url, code) is None
    assert audits(live_db_url, "survey.trigger") == [] and audits(live_db_url, "survey.slip") == []


def test_contacts_are_masked_and_channels_offered_by_what_the_contact_allows(live_db_url) -> None:
    seeded = seed_desk(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "staff_a")
        status, page = client.get(path_of(WITH_PHONE))
        assert status == 200 and "09******78" in page
        assert PHONE not in page and "0912345678" not in page and "912345678" not in page
        # No SMS provider on this server: SMS is offered as "not set up", and refused so.
        assert re.search(r'value="sms"\s+disabled', page)
        status, page = client.post(path_of(WITH_PHONE) + "/trigger", {"_csrf": csrf, "channel": "sms"})
        assert status == 409 and "chưa được cấu hình" in page
        # No Telegram chat and no bot: refused; no phone on CODES_A[0]: no SMS contact.
        status, page = client.post(path_of(CODES_A[0]) + "/trigger", {"_csrf": csrf, "channel": "sms"})
        assert status == 409 and "không có liên hệ cho kênh này" in page
    assert survey_of(live_db_url, WITH_PHONE) is None
    rows(live_db_url, "UPDATE contacts SET opted_out_at = created_at")
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "staff_a")
        status, page = client.post(path_of(WITH_PHONE) + "/trigger", {"_csrf": csrf, "channel": "sms"})
        assert status == 409 and "từ chối nhận tin" in page and "opted out" in page


def test_sms_invitation_is_queued_in_the_outbox_with_the_audit(live_db_url) -> None:
    seeded = seed_desk(live_db_url)
    # Twilio configured towards a port nobody listens on: the SMS is queued; sending it fails later.
    settings = load_settings(env_file=None, database_url=live_db_url, twilio_account_sid="AC" + "0" * 32,
                             twilio_auth_token="t" * 32, twilio_from_number="+15005550006",
                             twilio_api_base_url=f"http://127.0.0.1:{free_port()}")
    with serve_app(settings) as base:
        client, csrf = signed_in(base, "staff_a")
        status, page = client.post(path_of(WITH_PHONE) + "/trigger", {"_csrf": csrf, "channel": "sms"})
        assert status == 200 and "09******78" in page and 'data-qr="web"' in page, page[:2000]
        assert PHONE not in page
    token, _ = survey_of(seeded.url, WITH_PHONE)
    queued = rows(live_db_url, "SELECT o.channel, o.address FROM outbox o JOIN surveys s ON s.id = o.survey_id "
                               "WHERE s.token = :t", t=token)
    assert queued and queued[0] == ("sms", PHONE)
    trail = audits(live_db_url, "survey.trigger")
    assert len(trail) == 1 and PHONE not in str(trail) and "sms" in str(trail[0][2])


def test_slip_downloads_as_pdf_and_png(live_db_url) -> None:
    seeded = seed_desk(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "staff_a")
        for fmt, magic, kind in (("pdf", b"%PDF", "application/pdf"), ("png", b"\x89PNG", "image/png")):
            status, headers, body = post_bytes(client, path_of(CODES_A[0]) + "/slip", {"_csrf": csrf, "format": fmt})
            assert status == 200 and body.startswith(magic) and headers["Content-Type"] == kind
            assert "attachment" in headers["Content-Disposition"]
        status, headers, body = get_bytes(client, path_of(CODES_A[0]))
        assert status == 200 and b'data-survey="invited"' in body
    assert len(audits(live_db_url, "survey.slip")) == 2


def post_bytes(client, path: str, fields: dict) -> tuple[int, dict, bytes]:
    import urllib.error
    import urllib.parse
    import urllib.request

    request = urllib.request.Request(client.base + path, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with client.opener.open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_telegram_link_is_handed_over_and_the_page_speaks_english(live_db_url) -> None:
    seed_desk(live_db_url)
    settings = load_settings(env_file=None, database_url=live_db_url, telegram_bot_username="hailong_bot")
    with serve_app(settings) as base:
        client, csrf = signed_in(base, "staff_a")
        status, page = client.get(path_of(CODES_A[0]) + "?lang=en")
        assert status == 200 and "Returned" in page and "Telegram link" in page and "Send the survey" in page
        status, page = client.post(path_of(CODES_A[0]) + "/trigger?lang=en", {"_csrf": csrf, "channel": "telegram"})
        assert status == 200 and 'data-qr="telegram"' in page and 'data-qr="web"' in page
        token, _ = survey_of(live_db_url, CODES_A[0])
        assert f"https://t.me/hailong_bot?start={token}" in page
        status, page = client.get("/staff/desk?lang=en&code=" + quote(PENDING_A))
        assert status == 200 and "has not been returned yet" in page
