"""Staff sign-in: Argon2 passwords, session cookies, CSRF on every form, throttling, expiry, roles."""

from __future__ import annotations

import functools
import http.client
import http.cookiejar
import logging
import re
import urllib.request
from pathlib import Path

from live import run_async, screenshot_path, serve_app
from sqlalchemy import TextClause, select, text, update
from staffkit import PASSWORD, USERS, browser_sign_in, seed_staff, signed_in
from surveykit import Client, hidden

from storage import AuditEntry, User, WebSession, open_database


def _sql(url: str, statement) -> list:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            result = await s.execute(statement)
            return list(result) if getattr(statement, "is_select", False) or isinstance(statement, TextClause) else []
    return run_async(run())


def _post_login(client: Client, username: str, password: str) -> tuple[int, str]:
    status, page = client.get("/staff/login")
    return client.post("/staff/login", {"_csrf": hidden(page, "_csrf"), "username": username,
                                        "password": password, "next": "/staff"})


def test_sign_in_shows_the_pages_of_each_role_and_sign_out_ends_it(chromium, live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 740})
        page.goto(f"{base}/staff?lang=vi")
        assert "/staff/login" in page.url  # not signed in: the sign-in page, then back where it was going
        page.get_by_label("Tên đăng nhập").fill("staff_a")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.screenshot(path=screenshot_path("staff-sign-in"), full_page=True)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(re.compile(r".*/staff\?lang=vi$"))
        cookie = next(c for c in page.context.cookies() if c["name"] == "hl_staff")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # http in tests
        links = page.locator("nav.staff-nav a").all_inner_texts()
        assert "Quầy tiếp nhận" in links and "Kịch bản khảo sát" not in links and "Nhật ký" not in links
        page.screenshot(path=screenshot_path("staff-home-phone"), full_page=True)
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url(re.compile(r".*/staff/login$"))
        page.goto(f"{base}/staff")
        assert "/staff/login" in page.url
        page.close()

        page = chromium.new_page()
        browser_sign_in(page, base, "admin")
        links = page.locator("nav.staff-nav a").all_inner_texts()
        assert {"Kịch bản khảo sát", "Nhật ký", "Người dùng"} <= set(links)
        page.goto(f"{base}/staff?lang=en")
        assert "Sign out" in page.locator("header.staff").inner_text()
        page.close()
    actions = [a for (a,) in _sql(live_db_url, select(AuditEntry.action).where(AuditEntry.action.like("sign%")))]
    assert actions.count("sign_in") == 2 and actions.count("sign_out") == 1


def from_address(base: str, source: str) -> Client:
    """A client whose requests come from another loopback address (the server sees `source`)."""
    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(source, 0)), req)

    client = Client(base)
    client.opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), Handler())
    return client


