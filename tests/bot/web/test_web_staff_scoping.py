"""A ward never sees another ward's data: staff, viewers and managers of agency A are refused
agency B's report, export, settings, users and API keys, in the UI and by typed URL; B's dossiers
are answered exactly as codes that do not exist (the desk, the trigger, the slip, the import
preview), so not even their existence is told."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from live import run_async, screenshot_path, serve_app
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
    stored_audit,
)


def _report(agency: str, fmt: str | None = None) -> str:
    query = {"period": REPORT_PERIOD, "agency": agency} | ({"format": fmt} if fmt else {})
    return ("/staff/reports/export?" if fmt else "/staff/reports?") + urlencode(query)


def test_staff_of_a_are_refused_b_in_the_ui_and_by_url(chromium, live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page()
        browser_sign_in(page, base, "staff_a")
        page.goto(f"{base}/staff/desk")
        page.get_by_label("Mã hồ sơ", exact=False).fill(CODES_B[0])
        with page.expect_response(lambda r: "/staff/desk" in r.url and r.request.method == "GET"
                                  and r.status != 302) as typed:
            page.get_by_label("Mã hồ sơ", exact=False).press("Enter")
        assert typed.value.status == 404 and "Không tìm thấy hồ sơ" in page.content()  # as if it did not exist
        page.screenshot(path=screenshot_path("scoping-desk-unknown"), full_page=True)
        assert page.goto(f"{base}/staff/desk/{CODES_B[0]}").status == 404
        for path in (_report(AGENCY_B), _report(AGENCY_B, "xlsx"), _report(AGENCY_A), "/admin/flows", "/admin/audit"):
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
    assert set(kinds) == {"xlsx", "csv", "csv-vi", "dataset"}
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
    b_urls = [_report(AGENCY_B), _report(AGENCY_B, "xlsx"), _report(AGENCY_B, "csv"),
              f"/admin/settings?agency={AGENCY_B}", f"/admin/agencies/{AGENCY_B}/api-keys"]
    with serve_app(seeded.settings) as base:
        for username in ("staff_a", "viewer_a", "manager_a"):
            client, csrf = signed_in(base, username)
            for path in b_urls:
                status, page = client.get(path)
                assert status == 403 and "Không có quyền" in page and "Not allowed" in page, (username, path)
            # B's dossier: the desk's roles are told it does not exist, the viewer has no desk at all.
            status, _ = client.get(f"/staff/desk/{CODES_B[0]}")
            assert status == (403 if username == "viewer_a" else 404), username
            status, _ = client.post(f"/staff/desk/{CODES_B[0]}/trigger", {"_csrf": csrf, "channel": "web"})
            assert status == (403 if username == "viewer_a" else 404), username
        admin, _ = signed_in(base, "admin")
        for path in (*b_urls, f"/staff/desk/{CODES_B[0]}"):
            assert get_bytes(admin, path)[0] == 200, path


NOWHERE = f"{AGENCY_B}-261118-0099"  # B's form, B's length: a dossier nobody has
HIDDEN = "@@CODE@@"


def _same(body: str, code: str) -> str:
    """The body with the code asked for (raw or in a URL) made one placeholder, to compare two codes' answers."""
    for form in (code, code.lower()):
        body = body.replace(quote(form, safe=""), HIDDEN).replace(form, HIDDEN)
    return body


def test_another_agencys_dossier_is_answered_as_a_code_that_does_not_exist(live_db_url) -> None:
    from bot.conversation.surveys import survey_link

    seeded = seed_staff(live_db_url)
    b_token = run_async(_survey_token(live_db_url, CODES_B[0]))  # B's dossier has a survey and a link
    b_link, nowhere_link = survey_link(seeded.settings, b_token), survey_link(seeded.settings, "Z" * len(b_token))
    before = stored_audit(live_db_url, "survey.")
    with serve_app(seeded.settings) as base:
        for username in ("staff_a", "manager_a"):
            client, csrf = signed_in(base, username)
            asks = [
                ("GET", lambda c: "/staff/desk?code=" + quote(c), None),
                ("GET", lambda c: "/staff/desk?code=" + quote(c.lower()), None),
                ("GET", lambda c: "/staff/desk/" + quote(c, safe=""), None),
                ("POST", lambda c: f"/staff/desk/{quote(c, safe='')}/trigger", {"_csrf": csrf, "channel": "web"}),
                ("POST", lambda c: f"/staff/desk/{quote(c, safe='')}/trigger", {"_csrf": csrf, "channel": "sms"}),
                ("POST", lambda c: f"/staff/desk/{quote(c, safe='')}/slip", {"_csrf": csrf, "format": "pdf"}),
                ("POST", lambda c: f"/staff/desk/{quote(c, safe='')}/slip", {"_csrf": csrf, "format": "png"}),
            ]
            for method, path, form in asks:
                answers = []
                for code in (CODES_B[0], NOWHERE):
                    status, body = client.get(path(code)) if form is None else client.post(path(code), form)
                    answers.append((status, _same(body, code)))
                assert answers[0] == answers[1], (username, method, path(CODES_B[0]))
                assert answers[0][0] == 404 and "Không tìm thấy hồ sơ" in answers[0][1]
            # A survey link of B's dossier, scanned or pasted: as a link nobody was given.
            answers = [(status, _same(body, link)) for link in (b_link, nowhere_link)
                       for status, body in [client.get("/staff/desk?code=" + quote(link))]]
            assert answers[0] == answers[1] and answers[0][0] == 404 and CODES_B[0] not in answers[0][1]
    assert stored_audit(live_db_url, "survey.") == before  # nothing triggered, no slip printed, nothing written


async def _survey_token(url: str, code: str) -> str:
    from datetime import datetime, timezone

    from bot.common.settings import load_settings
    from bot.conversation.surveys import send_survey
    from storage import open_database

    async with open_database(url) as db:
        settings = load_settings(env_file=None, database_url=url)
        return (await send_survey(db, settings, code, now=datetime.now(timezone.utc))).token


def test_the_import_preview_never_names_another_agency(live_db_url) -> None:
    from test_web_imports import HEADER, upload

    seeded = seed_staff(live_db_url)
    rows = [f"{CODES_B[0]},{AGENCY_A},10,2026-11-18,2026-11-19,2026-11-19,HT-01,,CB01,",  # B's, claimed for A
            f"{NOWHERE},{AGENCY_A},2,2026-11-18,,,,,,"]
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = upload(client, csrf, "hoso.csv", (HEADER + "\n".join(rows) + "\n").encode())
    assert status == 200 and "hoso.csv" in page
    assert AGENCY_B + " " not in page and f"({AGENCY_B})" not in page and "Phường 2" not in page
    assert "cơ quan khác" not in page and "another agency" not in page
    assert f"Mã hồ sơ {CODES_B[0]} không nhập được" in page and f"Dossier code {CODES_B[0]} cannot be imported" in page
