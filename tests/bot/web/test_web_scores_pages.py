"""`/staff/scores` and `/staff/complaints` over real HTTP (and the score form in Chromium), SQLite and PostgreSQL.

Who may enter what: agency A's manager self-scores A and appraises its unit; an admin does both;
a viewer reads. Bad input is a bilingual 400 with nothing stored; every change is audited.
"""

from __future__ import annotations

import html
import re

from live import run_async, serve_app
from staffkit import (
    AGENCY_A,
    AGENCY_B,
    CODES_A,
    REPORT_PERIOD,
    UNIT_A,
    browser_sign_in,
    seed_evaluations,
    seed_staff,
    signed_in,
)

from storage import open_database
from storage.staff_admin import audit_entries


def _line(page: str, indicator: int) -> str:
    return re.search(rf'<tr data-indicator="{indicator}">.*?</tr>', page, re.S).group(0)


def _audit(url: str, prefix: str) -> list[tuple[str, str]]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return [(e.actor, e.action) for e in await audit_entries(s, action_prefix=prefix)]
    return run_async(run())


def test_self_scores_and_appraisals_by_role(live_db_url: str) -> None:
    seed = seed_staff(live_db_url)
    seed_evaluations(live_db_url)
    page_of = f"/staff/scores?agency={AGENCY_A}&period={REPORT_PERIOD}"
    with serve_app(seed.settings) as base:
        manager, csrf = signed_in(base, "manager_a")
        status, page = manager.get(page_of)
        assert status == 200 and '<option value="self">' in page and 'value="appraisal"' not in page
        assert "Chưa xếp loại" in page  # 5 and 9 are not entered yet: no band
        form = {"_csrf": csrf, "period": REPORT_PERIOD, "indicator": "5", "by": "self", "points": "1,5",
                "note": "đạt chỉ tiêu"}
        status, page = manager.post(f"/staff/scores?agency={AGENCY_A}", form)
        assert status == 200 and "Đã ghi điểm." in page
        assert "1,5" in _line(page, 5) and "đạt chỉ tiêu" in _line(page, 5)
        # Bad points: a bilingual error, the form as typed, nothing stored.
        status, page = manager.post(f"/staff/scores?agency={AGENCY_A}", form | {"points": "3"})
        assert status == 400 and "điểm phải là số từ 0 đến 2" in page and "points must be a number" in page
        assert "1,5" in _line(page, 5) and 'value="3"' in page
        # Its own agency is not its to appraise; its unit is.
        status, _ = manager.post(f"/staff/scores?agency={AGENCY_A}", form | {"by": "appraisal"})
        assert status == 403
        status, page = manager.post(f"/staff/scores?agency={UNIT_A}", form | {"by": "appraisal", "indicator": "9",
                                                                             "points": "1"})
        assert status == 200 and "thẩm định" in _line(page, 9)
        status, _ = manager.post(f"/staff/scores?agency={AGENCY_A}", {k: v for k, v in form.items() if k != "_csrf"})
        assert status in (400, 403)  # no CSRF token: refused, nothing done
        # The admin's appraisal wins over the self-score.
        admin, admin_csrf = signed_in(base, "admin")
        status, page = admin.post(f"/staff/scores?agency={AGENCY_A}", form | {"_csrf": admin_csrf, "by": "appraisal",
                                                                              "points": "1"})
        line = _line(page, 5)
        assert status == 200 and re.search(r"<td data-points>1/2</td>", line) and "1,5" in line
        viewer, viewer_csrf = signed_in(base, "viewer_a")
        status, page = viewer.get(page_of)
        assert status == 200 and 'name="points"' not in page
        status, _ = viewer.post(f"/staff/scores?agency={AGENCY_A}", form | {"_csrf": viewer_csrf})
        assert status == 403
        other, _ = signed_in(base, "manager_b")
        assert other.get(page_of)[0] == 403
    assert _audit(live_db_url, "score.") == [("user:admin", "score.set"), ("user:manager_a", "score.set"),
                                             ("user:manager_a", "score.set")]


def test_the_complaints_register_page(live_db_url: str) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        staff, csrf = signed_in(base, "staff_a")
        form = {"_csrf": csrf, "received_on": "20/11/2026", "due_on": "30/11/2026", "dossier_code": CODES_A[0],
                "about_conduct": "1", "note": "thái độ"}
        status, page = staff.post(f"/staff/complaints?agency={AGENCY_A}", form)
        assert status == 200 and "Đã mở phản ánh." in page
        row = re.search(r'<tr data-complaint="PA-00001">.*?</tr>', page, re.S).group(0)
        assert "20/11/2026" in row and "30/11/2026" in row and CODES_A[0] in row and "chưa xác minh" in row
        status, page = staff.post(f"/staff/complaints?agency={AGENCY_A}", form | {"due_on": "10/11/2026"})
        assert status == 400 and "không được trước ngày nhận" in page and "cannot be before" in page
        assert page.count('data-complaint="') == 1  # nothing stored
        change = {"_csrf": csrf, "action": "untrue", "on": "25/11/2026", "note": "camera: không đúng"}
        status, page = staff.post(f"/staff/complaints/PA-00001?agency={AGENCY_A}", change)
        assert status == 200 and 'data-verification="untrue">không đúng sự thật (25/11/2026)' in page
        status, page = staff.post(f"/staff/complaints/PA-00001?agency={AGENCY_A}", change | {"on": "32/11/2026"})
        assert status == 400 and "ngày không hợp lệ" in page and "invalid date" in page
        other, other_csrf = signed_in(base, "staff_b")
        # Another ward's entry: not found under its own agency, 403 under agency A.
        status, page = other.post(f"/staff/complaints/PA-00001?agency={AGENCY_B}", change | {"_csrf": other_csrf})
        assert status == 400 and "no complaint with code 'PA-00001'" in html.unescape(page)
        status, _ = other.post(f"/staff/complaints/PA-00001?agency={AGENCY_A}", change | {"_csrf": other_csrf})
        assert status == 403
    assert _audit(live_db_url, "complaint.") == [("user:staff_a", "complaint.update"), ("user:staff_a", "complaint.add")]


def test_the_score_form_in_a_browser(chromium, live_db_url: str) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        browser_sign_in(page, base, "admin")
        page.goto(f"{base}/staff/scores?agency={AGENCY_A}&period=2026-Q2")
        page.get_by_label("Chỉ số", exact=True).select_option("9")
        page.get_by_label("Loại điểm").select_option("appraisal")
        page.get_by_label("Điểm", exact=True).fill("1,5")
        page.get_by_label("Ghi chú, căn cứ").fill("35 % hồ sơ trực tuyến")
        page.get_by_role("button", name="Ghi điểm").click()
        page.wait_for_selector("text=Đã ghi điểm.")
        row = page.locator('tr[data-indicator="9"]').inner_text()
        assert "1,5/2" in row and "35 % hồ sơ trực tuyến" in row
        assert "15/03/2026 – 14/06/2026" in page.content()
