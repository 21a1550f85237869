"""Reports for signed-in users, scoped by agency: /staff/reports and its exports (issue #8).

A ward never sees another ward's figures, by the picker or by URL; the page shows the report
engine's own figures; every download is audited.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from layoutkit import assert_fits, assert_readable_charts, measure
from live import run_async, screenshot_path, serve_app
from openpyxl import load_workbook
from sqlalchemy import select
from staffkit import (
    AGENCY_A,
    AGENCY_B,
    CODES_B,
    REPORT_PERIOD,
    UNIT_A,
    browser_sign_in,
    get_bytes,
    seed_evaluations,
    seed_staff,
    signed_in,
)

from reports import formats
from reports.html import cell
from reports.periods import DEFAULT_TZ, Window, current_quarter, parse_period
from reports.results import Results, build_results
from reports.tables import results_table, settlement_table
from storage import AuditEntry, find_agency, open_database
from survey_flows import load_schema

BOM = b"\xef\xbb\xbf"


def _seeded(url: str):
    seed = seed_staff(url)
    seed_evaluations(url)
    return seed


def _expected(url: str, code: str | None) -> Results:
    """The report engine's results for REPORT_PERIOD, computed directly (not through the page)."""
    async def run() -> Results:
        async with open_database(url) as db, db.transaction() as s:
            agency = await find_agency(s, code) if code else None
            return await build_results(s, parse_period(REPORT_PERIOD), bands=load_schema().bands,
                                       now=datetime.now(timezone.utc), agency_id=agency.id if agency else None,
                                       cutoff_day=15)
    return run_async(run())


def _exports(url: str) -> list[tuple[str, str, dict]]:
    """(actor, subject, detail) of every "report.export" audit entry, oldest first."""
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")
                                   .order_by(AuditEntry.id))
            return [(r.actor, r.subject, dict(r.detail)) for r in rows]
    return run_async(run())


