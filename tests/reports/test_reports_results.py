"""Report figures against the hand-computed district of conftest.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

from report_district import NOW, District

from reports.periods import Period, Window, parse_period
from reports.results import Results, build_results
from storage import AnswerIn, Database, record_evaluation, upsert_dossier
from storage.results import Dimension, SettlementCounts
from survey_flows import load_schema

BANDS = load_schema().bands


async def _results(db: Database, name: str = "2019-Q2", window: Window = Window.CUTOFF) -> Results:
    async with db.transaction() as s:
        return await build_results(s, parse_period(name, window), bands=BANDS, now=NOW)


async def test_agency_summary_matches_the_hand_computed_figures(db: Database, district: District) -> None:
    a = (await _results(db)).agencies[0]
    row = a.summary
    assert (a.code, row.evaluations, row.levels) == ("A1", 6, (3, 2, 1))
    assert row.shares == (50.0, 33.3, 16.7)
    assert row.rate == 83.3
    assert row.means == {1: 1.5, 2: None, 3: 1.5, 4: 1.5, 5: None, 6: 1.83, 7: 1.5, 8: 2.0, 9: None}
    assert row.total == 9.8 and row.band is None  # 7 of 9 indicators (5 and 9 not entered): not graded
    assert row.settlement == SettlementCounts(a.agency_id, None, 6, 1, 2, 2, 1, 1, 1)


async def test_windows_compare_local_days_not_utc_dates(db: Database, district: District) -> None:
    # The evaluation at 17:30 UTC on 14/06 is on 15/06 in Hà Nội: it belongs to Q3's cut-off window.
    q3 = (await _results(db, "2019-Q3")).agencies[0].summary
    assert (q3.evaluations, q3.levels) == (1, (0, 0, 1))
    calendar = (await _results(db, "2019-Q2", Window.CALENDAR)).agencies[0].summary
    assert calendar.evaluations == 6  # 1/4–30/6: the 15/03 one is out, the 15/06 one is in


async def test_drill_down_by_officer_and_channel(db: Database, district: District) -> None:
    drill = (await _results(db)).agencies[0].drill
    officers = {r.label: (r.evaluations, r.rate) for r in drill[Dimension.OFFICER]}
    assert officers == {"Cán bộ O1": (4, 100.0), "Cán bộ O2": (2, 50.0)}
    channels = {r.key: r.evaluations for r in drill[Dimension.CHANNEL]}
    assert {r.label for r in drill[Dimension.CHANNEL]} == {"Máy tính bảng, kiosk tại Bộ phận Một cửa", "Telegram", "Đường dẫn web"}
    assert channels == {"kiosk": 2, "telegram": 2, "web": 2}
    procedures = {r.label: r.settlement.late for r in drill[Dimension.PROCEDURE]}
    assert procedures == {"Thủ tục P1": 0, "Thủ tục P2": 1}


async def test_response_rate_by_channel(db: Database, district: District) -> None:
    a, b = (await _results(db)).agencies
    assert [(r.channel, r.invited, r.answered, r.rate) for r in a.responses] == [("sms", 1, 0, 0.0)]
    assert [(r.channel, r.invited, r.answered, r.rate) for r in b.responses] == [("web", 1, 1, 100.0)]


async def test_small_groups_are_suppressed_when_published(db: Database, district: District) -> None:
    b = (await _results(db)).agencies[1].summary
    assert b.evaluations == 3 and b.rate == 100.0
    public = b.public()
    assert public.suppressed and public.rate is None and public.levels is None and public.total is None
    assert not (await _results(db)).agencies[0].summary.public().suppressed


async def test_an_empty_period_has_no_figures(db: Database, district: District) -> None:
    row = (await _results(db, "2018-Q1")).agencies[0].summary
    assert (row.evaluations, row.rate, row.total, row.band, row.shares) == (0, None, None, None, (None, None, None))


async def test_new_evaluations_are_picked_up_on_the_next_report(db: Database, district: District) -> None:
    assert (await _results(db)).agencies[0].summary.evaluations == 6
    async with db.transaction() as s:
        dossier, _ = await upsert_dossier(s, code="A1-50", agency_id=district.a, status=10,
                                          received_on=date(2019, 5, 1), returned_on=date(2019, 5, 2), now=NOW)
        await record_evaluation(s, dossier_id=dossier.id, agency_id=district.a, channel="zalo", schema_version="t",
                                completed_at=datetime(2019, 5, 2, 3, tzinfo=timezone.utc),
                                answers=[AnswerIn("satisfaction.overall", level=0)])
    row = (await _results(db)).agencies[0].summary
    assert (row.evaluations, row.levels) == (7, (3, 2, 2))
    assert (await _results(db)).agencies[0].summary.evaluations == 7  # refreshing again adds nothing


async def test_buckets_and_a_scan_of_the_facts_agree(db: Database, district: District) -> None:
    # 16/03–13/06 is not made of whole half-months: it is summed from the facts directly.
    odd = Period("odd", date(2019, 3, 16), date(2019, 6, 13))
    async with db.transaction() as s:
        row = (await build_results(s, odd, bands=BANDS, now=NOW)).agencies[0].summary
    assert (row.evaluations, row.levels) == (5, (2, 2, 1))  # the 15/03 evaluation is out


async def test_another_cutoff_day_rebuilds_the_buckets(db: Database, district: District) -> None:
    assert (await _results(db)).agencies[0].summary.evaluations == 6
    async with db.transaction() as s:
        period = parse_period("2019-Q2", cutoff_day=20)  # 20/03–19/06: the 15/03 one out, the 15/06 one in
        row = (await build_results(s, period, bands=BANDS, now=NOW, cutoff_day=20)).agencies[0].summary
    assert (row.evaluations, row.levels) == (6, (2, 2, 2))
