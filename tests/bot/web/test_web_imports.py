"""Dossier imports on the web: upload → preview with line numbers (nothing written) → import →
result; re-import adds nothing; XLSX; size, type and CSRF refusals; a large file's progress page."""

from __future__ import annotations

import io
import re
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime

from live import run_async, screenshot_path, serve_app
from sqlalchemy import text
from staffkit import AGENCY_A, AGENCY_B, CODES_A, browser_sign_in, seed_staff, signed_in

from storage import open_database

HEADER = "code,agency_code,status,received_on,due_on,returned_on,procedure_code,procedure_name,officer_code,phone\n"
NEW_A = [f"{AGENCY_A}-261201-{n:04d}" for n in range(1, 5)]
GOOD_ROWS = [
    f"{NEW_A[0]},{AGENCY_A},10,2026-12-01,2026-12-05,2026-12-04,HT-01,Đăng ký khai sinh,CB01,0912345678",
    f"{NEW_A[1].lower()},{AGENCY_A},9,01/12/2026,,,HT-01,,,",
    f"{NEW_A[2]},{AGENCY_A},2,2026-12-01,2026-12-09,,,,,",
    f"{CODES_A[0]},{AGENCY_A},10,2026-11-18,2026-11-19,2026-11-19,HT-01,,CB01,",  # seeded: unchanged
]
BAD_ROWS = [  # lines 6.. of the file
    f"{NEW_A[3]},{AGENCY_A},10,2026-12-01,,,,,,",               # 6: returned without returned_on
    f"{AGENCY_A}-261301-0001,{AGENCY_A},10,2026-13-01,,,,,,",   # 7: not a code (month 13)
    f"{AGENCY_B}-261201-0001,{AGENCY_B},2,2026-12-01,,,,,,",    # 8: agency B: not manager_a's
    f"{NEW_A[0]},{AGENCY_A},10,2026-12-01,,2026-12-04,,,,",     # 9: repeats line 2
    f"{AGENCY_A}-261201-0077,{AGENCY_A},ba,2026-12-01,,,,,,",   # 10: bad status
    f"{AGENCY_A}-261201-0078,{AGENCY_A},2,2026-12-01,,,,,,09xx",  # 11: bad phone
]
CSV = (HEADER + "\n".join(GOOD_ROWS + BAD_ROWS) + "\n").encode()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: application/octet-stream\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload(client, csrf: str | None, filename: str, data: bytes, *, path: str = "/staff/imports",
           field: str = "file") -> tuple[int, str]:
    body, kind = multipart({"_csrf": csrf} if csrf is not None else {}, {field: (filename, data)})
    request = urllib.request.Request(client.base + path, data=body, method="POST",
                                     headers={"Content-Type": kind})
    try:
        with client.opener.open(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def upload_id(page: str) -> str:
    found = re.search(r'action="/staff/imports/([A-Za-z0-9_-]+)/confirm', page)
    assert found, page[:3000]
    return found.group(1)


def count(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', page)
    assert found, page[:3000]
    return int(found.group(1))


def query(url: str, sql: str, **params) -> list[tuple]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return [tuple(r) for r in await s.execute(text(sql), params)]

    return run_async(run())


def dossier_count(url: str) -> int:
    return query(url, "SELECT count(*) FROM dossiers")[0][0]


def test_manager_previews_imports_and_reimports_without_duplicates(chromium, live_db_url, tmp_path) -> None:
    seeded = seed_staff(live_db_url)
    before = dossier_count(live_db_url)
    path = tmp_path / "ho-so.csv"
    path.write_bytes(CSV)
    with serve_app(seeded.settings) as base:
        page = chromium.new_page(viewport={"width": 360, "height": 800})
        browser_sign_in(page, base, "manager_a")
        page.goto(f"{base}/staff/imports")
        page.get_by_label("Tệp CSV hoặc XLSX xuất từ hệ thống một cửa").set_input_files(str(path))
        page.get_by_role("button", name="Tải lên và xem trước").click()
        page.wait_for_selector('[data-state="preview"]')
        counts = {n: page.locator(f'[data-count="{n}"]').inner_text()
                  for n in ("new", "updated", "unchanged", "errors")}
        assert counts == {"new": "3", "updated": "0", "unchanged": "1", "errors": "6"}
        items = page.locator("ol.import-errors li")
        lines = [int(x) for x in items.evaluate_all("els => els.map(e => e.dataset.line)")]
        assert lines == [6, 7, 8, 9, 10, 11]
        errors = page.locator("ol.import-errors").inner_text()
        assert "Dòng 8" in errors and "không thuộc quyền quản lý" in errors and "is not one you manage" in errors
        assert "trùng với dòng 2" in errors and "returned_on" in errors
        assert "0912345678" not in page.content() and "09xx" not in page.content()
        assert page.locator("table.import-rows tbody tr").count() == 4
        page.screenshot(path=screenshot_path("import-preview"), full_page=True)
        assert dossier_count(live_db_url) == before  # the preview wrote nothing
        page.get_by_role("button", name="Nhập 4 dòng").click()
        page.wait_for_selector('[data-state="done"]')
        assert page.locator('[data-count="new"]').inner_text() == "3"
        assert page.locator('[data-count="errors"]').inner_text() == "6"
        page.screenshot(path=screenshot_path("import-done"), full_page=True)
        # The same file again: nothing new, nothing duplicated.
        page.goto(f"{base}/staff/imports")
        page.get_by_label("Tệp CSV hoặc XLSX xuất từ hệ thống một cửa").set_input_files(str(path))
        page.get_by_role("button", name="Tải lên và xem trước").click()
        page.wait_for_selector('[data-state="preview"]')
        assert page.locator('[data-count="new"]').inner_text() == "0"
        assert page.locator('[data-count="unchanged"]').inner_text() == "4"
        page.get_by_role("button", name="Nhập 4 dòng").click()
        page.wait_for_selector('[data-state="done"]')
        assert page.locator('[data-count="new"]').inner_text() == "0"
        page.close()
    assert dossier_count(live_db_url) == before + 3
    stored = dict(query(live_db_url, "SELECT code, status FROM dossiers WHERE code IN (:a, :b, :c)",
                        a=NEW_A[0], b=NEW_A[1], c=NEW_A[2]))
    assert stored == {NEW_A[0]: 10, NEW_A[1]: 9, NEW_A[2]: 2}
    assert query(live_db_url, "SELECT count(*) FROM dossiers WHERE code LIKE :b", b=f"{AGENCY_B}-2612%")[0][0] == 0
    trail = query(live_db_url, "SELECT actor, detail FROM audit_log WHERE action = 'dossiers.import' ORDER BY id")
    assert len(trail) == 2 and all(actor == "user:manager_a" for actor, _ in trail)
    assert '"new": 3' in str(trail[0][1]) or "'new': 3" in str(trail[0][1])
    assert "0912345678" not in str(trail) and "+84912345678" not in str(trail)


def test_xlsx_upload_with_dates_and_numbers_as_cells(live_db_url) -> None:
    from openpyxl import Workbook

    seeded = seed_staff(live_db_url)
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "agency_code", "status", "received_on", "returned_on", "phone"])
    sheet.append([NEW_A[0], AGENCY_A, 10, datetime(2026, 12, 1), datetime(2026, 12, 4), 912345678])
    sheet.append([NEW_A[1], AGENCY_A, 9.0, "01/12/2026", None, None])
    sheet.append([None, None, None, None, None, None])  # blank rows are skipped
    sheet.append([NEW_A[2], AGENCY_A, 10, "2026-12-01", None, None])  # line 5: returned_on missing
    out = io.BytesIO()
    book.save(out)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = upload(client, csrf, "export.xlsx", out.getvalue())
        assert status == 200 and count(page, "new") == 2 and count(page, "errors") == 1
        assert 'data-line="5"' in page
        status, page = client.post(f"/staff/imports/{upload_id(page)}/confirm", {"_csrf": csrf})
        assert status == 200 and 'data-state="done"' in page and count(page, "new") == 2
    stored = query(live_db_url, "SELECT d.received_on, d.returned_on, a.address FROM dossiers d "
                                "LEFT JOIN contact_addresses a ON a.contact_id = d.contact_id WHERE d.code = :c",
                   c=NEW_A[0])
    assert [tuple(str(v) for v in row) for row in stored] == [("2026-12-01", "2026-12-04", "+84912345678")]