class _Tables(HTMLParser):
    """Cells of each <table id=...> (body and footer rows) and the options of each <select id=...>."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self.figures: dict[str, str] = {}
        self._table = self._select = self._figure = None
        self._in_head, self._cell = False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table and not self._in_head:
            self.tables[self._table].append([])
        elif tag == "td" and self._table and not self._in_head:
            self._cell = ""
        elif tag == "select":
            self._select = a.get("id")
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append((a.get("value", ""), "selected" in a))
        elif a.get("data-figure"):
            self._figure = a["data-figure"]
            self.figures[self._figure] = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "td" and self._cell is not None:
            self.tables[self._table][-1].append(self._cell.strip())
            self._cell = None
        elif tag == "select":
            self._select = None
        elif tag in ("strong", "span") and self._figure:
            self._figure = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._figure:
            self.figures[self._figure] += data


def _parse(page: str) -> _Tables:
    parsed = _Tables()
    parsed.feed(page)
    return parsed


def _cells(row) -> list[str]:
    return [cell(v) for v in row]


def test_viewer_sees_its_report_and_downloads_it(live_db_url) -> None:
    seed = _seeded(live_db_url)
    expected = _expected(live_db_url, AGENCY_A)
    with serve_app(seed.settings) as base:
        client, _ = signed_in(base, "viewer_a")
        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}")
        assert status == 200, page[:400]
        got = _parse(page)
        summary = expected.agencies[0].summary
        assert summary.evaluations == 3  # the seeded levels 2, 1, 0
        assert got.figures["evaluations"] == formats.number(summary.evaluations)
        assert got.figures["rate"] == formats.percent(summary.rate) and summary.rate is not None
        assert got.figures["total"] == formats.number(summary.total, "vi", 1)
        assert summary.band is None  # indicators 5 and 9 are the agency's to enter: not graded before
        assert got.figures["band"] == expected.agencies[0].score.phrase("vi")  # "Mới có 6/9 chỉ số: …"
        assert got.figures["band"].startswith("Mới có 6/9 chỉ số") and "Chưa xếp loại" in got.figures["band"]
        for level, share in zip((2, 1, 0), summary.shares):
            assert got.figures[f"share-{level}"].endswith(formats.percent(share))
        # The official tables are the engine's, cell for cell (results with totals, settlement).
        table = results_table(expected)
        assert got.tables["sr-ket-qua"] == [_cells(r) for r in table.rows] + [_cells(table.totals)]
        settled = settlement_table(expected)
        assert got.tables["sr-giai-quyet"] == [_cells(r) for r in settled.rows] + [_cells(settled.totals)]
        for drill in ("sr-theo-field", "sr-theo-procedure", "sr-theo-officer", "sr-theo-channel", "sr-phan-hoi"):
            assert drill in got.tables
        assert "UBND Phường 2" not in page and AGENCY_B not in page
        # The picker offers A and its unit only: no other ward, no "all agencies".
        assert [v for v, _ in got.options["sr-agency"]] == [AGENCY_A, UNIT_A]
        assert (REPORT_PERIOD, True) in got.options["sr-period"]
        assert "sr-no-data" not in page

        query = f"period={REPORT_PERIOD}&agency={AGENCY_A}"
        status, headers, body = get_bytes(client, f"/staff/reports/export?{query}&format=xlsx")
        assert status == 200 and headers["Content-Type"].startswith("application/vnd.openxmlformats")
        assert f"hailong-bao-cao-{REPORT_PERIOD}-{AGENCY_A}.xlsx" in headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(body))["ket-qua"]
        header = " ".join(str(sheet.cell(r, 1).value) for r in range(1, 4))
        assert "UBND Phường 1" in header and REPORT_PERIOD in header and "UBND Phường 2" not in header
        assert sheet.cell(7, 2).value == "UBND Phường 1" and sheet.cell(7, 3).value == 3

        status, headers, body = get_bytes(client, f"/staff/reports/export?{query}&format=csv")
        assert status == 200 and headers["Content-Type"].startswith("text/csv") and body.startswith(BOM)
        text = body.decode("utf-8-sig")
        assert "UBND Phường 1" in text and REPORT_PERIOD in text and "UBND Phường 2" not in text

        status, headers, body = get_bytes(client, f"/staff/reports/export?{query}&format=dataset")
        assert status == 200 and body.startswith(BOM)
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows and {r["agency_code"] for r in rows} == {AGENCY_A}
        assert not any(code in body.decode("utf-8-sig") for code in CODES_B)

    detail = {"period": REPORT_PERIOD, "agency": AGENCY_A}
    assert [(actor, subject, {k: d[k] for k in ("period", "agency", "format")})
            for actor, subject, d in _exports(live_db_url)] == [
        ("user:viewer_a", f"agency:{AGENCY_A}", {**detail, "format": fmt}) for fmt in ("xlsx", "csv", "dataset")]


def test_another_ward_is_refused_by_url(live_db_url) -> None:
    seed = _seeded(live_db_url)
    with serve_app(seed.settings) as base:
        for username in ("viewer_a", "manager_a"):
            client, _ = signed_in(base, username)
            for path in (f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_B}",
                         *(f"/staff/reports/export?period={REPORT_PERIOD}&agency={AGENCY_B}&format={f}"
                           for f in ("xlsx", "csv", "dataset"))):
                status, headers, body = get_bytes(client, path)
                text = body.decode()
                assert status == 403, (username, path, status)
                assert "Không có quyền" in text and "UBND Phường 2" not in text and BOM not in body
            # "All agencies" is an admin's report only.
            for path in (f"/staff/reports?period={REPORT_PERIOD}&agency=all",
                         f"/staff/reports/export?period={REPORT_PERIOD}&agency=all&format=xlsx"):
                status, page = client.get(path)
                assert status == 403 and "quản trị" in page and "UBND Phường 2" not in page
            # Its own unit is fine (and says it has no data).
            status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={UNIT_A}")
            assert status == 200 and 'id="sr-no-data"' in page
            # Without an agency: its own.
            status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}")
            assert status == 200 and (AGENCY_A, True) in _parse(page).options["sr-agency"]

        client, _ = signed_in(base, "manager_b")
        status, _ = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}")
        assert status == 403
        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}")
        assert status == 200 and [v for v, _ in _parse(page).options["sr-agency"]] == [AGENCY_B]

        client, _ = signed_in(base, "staff_a")  # reception staff have no reports
        for path in (f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}",
                     f"/staff/reports/export?period={REPORT_PERIOD}&agency={AGENCY_A}&format=csv"):
            status, page = client.get(path)
            assert status == 403 and "Không có quyền" in page
        status, page = client.get("/staff")
        assert 'href="/staff/reports"' not in page
    assert _exports(live_db_url) == []  # nothing refused was exported


def test_admin_sees_every_agency(live_db_url) -> None:
    seed = _seeded(live_db_url)
    expected = _expected(live_db_url, None)
    with serve_app(seed.settings) as base:
        client, _ = signed_in(base, "admin")
        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}")
        assert status == 200
        got = _parse(page)
        assert [v for v, _ in got.options["sr-agency"]] == ["all", AGENCY_A, UNIT_A, AGENCY_B]
        assert ("all", True) in got.options["sr-agency"]
        assert got.figures["evaluations"] == formats.number(expected.total.evaluations) == "5"
        table = results_table(expected)
        assert got.tables["sr-ket-qua"] == [_cells(r) for r in table.rows] + [_cells(table.totals)]
        assert "UBND Phường 1" in page and "UBND Phường 2" in page

        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_B}")
        b = _expected(live_db_url, AGENCY_B).agencies[0].summary
        assert status == 200 and _parse(page).figures["rate"] == formats.percent(b.rate)
        status, headers, body = get_bytes(client, f"/staff/reports/export?period={REPORT_PERIOD}&agency={AGENCY_B}"
                                                  "&format=xlsx")
        assert status == 200 and "UBND Phường 2" in str(load_workbook(io.BytesIO(body))["ket-qua"]["A3"].value)
        status, headers, body = get_bytes(client, f"/staff/reports/export?period={REPORT_PERIOD}&agency=all"
                                                  "&format=csv")
        assert status == 200 and "Tất cả cơ quan" in body.decode("utf-8-sig")
    assert [(a, s, d["format"]) for a, s, d in _exports(live_db_url)] == [
        ("user:admin", f"agency:{AGENCY_B}", "xlsx"), ("user:admin", "agency:all", "csv")]


def test_bad_period_agency_or_format_says_why_and_changes_nothing(live_db_url) -> None:
    seed = _seeded(live_db_url)
    with serve_app(seed.settings) as base:
        client, _ = signed_in(base, "manager_a")
        cases = {
            "/staff/reports?period=2026-Q9": ("Kỳ báo cáo không hợp lệ", "Invalid period"),
            "/staff/reports?period=" + "9" * 300: ("Kỳ báo cáo không hợp lệ", "Invalid period"),
            "/staff/reports?period=2026-Q3&agency=KHONG.CO": ("Không có cơ quan", "There is no agency"),
            "/staff/reports/export?period=abc&agency=" + AGENCY_A + "&format=xlsx": ("Kỳ báo cáo", "Invalid period"),
            "/staff/reports/export?period=2026-Q3&agency=NOPE&format=csv": ("Không có cơ quan", "no agency"),
            f"/staff/reports/export?period=2026-Q3&agency={AGENCY_A}&format=pdf": ("Định dạng", "Invalid download"),
            f"/staff/reports/export?period=2026-Q3&agency={AGENCY_A}": ("Định dạng", "Invalid download"),
        }
        for path, (vi, en) in cases.items():
            status, page = client.get(path)
            assert status == 400, (path, status)
            assert vi in page and en in page and "Traceback" not in page
            assert "9" * 100 not in page  # a long value is never echoed whole
            assert 'id="sr-figures"' not in page  # the message only
        # A period without evaluations says so.
        status, page = client.get(f"/staff/reports?period=2019-Q1&agency={AGENCY_A}")
        assert status == 200
        assert "Chưa có phiếu đánh giá nào của UBND Phường 1 trong kỳ 2019-Q1" in page
        status, page = client.get(f"/staff/reports?period=2019-Q1&agency={AGENCY_A}&lang=en")
        assert "There are no evaluations for UBND Phường 1 in period 2019-Q1" in page
        # Without a period: the current quarter, and the picker offers recent ones.
        status, page = client.get("/staff/reports")
        today = datetime.now(timezone.utc).astimezone(ZoneInfo(DEFAULT_TZ)).date()
        periods = _parse(page).options["sr-period"]
        assert status == 200 and (current_quarter(today), True) in periods and len(periods) >= 8
    assert _exports(live_db_url) == []


def test_reports_page_in_a_browser_on_a_phone_and_a_desktop(chromium, live_db_url) -> None:
    seed = _seeded(live_db_url)
    with serve_app(seed.settings) as base:
        context = chromium.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True)
        page = context.new_page()
        browser_sign_in(page, base, "viewer_a")
        page.get_by_role("link", name="Báo cáo").first.click()
        page.wait_for_selector("[data-page=staff-reports]")
        page.select_option("#sr-period", REPORT_PERIOD)
        page.get_by_role("button", name="Xem báo cáo").click()
        page.wait_for_url(re.compile(rf"period={REPORT_PERIOD}"))
        assert page.locator("[data-figure=evaluations]").inner_text() == "3"
        options = page.locator("#sr-agency option").evaluate_all("els => els.map(e => e.value)")
        assert options == [AGENCY_A, UNIT_A]
        # Usable at 360 px: the page itself never scrolls sideways (wide tables scroll in their box).
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=screenshot_path("staff-reports-phone"), full_page=True)
        with page.expect_download() as info:
            page.locator("[data-export=xlsx]").click()
        download = info.value
        assert download.suggested_filename == f"hailong-bao-cao-{REPORT_PERIOD}-{AGENCY_A}.xlsx"
        sheet = load_workbook(io.BytesIO(download.path().read_bytes()))["ket-qua"]
        assert REPORT_PERIOD in str(sheet["A2"].value) and "UBND Phường 1" in str(sheet["A3"].value)
        context.close()

        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        browser_sign_in(page, base, "admin")
        page.goto(f"{base}/staff/reports?period={REPORT_PERIOD}&lang=en")
        assert page.locator("h1").inner_text() == "Satisfaction reports"
        assert page.locator("[data-figure=evaluations]").inner_text() == "5"
        assert page.locator("#sr-ket-qua tbody tr").count() == 3  # A, its unit, B
        page.screenshot(path=screenshot_path("staff-reports-desktop"), full_page=True)
        context.close()
    assert [(a, d["format"]) for a, _, d in _exports(live_db_url)] == [("user:viewer_a", "xlsx")]


def test_an_agency_report_uses_its_own_window_and_bands(live_db_url) -> None:
    """What the settings page stores (calendar months, the agency's bands) is what its report uses."""
    from storage import update_agency_settings

    seeded = _seeded(live_db_url)
    bands = [{"code": "low", "from": 0, "to": 17.9, "name": {"vi": "Chưa đạt", "en": "Not yet"}},
             {"code": "top", "from": 18, "to": 18, "name": {"vi": "Tuyệt đối", "en": "Perfect"}}]

    async def configure() -> None:
        async with open_database(live_db_url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY_A)
            await update_agency_settings(s, agency.id, {"report_window": "calendar", "rating_bands": bands})
    run_async(configure())
    with serve_app(seeded.settings) as base:
        client, _ = signed_in(base, "viewer_a")
        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}")
        assert status == 200
        calendar = parse_period(REPORT_PERIOD, Window.CALENDAR)  # 01/10–31/12, not the 15th-to-14th window
        assert formats.day(calendar.first, "vi") in page and formats.day(calendar.last, "vi") in page
        # The agency's bands grade only a total of all nine indicators (tests/reports/test_reports_rows.py);
        # citizens answer five of them, so this one is shown ungraded rather than as "Chưa đạt".
        band = _parse(page).figures["band"]
        assert band.startswith("Mới có 6/9 chỉ số") and "Chưa xếp loại vì còn thiếu chỉ số 2, 5, 9" in band
        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={UNIT_A}")  # the unit: defaults
        cutoff = parse_period(REPORT_PERIOD)
        assert status == 200 and formats.day(cutoff.first, "vi") in page


