"""The public results page in a real Chromium: figures, suppression, charts, no personal data."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from live import run_async, screenshot_path, serve_app
from report_district import seed_district

from bot.common.settings import load_settings
from storage import (
    AnswerIn,
    find_agency,
    open_database,
    record_evaluation,
    upgrade_async,
    upsert_dossier,
    upsert_field,
    upsert_procedure,
)

PHONE = re.compile(r"(\+84|0)\d{9}")


def _seeded(tmp_path, *, more: bool = False) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    run_async(upgrade_async(url))

    async def seed() -> None:
        async with open_database(url) as db:
            await seed_district(db)
            if more:
                await _more_in_a(db)

    run_async(seed())
    return url


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
        assert "UBND Phường 1" in first and "83,3\u00a0%" in first and "10,0" in first and "Khá" in first
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
