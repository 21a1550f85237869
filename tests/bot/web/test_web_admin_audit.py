"""Audit log page (admins only): newest first, filters, pages, CSV export with a BOM (itself audited),
and no secret or personal data in what the admin pages wrote."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from live import run_async, screenshot_path, serve_app
from staffkit import AGENCY_A, browser_sign_in, get_bytes, seed_staff, settings_form, signed_in, stored_audit
from surveykit import Client

from storage import audit, open_database


def add_entries(url: str) -> datetime:
    """130 entries a day apart, newest 1 day ago; every tenth by another actor; one with a formula-like subject."""
    start = datetime.now(timezone.utc) - timedelta(days=1)

    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            for n in range(130):
                await audit(s, actor="user:clerk" if n % 10 == 0 else "cli", action=f"survey.test{n % 3}",
                            subject={0: "=HYPERLINK(\"x\")", 10: "\t=1+1"}.get(n, f"dossier:{n}"), now=start - timedelta(days=n),
                            detail={"n": n, "note": "đã xử lý"})

    run_async(run())
    return start


def test_filters_pages_and_csv_export(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    newest = add_entries(live_db_url)
    with serve_app(seeded.settings) as base:
        client, _ = signed_in(base, "admin")
        status, page = client.get("/admin/audit")
        assert status == 200
        rows = re.findall(r'<tr data-action="([^"]+)">', page)
        assert len(rows) == 50 and rows[0] == "sign_in"  # newest first: the admin's own sign-in
        assert "Đăng nhập <small" in page  # the action in words, its code beside it
        assert "<details><summary>Chi tiết (JSON)</summary>" in page  # the JSON behind a toggle
        assert "trang 1/3" in page and 'rel="next"' in page
        assert "{&#34;n&#34;:" in page or '{"n":' in page.replace("&#34;", '"')  # compact JSON
        status, page = client.get("/admin/audit?action=survey.&page=3")
        assert "130 mục" in page and "trang 3/3" in page and len(re.findall(r"<tr data-action=", page)) == 30
        status, page = client.get("/admin/audit?actor=user:clerk")
        assert "13 mục" in page
        day = (newest - timedelta(days=5)).astimezone(timezone(timedelta(hours=7))).date()
        status, page = client.get(f"/admin/audit?action=survey.&since={day}&until={day + timedelta(days=1)}")
        assert "2 mục" in page
        status, page = client.get("/admin/audit?" + urlencode({"since": "hôm-qua", "action": "DROP TABLE"}))
        assert status == 200 and "Bỏ qua bộ lọc không hợp lệ: since, action" in page

        status, headers, body = get_bytes(client, "/admin/audit.csv?action=survey.&actor=user:clerk")
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert "attachment" in headers["Content-Disposition"]
        assert body.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert lines[0] == ["at", "actor", "action", "subject", "detail"] and len(lines) == 14
        assert lines[1][1:3] == ["user:clerk", "survey.test0"] and '"note":"đã xử lý"' in lines[1][4]
        assert lines[1][3] == "'=HYPERLINK(\"x\")"  # a formula is quoted, not run by a spreadsheet
        assert lines[2][3] == "'\t=1+1"  # a leading tab too (OWASP)
        assert b'"\'=HYPERLINK(""x"")"' in body  # text cells in double quotes, inner quotes doubled
        assert lines[-1][3] == "dossier:120"  # oldest last
    [(actor, _, _, detail)] = stored_audit(live_db_url, "audit.export")
    assert actor == "user:admin" and detail == {"filters": {"action": "survey.", "actor": "user:clerk"}, "rows": 13}


def test_only_admins_read_the_audit_log(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        for username in ("manager_a", "staff_a", "viewer_a"):
            client, _ = signed_in(base, username)
            assert client.get("/admin/audit")[0] == 403, username
            assert client.get("/admin/audit.csv")[0] == 403, username
        status, page = Client(base).get("/admin/audit")
        assert status == 200 and 'name="password"' in page  # signed out: the sign-in page
    assert stored_audit(live_db_url, "audit.") == []


def test_admin_pages_write_no_secret_or_personal_data(chromium, live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    secret, email, chat = "mật-khẩu-riêng-2026", "truong.phong@example.gov.vn", "-1009876543210"
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        client.post("/admin/users", {"_csrf": csrf, "username": "desk_9", "role": "staff", "agency": AGENCY_A,
                                     "password": secret})
        status, page = client.post(f"/admin/agencies/{AGENCY_A}/api-keys", {"_csrf": csrf, "label": "sync"})
        key = re.search(r'<code class="api-key">([^<]+)</code>', page).group(1)
        client.post(f"/admin/settings?agency={AGENCY_A}",
                    settings_form(csrf, alert_email=email, alert_telegram_chat=chat))
        page = chromium.new_page()
        browser_sign_in(page, base, "admin")
        page.goto(f"{base}/admin/audit")
        page.get_by_label("Thao tác (bắt đầu bằng)").fill("settings.")
        page.get_by_role("button", name="Lọc").click()
        assert page.locator("[data-table=audit] tbody tr").count() == 1
        assert "contact_hours" not in page.locator("code.detail").inner_text()  # only what changed
        page.screenshot(path=screenshot_path("admin-audit-filtered"), full_page=True)
        page.goto(f"{base}/admin/audit")
        shown = page.content()
        with page.expect_download() as download:
            page.locator("[data-export]").click()
        exported = download.value.path().read_bytes()
        page.close()
    assert exported.startswith(b"\xef\xbb\xbf") and b"settings.update" in exported and b"apikey.create" in exported
    for value in (secret, key, email, chat):
        assert value not in shown and value.encode() not in exported, value
