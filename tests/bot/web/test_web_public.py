"""The public results page in a real Chromium: figures, suppression, charts, no personal data."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from layoutkit import assert_fits, assert_readable_charts, measure
from live import run_async, screenshot_path, serve_app
from report_district import seed_district

from bot.common.settings import load_settings
from storage import (
    AnswerIn,
    find_agency,
    open_database,
    record_evaluation,
    update_agency_settings,
    upgrade_async,
    upsert_agency,
    upsert_dossier,
    upsert_field,
    upsert_procedure,
)

PHONE = re.compile(r"(\+84|0)\d{9}")
LONG_NAME = "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân Quận Hoàn Kiếm"
CONTACT = {"address": "126 Hàng Trống, phường Hàng Trống, quận Hoàn Kiếm, Hà Nội", "phone": "024 3825 3536",
           "email": "vanphong_hoankiem@hanoi.gov.vn"}


def _seeded(tmp_path, *, more: bool = False, long: bool = False) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    run_async(upgrade_async(url))

    async def seed() -> None:
        async with open_database(url) as db:
            await seed_district(db)
            if more:
                await _more_in_a(db)
            if long:
                await _long_named(db)

    run_async(seed())
    return url


async def _long_named(db) -> None:
    """A third agency with a long name, its contact set, 7 evaluations in 2019-Q2 in one field: three
    procedures of 4, 2 and 1 (all withheld: the field of 7 would give the small ones away) and channels of 5 and 2."""
    at = datetime(2019, 5, 20, 3, 0, tzinfo=timezone.utc)
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="HK", name=LONG_NAME, now=at)
        await update_agency_settings(s, agency.id, CONTACT)
        field = await upsert_field(s, code="F9", name="Chứng thực")
        procedures = [await upsert_procedure(s, code=f"CT-{n}", name=name, field_id=field.id) for n, name in
                      enumerate(("Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền cấp",
                                 "Chứng thực chữ ký", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản"))]
        for n, (proc, channel, level) in enumerate([(0, "kiosk", 2), (0, "kiosk", 2), (0, "kiosk", 1),
                                                    (0, "kiosk", 0), (1, "kiosk", 2), (1, "web", 1),
                                                    (2, "web", 2)]):
            dossier, _ = await upsert_dossier(s, code=f"HK-{n}", agency_id=agency.id, status=10,
                                              received_on=date(2019, 5, 1), due_on=date(2019, 5, 10),
                                              returned_on=date(2019, 5, 9), procedure_id=procedures[proc].id,
                                              now=at)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=agency.id, channel=channel,
                                    schema_version="t", completed_at=at,
                                    answers=[AnswerIn("satisfaction.overall", level=level)])


async def _more_in_a(db) -> None:
    """Agency A in 2019-Q2 becomes: procedures P1 4 + 3 = 7, P2 2, P3 6 (all in field "Hộ tịch", 15);
    channels kiosk 2 + 9 = 11, telegram 2, web 2. Every new evaluation is "very satisfied"."""
    at = datetime(2019, 5, 10, 3, 0, tzinfo=timezone.utc)
    async with db.transaction() as s:
        a = await find_agency(s, "A1")
        field = await upsert_field(s, code="F1", name="Hộ tịch")
        procedures = {c: await upsert_procedure(s, code=c, name=f"Thủ tục {c}", field_id=field.id)
                      for c in ("P1", "P3")}
        for n, proc in enumerate(["P1"] * 3 + ["P3"] * 6):
            dossier, _ = await upsert_dossier(s, code=f"A1-5{n}", agency_id=a.id, status=10,
                                              received_on=date(2019, 5, 1), due_on=date(2019, 5, 10),
                                              returned_on=date(2019, 5, 9), procedure_id=procedures[proc].id,
                                              now=at)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=a.id, channel="kiosk", schema_version="t",
                                    completed_at=at, answers=[AnswerIn("satisfaction.overall", level=2)])


def test_public_results_page_in_a_browser(chromium, tmp_path) -> None:
    url = _seeded(tmp_path)
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base + "/public/results?period=2019-Q2")
        assert page.locator("h1").inner_text().startswith("Công khai kết quả")
        rows = page.locator("#results tbody tr")
        first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
        assert "UBND Phường 1" in first and "83,3\u00a0%" in first and "9,8" in first
        # 6 of 9 indicators: a total, never a band, and which are missing in words.
        assert "Mới có 6/9 chỉ số" in first and "thiếu chỉ số 2, 5, 9" in first and "Khá" not in first
        assert "UBND Phường 2" in second and "< 5" in second and "100" not in second  # 3 evaluations: hidden
        # The total pools published agencies only, so it cannot be used to work out the hidden one.
        assert "83,3\u00a0%" in page.locator("#overall-rate").inner_text()
        assert page.locator("svg").count() == 2
        assert "15/03/2019 – 14/06/2019" in page.content()
        assert not PHONE.search(page.content()) and "Cán bộ" not in page.content()
        page.screenshot(path=screenshot_path("public-results"), full_page=True)
        page.select_option("select[name=agency]", "A1")
        page.get_by_role("button", name="Xem").click()
        page.wait_for_url("**agency=A1**")
        assert "Theo thủ tục" in page.content() and "Thủ tục P2" in page.content()
        # P2 has 2 evaluations (levels 1 and 0: 50,0 %): its row keeps the name, never a figure.
        p2 = page.locator("#drill-procedure tbody tr", has_text="Thủ tục P2").inner_text()
        assert "Không công bố" in p2 and "%" not in p2 and "50" not in p2 and "\t2\t" not in p2
        assert "%" not in page.locator("#drill-channel tbody").inner_text()  # 2 + 2 + 2: every channel hidden
        field = page.locator("#drill-field tbody tr", has_text="Hộ tịch").inner_text()
        assert "83,3\u00a0%" in field  # the field holds all 6: published
        page.emulate_media(media="print")
        assert not page.locator("form").is_visible()
        page.screenshot(path=screenshot_path("public-results-agency-print"), full_page=True)
        page.close()


def test_public_results_in_english_and_a_bad_period(chromium, tmp_path) -> None:
    url = _seeded(tmp_path)
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page()
        page.goto(base + "/public/results?period=2019-Q2&lang=en")
        assert "83.3%" in page.locator("#results").inner_text()
        response = page.goto(base + "/public/results?period=2019-Q9")
        assert response.status == 400 and "kỳ báo cáo" in page.content()
        page.close()


def test_a_hidden_group_cannot_be_worked_out_from_the_agency_page(chromium, tmp_path) -> None:
    # Procedures of A: P1 7, P2 2, P3 6 (field 15). Hiding P2 alone would leave it as 15 - 7 - 6 = 2
    # with its levels: the next-smallest, P3, is withheld with it; P1 stays published.
    url = _seeded(tmp_path, more=True)
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base + "/public/results?period=2019-Q2&agency=A1")
        agency = page.locator("#results tbody tr").nth(0).inner_text()
        assert "UBND Phường 1" in agency and "15" in agency  # the agency's total is published
        procedures = page.locator("#drill-procedure tbody tr")
        rows = {procedures.nth(i).locator("th").inner_text(): procedures.nth(i).locator("td").all_inner_texts()
                for i in range(procedures.count())}
        assert set(rows) == {"Thủ tục P1", "Thủ tục P2", "Thủ tục P3"}
        assert rows["Thủ tục P1"][0] == "7" and "%" in rows["Thủ tục P1"][4]  # published
        for hidden in ("Thủ tục P2", "Thủ tục P3"):  # 2 evaluations, and 6 withheld with it
            assert len(rows[hidden]) == 2 and rows[hidden][0] == "—\u00a0*" and rows[hidden][1] == "Không công bố"
        # Why, once under the table (the rows' "*" link to it), not on every row.
        assert page.locator("#note-procedure").inner_text().startswith("* Không công bố: nhóm dưới 5 phiếu")
        assert page.content().count("hoặc nhóm được ẩn kèm") == 2  # procedures and channels, once each
        assert page.locator("#drill-procedure a.mark").first.get_attribute("href") == "#note-procedure"
        channels = page.locator("#drill-channel tbody").inner_text()
        assert "11" in channels and channels.count("Không công bố") == 2  # telegram 2, web 2 hide each other
        page.screenshot(path=screenshot_path("public-results-complementary"), full_page=True)
        page.close()


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 800)])
def test_the_public_page_fits_a_phone_and_a_desktop(chromium, tmp_path, width, height) -> None:
    """Nothing wider than the screen (rows become cards on a phone, every figure named), charts whose
    text is the body's size and never cut (a long agency name wraps above its bar), titles before their
    charts, the period named by every figure, one footnote for the withheld rows, the agency's contact."""
    url = _seeded(tmp_path, long=True)
    with serve_app(load_settings(env_file=None, database_url=url)) as base:
        page = chromium.new_page(viewport={"width": width, "height": height})
        for lang in ("vi", "en"):
            page.goto(base + f"/public/results?period=2019-Q2&lang={lang}")
            seen = measure(page)
            assert_fits(seen, scroll_boxes=False)
            assert_readable_charts(seen, at_least=6 + 3)  # 6 quarters; 3 agencies
            shown = " ".join(t["text"] for t in seen["texts"])
            assert "…" not in shown and " ".join(LONG_NAME.split()) in " ".join(shown.split())
        page.goto(base + "/public/results?period=2019-Q2")
        page.screenshot(path=screenshot_path(f"public-results-{width}"), full_page=True)
        # Each chart's title comes before it, with the period it covers.
        for chart in ("#chart-trend", "#chart-levels"):
            order = page.locator(chart).evaluate(
                "f => [...f.children].map(c => c.tagName.toLowerCase())")
            assert order.index("figcaption") < order.index("svg"), order
        assert "2019-Q2" in page.locator("#chart-levels figcaption").inner_text()
        assert "2019-Q2" in page.locator("#chart-trend figcaption").inner_text()
        assert "2019-Q2" in page.locator("p.overall").inner_text()
        assert "2019-Q2" in page.locator("#by-agency").inner_text()
        # The hidden ward: a short mark on its row, the reason once below the table.
        ward = page.locator("#results tbody tr", has_text="UBND Phường 2")
        assert ward.locator("td").first.inner_text() == "< 5\u00a0*"
        assert page.locator("#note-results").count() == 1 and "dưới 5 phiếu" in page.locator("#note-results").inner_text()
        if width == 360:  # a card: each figure next to the name of its column
            card = page.locator("#results tbody tr", has_text="UBND Phường 1")
            labels = card.locator("td").evaluate_all(
                "tds => tds.map(td => getComputedStyle(td, '::before').content)")
            assert labels[:2] == ['"Số phiếu"', '"Rất hài lòng"'] and '"Tỷ lệ hài lòng"' in labels

        page.goto(base + "/public/results?period=2019-Q2&agency=HK")
        seen = measure(page)
        assert_fits(seen, scroll_boxes=False)
        assert_readable_charts(seen, at_least=6 + 1)
        contact = page.locator("#agency-contact").inner_text()
        assert CONTACT["address"] in contact and CONTACT["phone"] in contact and CONTACT["email"] in contact
        assert page.locator("#agency-contact a[href^=tel]").get_attribute("href") == "tel:02438253536"
        procedures = page.locator("#drill-procedure").inner_text()
        assert procedures.count("Không công bố") == 3 and "hoặc nhóm được ẩn kèm" not in procedures
        assert "hoặc nhóm được ẩn kèm" in page.locator("#note-procedure").inner_text()
        page.screenshot(path=screenshot_path(f"public-results-agency-{width}"), full_page=True)
        page.close()