def test_the_public_page_of_an_agency_uses_its_own_window(live_db_url) -> None:
    """The public disclosure of one agency follows the report window set on its settings page."""
    from surveykit import Client

    from storage import update_agency_settings

    seeded = _seeded(live_db_url)

    async def configure() -> None:
        async with open_database(live_db_url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY_A)
            await update_agency_settings(s, agency.id, {"report_window": "calendar"})
    run_async(configure())
    calendar, cutoff = parse_period(REPORT_PERIOD, Window.CALENDAR), parse_period(REPORT_PERIOD)
    with serve_app(seeded.settings) as base:
        status, page = Client(base).get(f"/public/results?period={REPORT_PERIOD}&agency={AGENCY_A}")
        assert status == 200 and f"{formats.day(calendar.first, 'vi')} – {formats.day(calendar.last, 'vi')}" in page
        status, page = Client(base).get(f"/public/results?period={REPORT_PERIOD}&agency={AGENCY_B}")
        assert status == 200 and f"{formats.day(cutoff.first, 'vi')} – {formats.day(cutoff.last, 'vi')}" in page


def _one_in_the_quarter_before(url: str) -> None:
    """A very satisfied evaluation of agency A on 20/08/2026 (2026-Q3): the quarter before REPORT_PERIOD."""
    from datetime import date

    from storage import AnswerIn, record_evaluation, upsert_dossier

    at = datetime(2026, 8, 20, 3, 0, tzinfo=timezone.utc)

    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY_A)
            dossier, _ = await upsert_dossier(s, code=f"{AGENCY_A}-260818-0001", agency_id=agency.id, status=10,
                                              received_on=date(2026, 8, 18), due_on=date(2026, 8, 19),
                                              returned_on=date(2026, 8, 19), now=at)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=agency.id, channel="web", schema_version="t",
                                    completed_at=at, answers=[AnswerIn("satisfaction.overall", level=2)])
    run_async(run())


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 800)])
def test_the_reports_page_fits_a_phone_and_a_desktop(chromium, live_db_url, width, height) -> None:
    """A summary in words and the rate per quarter come before the tables; every wide table scrolls in
    its own box that says so (a visible hint, reachable by keyboard), nothing else is wider than the
    screen; the chart's text is the body's size and never cut; the long tables fold (<details>)."""
    seed = _seeded(live_db_url)
    _one_in_the_quarter_before(live_db_url)
    with serve_app(seed.settings) as base:
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        browser_sign_in(page, base, "viewer_a")
        page.goto(f"{base}/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}")
        seen = measure(page)
        assert_fits(seen, scroll_boxes=True)
        assert_readable_charts(seen, at_least=6)
        said = page.locator("#sr-said").inner_text()
        assert said.startswith(f"Kỳ {REPORT_PERIOD} (15/09/2026 – 14/12/2026): UBND Phường 1 có 3 phiếu đánh giá.")
        assert "Tỷ lệ hài lòng 66,7\u00a0%" in said and "1 phiếu không hài lòng (33,3\u00a0%)" in said
        assert "Giảm 33,3 điểm phần trăm so với quý 2026-Q3 (100,0\u00a0%)" in said
        # The words and the chart before the figures and the tables.
        first_table = page.locator("details.sr-block").first
        assert page.locator("#sr-summary").evaluate(
            "(s, t) => !!(s.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)",
            first_table.element_handle())
        trend = page.locator("#sr-trend svg text").evaluate_all("ts => ts.map(t => t.textContent)")
        assert trend[-2:] == ["2026-Q3: 100,0\u00a0%", "2026-Q4: 66,7\u00a0%"] and len(trend) == 6

        blocks = page.locator("details.sr-block")
        # Seven tables and the one by answer scale (reports.scales); the rest folded.
        assert blocks.count() == 8 and page.locator("details.sr-block[open]").count() == 2
        page.get_by_role("button", name="Mở tất cả các bảng").click()
        assert page.locator("details.sr-block[open]").count() == 8
        seen = measure(page)
        assert_fits(seen, scroll_boxes=True)
        wide = [b for b in seen["scrollers"] if b["overflowing"]]
        assert any(b["id"] == "sr-wrap-ket-qua" for b in wide)  # the results table is wider at both sizes
        assert all(b["hinted"] for b in wide)
        page.screenshot(path=screenshot_path(f"staff-reports-{width}"), full_page=True)
        page.get_by_role("button", name="Thu gọn tất cả").click()
        assert page.locator("details.sr-block[open]").count() == 0
        page.goto(f"{base}/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}&lang=en")
        assert "Down 33.3 percentage points on 2026-Q3 (100.0%)" in page.locator("#sr-said").inner_text()
        assert_fits(measure(page), scroll_boxes=True)
        context.close()


