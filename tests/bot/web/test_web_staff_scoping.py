"""A ward never sees another ward's data: staff, viewers and managers of agency A are refused
agency B's dossier, report, export, settings, users and API keys, in the UI and by typed URL."""

from __future__ import annotations

from urllib.parse import urlencode

from live import screenshot_path, serve_app
from staffkit import (
    AGENCY_A,
    AGENCY_B,
    CODES_A,
    CODES_B,
    REPORT_PERIOD,
    browser_sign_in,
    get_bytes,
    seed_staff,
    signed_in,
)


def _report(agency: str, fmt: str | None = None) -> str:
    query = {"period": REPORT_PERIOD, "agency": agency} | ({"format": fmt} if fmt else {})
    return ("/staff/reports/export?" if fmt else "/staff/reports?") + urlencode(query)


def test_staff_of_a_get_403_on_b_in_the_ui_and_by_url(chromium, live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page()
        browser_sign_in(page, base, "staff_a")
        page.goto(f"{base}/staff/desk")
        page.get_by_label("Mã hồ sơ", exact=False).fill(CODES_B[0])
        with page.expect_response(lambda r: "/staff/desk" in r.url and r.request.method == "GET"
                                  and r.status != 302) as typed:
            page.get_by_label("Mã hồ sơ", exact=False).press("Enter")
        assert typed.value.status == 403 and "Không có quyền" in page.content()
        page.screenshot(path=screenshot_path("scoping-desk-403"), full_page=True)
        for path in (f"/staff/desk/{CODES_B[0]}", _report(AGENCY_B), _report(AGENCY_B, "xlsx"),
                     _report(AGENCY_A), "/admin/flows", "/admin/audit"):
            assert page.goto(base + path).status == 403, path  # staff: their desk only
        assert page.goto(f"{base}/staff/desk/{CODES_A[0]}").status == 200
        page.close()

        page = chromium.new_page()
        browser_sign_in(page, base, "viewer_a")
        page.goto(base + _report(AGENCY_A))
        picker = page.locator("select[name=agency] option").all_inner_texts()
        assert any("Phường 1" in o for o in picker) and not any("Phường 2" in o for o in picker)
        for fmt in (None, "xlsx", "csv", "dataset"):
            assert page.goto(base + _report(AGENCY_B, fmt)).status == 403, fmt
        page.close()

        for username in ("viewer_a", "manager_a"):
            page = chromium.new_page()
            browser_sign_in(page, base, username)
            _tampered_report_form_is_403(page, base)
            _tampered_export_links_are_403(page, base)
            page.close()


def _submit_report_form(page):
    with page.expect_response(lambda r: "/staff/reports?" in r.url and r.request.method == "GET") as answer:
        page.locator("#sr-pick button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value


def _tampered_report_form_is_403(page, base: str) -> None:
    """The picker offers A only; a browser that adds B's option to it and submits is refused by the server."""
    page.goto(base + _report(AGENCY_A))
    assert _submit_report_form(page).status == 200  # the untouched form goes through
    assert AGENCY_B not in page.locator("#sr-agency").inner_html()
    page.evaluate("code => document.querySelector('#sr-agency').add(new Option('UBND Phường 2', code))", AGENCY_B)
    page.select_option("#sr-agency", AGENCY_B)
    answer = _submit_report_form(page)
    assert f"agency={AGENCY_B}" in answer.url
    assert answer.status == 403 and "Không có quyền" in page.content() and "sr-figures" not in page.content()
    page.screenshot(path=screenshot_path("scoping-tampered-report-403"), full_page=True)


def _tampered_export_links_are_403(page, base: str) -> None:
    """Each export link of A's report, pointed at B (and made a plain link), is refused by the server."""
    page.goto(base + _report(AGENCY_A))
    kinds = page.locator("a[data-export]").evaluate_all("links => links.map(a => a.dataset.export)")
    assert set(kinds) == {"xlsx", "csv", "dataset"}
    for kind in kinds:
        page.goto(base + _report(AGENCY_A))
        link = page.locator(f"a[data-export={kind}]")
        assert f"agency={AGENCY_A}" in link.get_attribute("href")
        link.evaluate("(a, code) => { const u = new URL(a.href); u.searchParams.set('agency', code);"
                      " a.href = u.toString(); a.removeAttribute('download'); }", AGENCY_B)
        with page.expect_response(lambda r: "/staff/reports/export?" in r.url) as answer:
            link.click()
        assert f"agency={AGENCY_B}" in answer.value.url and f"format={kind}" in answer.value.url
        assert answer.value.status == 403, kind
        assert "Không có quyền" in answer.value.text() and "attachment" not in answer.value.headers.get(
            "content-disposition", ""), kind


def test_every_b_url_is_403_for_every_user_of_a(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    b_urls = [f"/staff/desk/{CODES_B[0]}", _report(AGENCY_B), _report(AGENCY_B, "xlsx"), _report(AGENCY_B, "csv"),
              f"/admin/settings?agency={AGENCY_B}", f"/admin/agencies/{AGENCY_B}/api-keys"]
    with serve_app(seeded.settings) as base:
        for username in ("staff_a", "viewer_a", "manager_a"):
            client, csrf = signed_in(base, username)
            for path in b_urls:
                status, page = client.get(path)
                assert status == 403 and "Không có quyền" in page and "Not allowed" in page, (username, path)
            status, _ = client.post(f"/staff/desk/{CODES_B[0]}/trigger", {"_csrf": csrf, "channel": "web"})
            assert status == 403, username
        admin, _ = signed_in(base, "admin")
        for path in b_urls:
            assert get_bytes(admin, path)[0] == 200, path
