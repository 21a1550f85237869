"""Security headers on every answer (CSP without inline script or style, frame-ancestors, nosniff,
Referrer-Policy, HSTS under https), Secure cookies under https, 405 for a wrong method; and no page
breaks its own CSP in Chromium."""

from __future__ import annotations

import http.client
import json
import urllib.parse

from live import serve_app
from staffkit import CODES_A, PASSWORD, browser_sign_in, seed_staff
from surveykit import CODES, DESK, enrolment_path, hidden, seed

from bot.common.settings import load_settings

PAGES = ("/", "/public/results", "/staff/login", "/static/site.css", "/api/v1/openapi.json", "/nope",
         "/healthz", "/kiosk/quay-1", "/s/" + "x" * 32)


def raw(base: str, method: str, path: str, body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request without a client that would hide headers or drop Secure cookies."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def csp_of(headers: http.client.HTTPMessage) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in headers["Content-Security-Policy"].split(";"))}


def test_every_answer_carries_the_security_headers(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    with serve_app(seeded.settings) as base:
        for path in (*PAGES, f"/s/{seeded.tokens[CODES[0]]}"):
            for method in ("GET", "HEAD"):
                status, headers, _ = raw(base, method, path)
                assert status < 500, path
                csp = csp_of(headers)
                assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", path
                assert "unsafe-inline" not in headers["Content-Security-Policy"]
                assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
                assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
                assert headers["Referrer-Policy"] == "no-referrer"
                assert "Strict-Transport-Security" not in headers  # plain http here
        status, headers, _ = raw(base, "POST", "/webhooks/telegram", b"{}", {"Content-Type": "application/json"})
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_under_https_every_cookie_is_secure_and_hsts_is_sent(live_db_url) -> None:
    seed(live_db_url, surveys=1)
    settings = load_settings(env_file=None, database_url=live_db_url, public_url="https://danhgia.example.vn")
    with serve_app(settings) as base:
        status, headers, body = raw(base, "GET", "/staff/login?lang=en")
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        cookies = headers.get_all("Set-Cookie")
        assert {c.split("=", 1)[0] for c in cookies} == {"hl_csrf", "hl_lang"}
        assert all("; Secure" in c for c in cookies), cookies
        csrf = next(c.split("=", 1)[1].split(";", 1)[0] for c in cookies if c.startswith("hl_csrf="))
        # The tablet's device cookie too.
        path = enrolment_path(live_db_url)
        status, headers, _ = raw(base, "POST", path, urllib.parse.urlencode({"_csrf": csrf}).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"hl_csrf={csrf}"})
        assert status == 303
        device = [c for c in headers.get_all("Set-Cookie") if c.startswith(f"hl_kiosk_{DESK}=")]
        assert device and all("Secure" in c and "HttpOnly" in c and "SameSite=Strict" in c for c in device)


def test_a_signed_in_session_cookie_is_secure_under_https(live_db_url) -> None:
    seed_staff(live_db_url)
    settings = load_settings(env_file=None, database_url=live_db_url, public_url="https://danhgia.example.vn")
    with serve_app(settings) as base:
        _, headers, page = raw(base, "GET", "/staff/login")
        csrf = hidden(page.decode(), "_csrf")
        form = urllib.parse.urlencode({"_csrf": csrf, "username": "admin", "password": PASSWORD, "next": "/staff"})
        status, headers, _ = raw(base, "POST", "/staff/login", form.encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"hl_csrf={csrf}"})
        assert status == 303
        cookies = headers.get_all("Set-Cookie")
        assert any(c.startswith("hl_staff=") for c in cookies) and all("; Secure" in c for c in cookies)


def test_a_wrong_method_answers_405_with_allow(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    with serve_app(seeded.settings) as base:
        code = urllib.parse.quote(CODES[0])
        for method, path, allow in (("DELETE", f"/api/v1/dossiers/{code}/returned", "POST"),
                                    ("GET", f"/api/v1/dossiers/{code}/returned", "POST"),
                                    ("POST", "/api/v1/openapi.json", "GET,HEAD"),
                                    ("DELETE", f"/api/v1/dossiers/{code}", "PUT")):
            status, headers, body = raw(base, method, path, b"" if method != "GET" else None)
            assert status == 405, (method, path, status, body[:200])
            assert headers["Allow"] == allow
            assert json.loads(body)["error"]["code"] == "method_not_allowed"
        status, headers, body = raw(base, "PUT", "/api/v1/no-such-thing", b"")
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"  # unknown addresses stay 404
        for method, path in (("PATCH", "/staff/login"), ("POST", "/public/results"), ("DELETE", f"/kiosk/{DESK}")):
            status, headers, body = raw(base, method, path, b"")
            assert status == 405 and "GET" in headers["Allow"] and "HEAD" in headers["Allow"]
            assert "không được phép" in body.decode() and "not allowed" in body.decode()
            assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_breaks_its_own_csp_in_chromium(chromium, live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(base + enrolment_path(live_db_url))
        page.get_by_role("button", name="Đăng ký máy này").click()
        page.wait_for_selector("[data-officer]")
        for path in ("/", "/public/results", "/public/results?agency=000.32.31.H29", f"/s/{seeded.tokens[CODES[0]]}",
                     f"/kiosk/{DESK}"):
            page.goto(base + path)
            page.wait_for_load_state("load")
        assert page.locator(".keypad button[value='1']").count() == 1
        page.goto(f"{base}/public/results")
        assert page.locator("button[data-print]").is_visible()  # print.js shows and wires it
        browser_sign_in(page, base, "admin")
        for path in ("/staff", "/staff/desk", f"/staff/desk?code={CODES_A[0]}", "/staff/reports", "/staff/imports", "/staff/kiosks",
                     "/admin/flows", "/admin/flows/quick", "/admin/settings", "/admin/users", "/admin/audit"):
            page.goto(base + path)
            page.wait_for_load_state("load")
        page.close()
    assert violations == []