def test_wrong_passwords_are_refused_then_throttled(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        attacker = from_address(base, "127.0.0.2")
        for _ in range(5):
            status, page = _post_login(attacker, "manager_a", "wrong password 123")
            assert status == 401 and "không đúng" in page
        status, page = _post_login(attacker, "manager_a", PASSWORD)  # right, but too late: throttled
        assert status == 429 and "quá nhiều lần" in page and 'data-user=' not in page
        status, page = _post_login(attacker, "nobody_here", "whatever password")
        assert status == 401 and "không đúng" in page  # unknown names answer as wrong passwords do
        signed_in(base, "viewer_a")  # another user is not locked out by someone else's failures
        # Nor is the same user at her own desk: the delay holds for a username from one address only.
        client, csrf = signed_in(base, "manager_a")
        # Her manager sees the wait on the user's page and unlocks it (audited).
        manager_id = _sql(live_db_url, select(User.id).where(User.username == "manager_a"))[0][0]
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get(f"/admin/users/{manager_id}")
        assert status == 200 and 'data-waits="1"' in page and "Mở khóa đăng nhập" in page
        status, page = admin.post(f"/admin/users/{manager_id}/unlock", {"_csrf": csrf})
        assert status == 200 and "Đã mở khóa đăng nhập" in page and 'data-waits="0"' in page
        status, page = _post_login(attacker, "manager_a", PASSWORD)
        assert status == 200 and 'data-user="manager_a"' in page
    actions = [a for (a,) in _sql(live_db_url, select(AuditEntry.action).where(AuditEntry.action.like("sign_in%")))]
    assert actions.count("sign_in.failed") == 6 and actions.count("sign_in.throttled") == 1
    assert actions.count("sign_in.unlock") == 1


def test_a_manager_of_another_agency_cannot_unlock(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        staff_id = _sql(live_db_url, select(User.id).where(User.username == "staff_a"))[0][0]
        client, csrf = signed_in(base, "manager_b")
        status, _ = client.post(f"/admin/users/{staff_id}/unlock", {"_csrf": csrf})
        assert status == 403
        client, csrf = signed_in(base, "manager_a")
        assert client.post(f"/admin/users/{staff_id}/unlock", {})[0] == 403  # no CSRF token
    assert not _sql(live_db_url, select(AuditEntry.id).where(AuditEntry.action == "sign_in.unlock"))


def test_forms_without_csrf_are_refused_and_change_nothing(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client = Client(base)
        status, _ = client.post("/staff/login", {"username": "admin", "password": PASSWORD})
        assert status == 403
        client, csrf = signed_in(base, "admin")
        status, page = client.post("/staff/logout", {})  # a forged sign-out: no token
        assert status == 403 and "Biểu mẫu không hợp lệ" in page
        status, page = client.post("/staff/logout", {"_csrf": "x" * len(csrf)})
        assert status == 403
        status, page = client.get("/staff")
        assert status == 200 and 'data-user="admin"' in page  # still signed in
    assert len(_sql(live_db_url, select(WebSession.id))) == 1


def test_expired_sessions_and_unknown_roles_are_refused(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        _sql(live_db_url, update(WebSession).values(expires_at=WebSession.created_at))
        status, page = client.get("/staff")
        assert status == 200 and "Phiên làm việc đã hết hạn" in page and 'name="password"' in page
        status, page = client.post("/staff/logout", {"_csrf": csrf})
        assert status == 401 and "không có gì được lưu" in page

        client, _ = signed_in(base, "viewer_a")
        _sql(live_db_url, update(User).where(User.username == "viewer_a").values(role="superuser"))
        status, page = client.get("/staff")
        assert status == 200 and 'name="password"' in page and 'data-user=' not in page
        status, page = _post_login(Client(base), "viewer_a", PASSWORD)
        assert status == 401

        _sql(live_db_url, update(User).where(User.username == "staff_a").values(active=False))
        status, _ = _post_login(Client(base), "staff_a", PASSWORD)
        assert status == 401


def test_sign_in_goes_only_to_pages_of_this_site(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        for target in ("https://evil.example/x", "//evil.example/x", "/s/token"):
            client = Client(base)
            status, page = client.get("/staff/login")
            status, page = client.post("/staff/login", {"_csrf": hidden(page, "_csrf"), "username": "admin",
                                                        "password": PASSWORD, "next": target})
            assert status == 200 and 'data-user="admin"' in page  # landed on /staff, not elsewhere


def test_passwords_never_reach_the_database_or_the_logs_in_clear(live_db_url, caplog, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        for username in USERS:
            signed_in(base, username)
        _post_login(Client(base), "admin", "a wrong password that is long")
    hashes = [h for (h,) in _sql(live_db_url, select(User.password_hash))]
    assert len(hashes) == len(USERS) and all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD not in caplog.text and "a wrong password" not in caplog.text
    if live_db_url.startswith("sqlite"):
        raw = Path(live_db_url.split("///", 1)[1]).read_bytes()
        wal = Path(live_db_url.split("///", 1)[1] + "-wal")
        raw += wal.read_bytes() if wal.exists() else b""
        assert PASSWORD.encode() not in raw and b"a wrong password" not in raw
    else:
        dump = _sql(live_db_url, text("SELECT string_agg(detail::text, ' ') FROM audit_log"))
        assert PASSWORD not in str(dump)


def test_common_and_trivial_passwords_are_refused_on_the_admin_pages(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        viewer_id = _sql(live_db_url, select(User.id).where(User.username == "viewer_a"))[0][0]
        client, csrf = signed_in(base, "manager_a")
        for weak in ("1234567890", "password123", "qwertyuiop", "lan.nguyen2026"):
            status, page = client.post("/admin/users", {"_csrf": csrf, "username": "lan.nguyen", "role": "staff",
                                                        "agency": "000.32.31.H29", "password": weak})
            assert status == 400 and "quá dễ đoán" in page, weak
        for weak in ("1234567890", "viewer_a2026"):  # the username is no help either
            status, page = client.post(f"/admin/users/{viewer_id}/password", {"_csrf": csrf, "password": weak})
            assert status == 400 and "quá dễ đoán" in page, weak
    hashes = {h for (h,) in _sql(live_db_url, select(User.password_hash).where(User.username == "viewer_a"))}
    assert len(hashes) == 1 and not _sql(live_db_url, select(User.id).where(User.username == "lan.nguyen"))


def _login_via(base: str, username: str, password: str, forwarded: str) -> int:
    client = Client(base)
    client.opener.addheaders = [("X-Forwarded-For", forwarded)]
    return _post_login(client, username, password)[0]


def test_behind_a_trusted_proxy_the_client_address_counts(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    from bot.common.settings import load_settings

    proxied = load_settings(env_file=None, database_url=seeded.url, trusted_proxies="127.0.0.0/8")
    with serve_app(proxied) as base:
        for _ in range(5):
            assert _login_via(base, "staff_a", "wrong password 123", "203.0.113.5") == 401
        assert _login_via(base, "staff_a", PASSWORD, "203.0.113.5") == 429
        assert _login_via(base, "staff_a", PASSWORD, "198.51.100.7, 127.0.0.1") == 200  # her own desk, same proxy
    with serve_app(seeded.settings) as base:  # no trusted proxy: the header is the sender's word, not believed
        for n in range(5):
            assert _login_via(base, "viewer_a", "wrong password 123", f"203.0.113.{n}") == 401
        assert _login_via(base, "viewer_a", PASSWORD, "198.51.100.7") == 429
