"""Users and API keys pages: admin adds a manager, the manager adds staff and sets its agency up;
refusals by role, by agency and without CSRF; disabling ends sessions; passwords never in clear."""

from __future__ import annotations

import logging
import re

from live import screenshot_path, serve_app
from staffkit import (
    AGENCY_A,
    AGENCY_B,
    browser_sign_in,
    database_text,
    seed_staff,
    signed_in,
    stored_agency_settings,
    stored_audit,
    stored_user,
)
from surveykit import Client

from bot.common.contact_rules import ContactRules

PW_MANAGER = "Quản-lý-mới-2026-xyz"
PW_STAFF = "cán-bộ-mới-2026-qwe"


def _add_user(page, username: str, role: str, agency: str | None, password: str, officer: str = "") -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ tên").fill(username.replace("_", " ").title())
    page.get_by_label("Vai trò").select_option(role)
    if agency is not None:
        page.get_by_label("Cơ quan").select_option(agency)
    page.get_by_label("Mã cán bộ (không bắt buộc)").fill(officer)
    page.get_by_label("Mật khẩu ban đầu").fill(password)
    page.get_by_role("button", name="Thêm người dùng").click()


def test_admin_adds_a_manager_who_adds_staff_and_sets_the_agency_up(chromium, live_db_url, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    seeded = seed_staff(live_db_url)
    pages_seen: list[str] = []
    with serve_app(seeded.settings) as base:
        admin = chromium.new_context().new_page()
        browser_sign_in(admin, base, "admin")
        admin.goto(f"{base}/admin/users")
        _add_user(admin, "manager_x", "manager", AGENCY_A, PW_MANAGER)
        assert "Đã thêm người dùng" in admin.locator(".ok").inner_text()
        assert admin.locator("[data-username=manager_x]").count() == 1
        pages_seen.append(admin.content())

        phone = chromium.new_context(viewport={"width": 360, "height": 780})
        manager = phone.new_page()
        browser_sign_in(manager, base, "manager_x", PW_MANAGER)
        manager.goto(f"{base}/admin/users")
        assert manager.locator("#u-role option[value=admin]").count() == 0  # a manager cannot give admin
        assert manager.locator("[data-username=staff_b]").count() == 0  # nor see agency B's users
        _add_user(manager, "staff_x", "staff", AGENCY_A, PW_STAFF, officer="CB01")
        assert manager.locator("[data-username=staff_x]").count() == 1
        manager.screenshot(path=screenshot_path("admin-users-phone"), full_page=True)
        pages_seen.append(manager.content())

        manager.goto(f"{base}/admin/settings")
        assert manager.locator("h2[data-agency]").get_attribute("data-agency") == AGENCY_A
        manager.get_by_label("Khung giờ liên lạc").fill("07:30-11:30, 13:30-17:00")
        manager.get_by_label("Kênh thứ 1").select_option("sms")
        manager.get_by_label("Kênh thứ 2").select_option("telegram")
        manager.get_by_label("Kênh thứ 3").select_option("")
        manager.get_by_role("button", name="Lưu").click()
        assert "Đã lưu cấu hình" in manager.locator(".ok").inner_text()
        assert manager.evaluate("document.documentElement.scrollWidth") <= 362  # fits a 360 px phone
        saved = stored_agency_settings(live_db_url, AGENCY_A)
        rules = ContactRules.of(saved)
        assert [f"{a:%H:%M}-{b:%H:%M}" for a, b in rules.windows] == ["07:30-11:30", "13:30-17:00"]
        assert rules.plan == ("sms", "telegram")

        manager.get_by_label("Khung giờ liên lạc").fill("08:00-25:00")
        manager.get_by_label("Đến 2").fill("15.5")  # "good" up to 15.5 overlaps "excellent" from 15.1
        manager.get_by_label("Kênh thứ 1").select_option("zalo")
        manager.get_by_role("button", name="Lưu").click()
        assert "25:00" in manager.locator("#contact_hours-error").inner_text()
        assert "chồng lên" in manager.locator("#band_0-error").inner_text()
        assert "overlaps" in manager.locator("#band_0-error").inner_text()
        assert manager.get_by_label("Khung giờ liên lạc").input_value() == "08:00-25:00"  # what was typed stays
        manager.screenshot(path=screenshot_path("admin-settings-errors-phone"), full_page=True)
        assert stored_agency_settings(live_db_url, AGENCY_A) == saved  # nothing saved

        staff = chromium.new_context().new_page()
        browser_sign_in(staff, base, "staff_x", PW_STAFF)
        manager.goto(f"{base}/admin/users")
        manager.locator("[data-username=staff_x] a").click()
        manager.get_by_role("button", name="Khoá tài khoản").click()
        assert "Đã khoá" in manager.locator(".ok").inner_text()
        staff.goto(f"{base}/staff")
        assert "/staff/login" in staff.url and staff.get_by_label("Mật khẩu").count() == 1

        admin.goto(f"{base}/admin/audit")
        actions = admin.locator("[data-table=audit] tbody tr").all_inner_texts()
        for actor, action in (("user:admin", "user.add"), ("user:manager_x", "user.add"),
                              ("user:manager_x", "settings.update"), ("user:manager_x", "user.disable")):
            assert any(actor in row and action in row and re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", row)
                       for row in actions), (actor, action)
        admin.screenshot(path=screenshot_path("admin-audit"), full_page=True)
        pages_seen += [admin.content(), manager.content(), staff.content()]
    for secret in (PW_MANAGER, PW_STAFF):
        assert secret not in database_text(live_db_url)
        assert not any(secret in r.getMessage() or secret in str(r.args) for r in caplog.records)
        assert not any(secret in page for page in pages_seen)
    assert stored_user(live_db_url, "staff_x").active is False


def test_manager_is_refused_other_agencies_and_admin_rights(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        staff_b = stored_user(live_db_url, "staff_b").id
        admin = stored_user(live_db_url, "admin").id
        for path in (f"/admin/settings?agency={AGENCY_B}", f"/admin/users/{staff_b}", f"/admin/users/{admin}",
                     f"/admin/agencies/{AGENCY_B}/api-keys", "/admin/settings?agency=nope", "/admin/audit"):
            status, _ = client.get(path)
            assert status == 403, path
        before = stored_agency_settings(live_db_url, AGENCY_B)
        status, _ = client.post(f"/admin/settings?agency={AGENCY_B}", {"_csrf": csrf, "contact_hours": "09:00-10:00"})
        assert status == 403 and stored_agency_settings(live_db_url, AGENCY_B) == before
        for what, fields in (("active", {"active": "0"}), ("password", {"password": "x" * 12}),
                             ("change", {"role": "viewer", "agency": AGENCY_B})):
            status, _ = client.post(f"/admin/users/{staff_b}/{what}", {"_csrf": csrf, **fields})
            assert status == 403, what
        status, page = client.post("/admin/users", {"_csrf": csrf, "username": "boss", "role": "admin",
                                                    "agency": AGENCY_A, "password": "x" * 12})
        assert status == 403 and "admin" in page and stored_user(live_db_url, "boss") is None
        status, _ = client.post("/admin/users", {"_csrf": csrf, "username": "spy_b", "role": "staff",
                                                 "agency": AGENCY_B, "password": "x" * 12})
        assert status == 403 and stored_user(live_db_url, "spy_b") is None
        own = stored_user(live_db_url, "manager_a").id
        status, page = client.post(f"/admin/users/{own}/change", {"_csrf": csrf, "role": "viewer", "agency": AGENCY_A})
        assert status == 403 and "tự đổi vai trò" in page
        status, _ = client.post(f"/admin/agencies/{AGENCY_B}/api-keys", {"_csrf": csrf, "label": "x"})
        assert status == 403 and "api_keys" not in stored_agency_settings(live_db_url, AGENCY_B)
        viewer, _ = signed_in(base, "viewer_a")
        assert viewer.get("/admin/users")[0] == 403 and viewer.get("/admin/settings")[0] == 403
    assert stored_user(live_db_url, "staff_b").active and stored_user(live_db_url, "manager_a").role == "manager"
    assert not stored_audit(live_db_url, "user.disable") and not stored_audit(live_db_url, "user.role")


def test_admin_changes_roles_passwords_and_cannot_lock_itself_out(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "admin")
        viewer_session, _ = signed_in(base, "viewer_a")
        viewer = stored_user(live_db_url, "viewer_a").id
        status, page = client.post(f"/admin/users/{viewer}/change", {"_csrf": csrf, "display_name": "Xem B",
                                                                     "role": "staff", "agency": AGENCY_B})
        assert status == 200 and "Đã lưu thay đổi" in page
        row = stored_user(live_db_url, "viewer_a")
        assert row.role == "staff" and row.display_name == "Xem B"
        assert "/staff/login" in viewer_session.opener.open(base + "/staff").url  # new rights: sign in again
        status, page = client.post(f"/admin/users/{viewer}/password", {"_csrf": csrf, "password": "ngắn"})
        assert status == 400 and "ít nhất 10" in page
        status, page = client.post(f"/admin/users/{viewer}/password", {"_csrf": csrf, "password": "mật khẩu mới 2027"})
        assert status == 200 and "Đã đặt mật khẩu mới" in page and "mật khẩu mới 2027" not in page
        me = stored_user(live_db_url, "admin").id
        status, page = client.post(f"/admin/users/{me}/active", {"_csrf": csrf, "active": "0"})
        assert status == 403 and "tự khoá" in page
        status, page = client.post(f"/admin/users/{me}/change", {"_csrf": csrf, "role": "manager", "agency": AGENCY_A})
        assert status == 403
        status, page = client.post("/admin/users", {"_csrf": csrf, "username": "Bad Name!", "role": "staff",
                                                    "agency": AGENCY_A, "password": "mật khẩu đủ dài 99"})
        assert status == 400 and "Tên đăng nhập gồm" in page and "A username is" in page
        assert "mật khẩu đủ dài 99" not in page
        staff = stored_user(live_db_url, "staff_a")
        status, page = client.get(f"/admin/users/{staff.id}")
        assert status == 200 and 'name="officer" maxlength="64" value="CB01"' in page  # kept on a plain save
        status, page = client.post(f"/admin/users/{staff.id}/change", {"_csrf": csrf, "display_name": "Lan",
                                                                      "role": "staff", "agency": AGENCY_A,
                                                                      "officer": "CB01"})
        assert status == 200 and stored_user(live_db_url, "staff_a").officer_id == staff.officer_id
        status, page = client.post(f"/admin/users/{staff.id}/change", {"_csrf": csrf, "role": "staff",
                                                                      "agency": AGENCY_A, "officer": "CB99"})
        assert status == 400 and "không có cán bộ CB99" in page
        status, _ = client.get("/admin/users/999999")
        assert status == 404
    assert stored_user(live_db_url, "admin").active and stored_user(live_db_url, "admin").role == "admin"
    actions = [a for _, a, _, _ in stored_audit(live_db_url, "user.")]
    assert actions.count("user.role") == 2 and actions.count("user.password") == 1
    assert "mật khẩu mới 2027" not in database_text(live_db_url)


def test_posts_without_csrf_change_nothing(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "admin")
        staff = stored_user(live_db_url, "staff_a").id
        before = stored_agency_settings(live_db_url, AGENCY_A)
        for path, fields in (("/admin/users", {"username": "nocsrf", "role": "staff", "agency": AGENCY_A,
                                               "password": "x" * 12}),
                             (f"/admin/users/{staff}/active", {"active": "0"}),
                             (f"/admin/users/{staff}/password", {"password": "y" * 12}),
                             (f"/admin/users/{staff}/change", {"role": "viewer", "agency": AGENCY_A}),
                             (f"/admin/settings?agency={AGENCY_A}", {"contact_hours": "09:00-10:00"}),
                             (f"/admin/agencies/{AGENCY_A}/api-keys", {"label": "x"})):
            for token in (None, "wrong" + csrf):
                status, _ = client.post(path, fields | ({"_csrf": token} if token else {}))
                assert status == 403, (path, token)
        outsider = Client(base)
        assert outsider.post("/admin/users", {"username": "x"})[0] == 401
    assert stored_user(live_db_url, "nocsrf") is None and stored_user(live_db_url, "staff_a").active
    assert stored_agency_settings(live_db_url, AGENCY_A) == before
    assert not stored_audit(live_db_url, "user.disable") and not stored_audit(live_db_url, "apikey.")


def test_api_keys_are_shown_once_work_and_can_be_revoked(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = client.post(f"/admin/agencies/{AGENCY_A}/api-keys", {"_csrf": csrf, "label": "Một cửa"})
        assert status == 200
        key = re.search(r'<code class="api-key">([^<]+)</code>', page).group(1)
        assert key.startswith("hl_")
        status, page = client.get(f"/admin/agencies/{AGENCY_A}/api-keys")
        assert status == 200 and key not in page and "Một cửa" in page and key[-4:] in page
        stored = stored_agency_settings(live_db_url, AGENCY_A)["api_keys"]
        assert key not in repr(stored) and len(stored) == 1
        assert _api_status(base, key) != 401  # the key is taken (the dossier has no survey yet)
        kid = stored[0]["id"]
        status, page = client.post(f"/admin/agencies/{AGENCY_A}/api-keys/{kid}/revoke", {"_csrf": csrf})
        assert status == 200 and "Đã thu hồi" in page
        assert _api_status(base, key) == 401
        status, _ = client.post(f"/admin/agencies/{AGENCY_A}/api-keys/{kid}/revoke", {"_csrf": csrf})
        assert status == 404
    entries = stored_audit(live_db_url, "apikey.")
    assert [(a, x) for a, x, _, _ in entries] == [("user:manager_a", "apikey.create"),
                                                  ("user:manager_a", "apikey.revoke")]
    assert key not in database_text(live_db_url)


def _api_status(base: str, key: str) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{base}/api/v1/dossiers/{AGENCY_A}-261118-0001/survey",
                                     headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_password_never_in_logs_or_pages(live_db_url, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    seeded = seed_staff(live_db_url)
    secret = "bí-mật-không-lộ-2026"
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "admin")
        pages = [client.post("/admin/users", {"_csrf": csrf, "username": "new_one", "role": "viewer",
                                              "agency": AGENCY_A, "password": secret})[1]]
        pages.append(client.post("/admin/users", {"_csrf": csrf, "username": "new_one", "role": "viewer",
                                                  "agency": AGENCY_A, "password": secret})[1])  # taken: 400
        user = stored_user(live_db_url, "new_one").id
        pages += [client.get(p)[1] for p in ("/admin/users", f"/admin/users/{user}", "/admin/audit")]
        pages.append(client.post(f"/admin/users/{user}/password", {"_csrf": csrf, "password": secret + "!"})[1])
    assert "đã có người dùng" in pages[1]
    text = database_text(live_db_url)
    for value in (secret, secret + "!"):
        assert value not in text
        assert not any(value in page for page in pages)
        assert not any(value in r.getMessage() for r in caplog.records)
    assert any("/admin/users" in r.getMessage() for r in caplog.records)  # the server's log was captured