def test_oversized_wrong_type_and_forged_uploads_are_refused(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    before = dossier_count(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = upload(client, csrf, "big.csv", HEADER.encode() + b"x" * (21 * 1024 * 1024))
        assert status == 413 and "quá lớn" in page and "too large" in page
        status, page = upload(client, csrf, "ho-so.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
        assert status == 415 and "PDF" in page and "không phải CSV" in page
        status, page = upload(client, csrf, "ho-so.pdf", CSV)
        assert status == 415 and "Chỉ nhận tệp .csv hoặc .xlsx" in page
        status, page = upload(client, csrf, "ho-so.xlsx", b"PK\x03\x04 not really a zip")
        assert status == 415 and "XLSX" in page
        status, page = upload(client, csrf, "ho-so.csv", b"ma,ten\n1,2\n")
        assert status == 415 and "Thiếu cột bắt buộc" in page
        # Without the CSRF token, or with a wrong one: 403, nothing kept.
        assert upload(client, None, "ho-so.csv", CSV)[0] == 403
        assert upload(client, "x" * 32, "ho-so.csv", CSV)[0] == 403
        # A real preview, then a confirmation without the token: 403 and nothing written.
        status, page = upload(client, csrf, "ho-so.csv", CSV)
        assert status == 200
        ident = upload_id(page)
        assert client.post(f"/staff/imports/{ident}/confirm", {})[0] == 403
        assert client.post(f"/staff/imports/{ident}/confirm", {"_csrf": "nope"})[0] == 403
        assert dossier_count(live_db_url) == before
        # Someone else's upload id is unknown to them; staff have no imports at all.
        other, other_csrf = signed_in(base, "manager_b")
        assert other.get(f"/staff/imports/{ident}")[0] == 404
        assert other.post(f"/staff/imports/{ident}/confirm", {"_csrf": other_csrf})[0] == 404
        staff, _ = signed_in(base, "staff_a")
        assert staff.get("/staff/imports")[0] == 403
        assert dossier_count(live_db_url) == before
        # Cancelled: the upload is gone.
        assert client.post(f"/staff/imports/{ident}/cancel", {"_csrf": csrf})[0] == 200
        assert client.get(f"/staff/imports/{ident}")[0] == 404
    assert dossier_count(live_db_url) == before
    assert query(live_db_url, "SELECT count(*) FROM audit_log WHERE action = 'dossiers.import'")[0][0] == 0


def test_a_large_file_imports_in_the_background_with_a_progress_page(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    before = dossier_count(live_db_url)
    lines = [f"{AGENCY_A}-261202-{n:05d},{AGENCY_A},10,2026-12-02,,2026-12-03" for n in range(1, 2501)]
    data = ("code,agency_code,status,received_on,due_on,returned_on\n" + "\n".join(lines) + "\n").encode()
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = upload(client, csrf, "lon.csv", data)
        assert status == 200 and count(page, "new") == 2500
        ident = upload_id(page)
        status, page = client.post(f"/staff/imports/{ident}/confirm", {"_csrf": csrf})
        assert status == 200 and 'http-equiv="refresh"' in page and re.search(r"\d+ / 2500", page), page[:3000]
        assert client.post(f"/staff/imports/{ident}/confirm", {"_csrf": csrf})[0] == 200  # a second click: no re-run
        deadline = time.monotonic() + 180
        while 'data-state="done"' not in page and time.monotonic() < deadline:
            time.sleep(1)
            status, page = client.get(f"/staff/imports/{ident}")
        assert 'data-state="done"' in page and count(page, "new") == 2500 and 'http-equiv="refresh"' not in page
    assert dossier_count(live_db_url) == before + 2500
    assert query(live_db_url, "SELECT count(*) FROM audit_log WHERE action = 'dossiers.import'")[0][0] == 1
