"""/admin/schema over real HTTP and in a real browser: the versions with their dates, a pasted or
uploaded version checked (problems by line, Vietnamese first) and loaded (audited); admins only,
CSRF-checked; a refused version writes nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from html import unescape
from pathlib import Path

from live import run_async, screenshot_path, serve_app
from sqlalchemy import select
from staffkit import AGENCY_A, CODES_A, browser_sign_in, get_bytes, seed_staff, signed_in
from surveykit import Client

from bot.office.schema_versions import load_version
from reports.versions import local_day, schema_on
from storage import AnswerIn, AuditEntry, SchemaVersion, find_dossier, open_database, record_evaluation

SHIPPED = Path(__file__).resolve().parents[3] / "survey_flows" / "data" / "schema.yaml"
OLD_NAME, NEW_NAME = "Thái độ của cán bộ, công chức", "Thái độ phục vụ của công chức"
OCTOBER = datetime(2026, 10, 20, 3, 0, tzinfo=timezone.utc)
NOVEMBER = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def next_version(version: str = "tt03-2025.1", start: str = "2027-01-01") -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    return (text.replace('version: "tt01-2018.1"', f'version: "{version}"', 1)
            .replace("effective_from: 2019-01-08", f"effective_from: {start}", 1).replace(OLD_NAME, NEW_NAME, 1))


def stored(url: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return ([v for v in await s.scalars(select(SchemaVersion.version))],
                    [(a.action, a.actor, a.subject) for a in await s.scalars(select(AuditEntry))
                     if a.action.startswith("schema.")])
    return run_async(run())


def text_of(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", page))


def test_admin_checks_and_loads_a_version_over_http(live_db_url) -> None:
    seed = seed_staff(live_db_url)
    with serve_app(seed.settings) as base:
        for username in ("manager_a", "viewer_a", "staff_a"):
            client, csrf = signed_in(base, username)
            assert client.get("/admin/schema")[0] == 403, username
            assert client.post("/admin/schema", {"_csrf": csrf, "source": next_version(), "do": "load"})[0] == 403
        assert 'name="password"' in Client(base).get("/admin/schema")[1]  # signed out: the sign-in page
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get("/admin/schema")
        assert status == 200
        assert re.search(r'<tr data-version="tt01-2018.1" data-in-force', page)
        assert "08/01/2019" in page and "không thời hạn" in page

        broken = next_version().replace("method: dates", "method: dayz", 1)
        line = next(n for n, text in enumerate(broken.splitlines(), 1) if "method: dayz" in text)
        status, page = admin.post("/admin/schema", {"_csrf": csrf, "source": broken, "do": "check"})
        assert status == 400
        problems = re.findall(r'<li data-line="(\d+)">(.*?)</li>', page, re.S)
        assert [int(n) for n, _ in problems] == [line]
        vi, en = unescape(problems[0][1]).split("<br>")
        assert vi.startswith(f"Dòng {line}: ") and "dayz" in vi and "dayz" in en and 'lang="en"' in en
        assert "Tệp bộ chỉ số có 1 lỗi" in text_of(page) and "dayz" in unescape(page)  # the text is kept
        assert admin.post("/admin/schema", {"_csrf": "forged", "source": next_version(), "do": "load"})[0] == 403
        status, page = admin.post("/admin/schema", {"_csrf": csrf, "source": broken, "do": "load"})
        assert status == 400
        status, page = admin.post("/admin/schema", {"_csrf": csrf, "source": next_version(), "do": "check"})
        assert status == 200 and "Hợp lệ: phiên bản tt03-2025.1, có hiệu lực từ 01/01/2027." in text_of(page)
        assert stored(live_db_url) == ([], [])  # checks write nothing

        status, page = admin.post("/admin/schema", {"_csrf": csrf, "source": next_version(), "do": "load"})
        assert status == 200 and 'id="schema-loaded"' in page
        assert "Đã nạp phiên bản tt03-2025.1, có hiệu lực từ 01/01/2027" in text_of(page)
        rows = re.findall(r'<tr data-version="([^"]+)"', page)
        assert rows == ["tt01-2018.1", "tt03-2025.1"]
        assert "31/12/2026" in page  # the shipped version now ends the day before
        status, page = admin.post("/admin/schema", {"_csrf": csrf, "source": next_version().replace(NEW_NAME, "X"),
                                                    "do": "load"})
        assert status == 400 and "Phiên bản tt03-2025.1 đã có với nội dung khác" in text_of(page)
        assert "Version tt03-2025.1 exists with a different text" in text_of(page)
        status, page = admin.post("/admin/schema", {"_csrf": csrf, "source": "  ", "do": "load"})
        assert status == 400 and "Chưa có nội dung" in text_of(page)
        assert stored(live_db_url)[0] == ["tt03-2025.1"]
        versions, audits = stored(live_db_url)
        assert [(action, subject) for action, _, subject in audits] == [("schema.load", "schema:tt03-2025.1")]
        assert audits[0][1] == "user:admin"


def test_admin_uploads_a_file_in_the_browser(chromium, live_db_url, tmp_path) -> None:
    seed = seed_staff(live_db_url)
    upload = tmp_path / "tt03.yaml"
    upload.write_text(next_version(), encoding="utf-8")
    with serve_app(seed.settings) as base:
        page = chromium.new_page(viewport={"width": 1200, "height": 900})
        browser_sign_in(page, base, "admin")
        page.goto(f"{base}/staff")
        page.get_by_role("link", name="Bộ chỉ số").first.click()
        page.wait_for_selector("#schema-versions")
        page.get_by_label("Tệp YAML").set_input_files(str(upload))
        page.get_by_role("button", name="Kiểm tra").click()
        assert "Hợp lệ: phiên bản tt03-2025.1" in page.locator("#schema-ok").inner_text()
        page.get_by_label("Tệp YAML").set_input_files(str(upload))
        page.get_by_role("button", name="Nạp phiên bản").click()
        assert "Đã nạp phiên bản tt03-2025.1" in page.locator("#schema-loaded").inner_text()
        assert page.locator("tr[data-version]").count() == 2
        assert page.locator("tr[data-in-force]").get_attribute("data-version") == "tt01-2018.1"
        page.screenshot(path=screenshot_path("admin-schema"), full_page=True)
    assert stored(live_db_url)[0] == ["tt03-2025.1"]


def test_the_staff_report_of_a_quarter_spanning_two_versions_reports_each(live_db_url) -> None:
    seed = seed_staff(live_db_url)

    async def run() -> None:
        async with open_database(live_db_url) as db:
            await load_version(db, next_version(start="2026-11-01"), actor="test", now=datetime.now(timezone.utc))
            async with db.transaction() as s:
                for code, level, at in ((CODES_A[0], 2, OCTOBER), (CODES_A[1], 1, NOVEMBER), (CODES_A[2], 0, NOVEMBER)):
                    dossier = await find_dossier(s, code)
                    version = (await schema_on(s, local_day(at))).version
                    await record_evaluation(s, dossier_id=dossier.id, agency_id=dossier.agency_id, channel="web",
                                            schema_version=version, completed_at=at,
                                            answers=[AnswerIn("satisfaction.overall", level=level),
                                                     AnswerIn("indicator.7", value=level)])
    run_async(run())
    with serve_app(seed.settings) as base:
        admin, _ = signed_in(base, "admin")
        status, page = admin.get(f"/staff/reports?period=2026-Q4&agency={AGENCY_A}")
        assert status == 200
        line = page[page.index('id="sr-versions"'):page.index("</p>", page.index('id="sr-versions"'))]
        assert "hai phiên bản bộ chỉ số" in line
        spans = re.findall(r'data-version="([^"]+)"><code>[^<]*</code> \(<span class="nowrap">([^<]*)</span>\)', line)
        assert spans == [("tt01-2018.1", "15/09/2026 – 31/10/2026"), ("tt03-2025.1", "01/11/2026 – 14/12/2026")]
        assert "Kết quả theo phiên bản bộ chỉ số" in page and NEW_NAME in page and OLD_NAME in page
        status, _, body = get_bytes(admin, f"/staff/reports/export?period=2026-Q4&agency={AGENCY_A}&format=csv")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        split = [row[:5] for row in rows if row[:1] in (["tt01-2018.1"], ["tt03-2025.1"]) and row[3] == "UBND Phường 1"]
        assert status == 200 and split == [["tt01-2018.1", "15/09/2026", "31/10/2026", "UBND Phường 1", "1"],
                                           ["tt03-2025.1", "01/11/2026", "14/12/2026", "UBND Phường 1", "2"]]