def test_the_summary_in_words_escapes_names_and_keeps_periods_whole() -> None:
    from bot.web.staff_reports import summary_words
    from reports.results import Row

    row = Row(key=None, label="x", evaluations=3, levels=(1, 1, 1), shares=(33.3, 33.3, 33.4), rate=66.7, rates={},
              means={}, total=9.0, band=None)
    said = " ".join(summary_words("vi", "<b>A & B</b>", parse_period("2026-Q4"), row,
                                  [("2026-Q3", 66.7), ("2026-Q4", 66.7)]))
    assert "&lt;b&gt;A &amp; B&lt;/b&gt; có 3 phiếu" in said and "<b>" not in said
    assert '<span class="nowrap">2026-Q4</span>' in said and "Bằng quý <span class=\"nowrap\">2026-Q3</span>" in said
    # A year's report is not compared with a quarter; an empty period says only how many (none).
    empty = Row(key=None, label="x", evaluations=0, levels=None, shares=None, rate=None, rates={}, means={},
                total=None, band=None)
    assert len(summary_words("en", "A", parse_period("2026"), row, [("2026-Q3", 50.0), ("2026-Q4", 66.7)])) == 3
    assert len(summary_words("en", "A", parse_period("2026-Q4"), empty, [("2026-Q3", 50.0), ("2026-Q4", None)])) == 1
