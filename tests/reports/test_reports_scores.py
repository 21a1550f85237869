"""Indicators 7 and 8 per the law and honest totals, through build_results, on SQLite and PostgreSQL.

Every figure below is computed by hand in the comments (issue 12).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from scorekit import EXPECTED_BAND, EXPECTED_TOTAL, PARTIAL_TOTAL, PERIOD, SEEDED, seed_quarter

from reports.periods import parse_period
from reports.results import AgencyResults, build_results
from storage import Database, upsert_agency
from storage.scores import add_complaint, set_entry, update_complaint
from survey_flows import load_schema

BANDS = load_schema().bands
UTC = timezone.utc
NOW = datetime(2026, 6, 20, 3, tzinfo=UTC)  # after the quarter's last day (14/06/2026)


async def _agencies(db: Database, now: datetime = NOW, period: str = PERIOD) -> dict[str, AgencyResults]:
    async with db.transaction() as s:
        results = await build_results(s, parse_period(period), bands=BANDS, now=now)
    return {a.code: a for a in results.agencies}


def _line(agency: AgencyResults, indicator: int):
    return next(line for line in agency.score.lines if line.indicator == indicator)


async def test_all_nine_present_give_the_band(db: Database) -> None:
    await seed_quarter(db)
    s1 = (await _agencies(db))["S1"]
    assert s1.score.complete and s1.score.total == EXPECTED_TOTAL and s1.score.band.code == EXPECTED_BAND
    assert (s1.summary.total, s1.summary.band.code) == (EXPECTED_TOTAL, EXPECTED_BAND)
    assert _line(s1, 5).points == 1.5 and _line(s1, 5).self_score == 2  # the appraisal wins
    assert s1.summary.means == {1: 1.83, 2: 2.0, 3: 2.0, 4: 2.0, 5: 1.5, 6: 2.0, 7: 1.83, 8: 2.0, 9: 1.0}
    assert s1.score.phrase("vi") == "16,2/18 điểm — Xuất sắc"


async def test_a_missing_agency_indicator_withholds_the_band(db: Database) -> None:
    await seed_quarter(db, with_indicator_9=False)
    s1 = (await _agencies(db))["S1"]
    assert s1.score.total == PARTIAL_TOTAL and s1.score.band is None and s1.score.missing == (9,)
    assert s1.summary.total == PARTIAL_TOTAL and s1.summary.band is None
    assert s1.score.phrase("vi").startswith("Mới có 8/9 chỉ số: 15,2 điểm trên tối đa 16 điểm")
    assert "thiếu chỉ số 9" in s1.score.phrase("vi")
    assert "8 of 9 indicators" in s1.score.phrase("en")


async def test_indicator_7_early_on_time_and_a_complaint_then_verified_untrue(db: Database) -> None:
    q = await seed_quarter(db)
    # S1-00 early (2), S1-01 on time (1), S1-02 early: a conduct complaint makes it 0.
    # Another complaint on S1-01 is not about conduct: it does not touch indicator 7.
    async with db.transaction() as s:
        conduct = await add_complaint(s, agency_id=q.agency_id, received_on=date(2026, 4, 22),
                                      due_on=date(2026, 5, 2), actor="staff", now=SEEDED, dossier_code="S1-02")
        await add_complaint(s, agency_id=q.agency_id, received_on=date(2026, 4, 22), due_on=date(2026, 5, 2),
                            actor="staff", now=SEEDED, dossier_code="S1-01", about_conduct=False)
    s1 = (await _agencies(db))["S1"]
    # 7: 2 + 1 + 0 + 2 + 2 + 2 = 9 over 6 dossiers = 1.5
    assert _line(s1, 7).dossier_mean == 1.5 and s1.summary.means[7] == 1.5
    # Both complaints are open and past due at the end (02/05 < 14/06): 0 of 2 on time → indicator 8 = 0.
    assert _line(s1, 8).computed == 0
    # Total = 11/6 + 8 + 1.5 (7) + 1.5 (5) + 0 (8) + 1 (9) = 13.83 → 13.8, good (12–15).
    assert (s1.score.total, s1.score.band.code) == (13.8, "good")
    async with db.transaction() as s:
        await update_complaint(s, conduct.code, actor="staff", now=SEEDED, verification="untrue",
                               verified_on=date(2026, 5, 1), handled_on=date(2026, 5, 1))
    s1 = (await _agencies(db))["S1"]
    # Found untrue on 01/05: S1-02 is early again → 7 back to 11/6; 8: 1 of 2 on time (50 %) → 0.
    assert s1.summary.means[7] == 1.83 and _line(s1, 8).computed == 0
    assert s1.score.total == 14.2  # 11/6 + 8 + 11/6 + 1.5 + 0 + 1 = 14.17


async def test_a_complaint_verified_untrue_after_the_quarter_still_counts_for_it(db: Database) -> None:
    q = await seed_quarter(db)
    async with db.transaction() as s:
        c = await add_complaint(s, agency_id=q.agency_id, received_on=date(2026, 4, 22), due_on=date(2026, 5, 2),
                                actor="staff", now=SEEDED, dossier_code="S1-00", note="thái độ")
        await update_complaint(s, c.code, actor="staff", now=SEEDED, handled_on=date(2026, 4, 30))
    before = (await _agencies(db))["S1"]
    assert before.summary.means[7] == 1.5  # S1-00 early but complained of: 0
    async with db.transaction() as s:
        await update_complaint(s, c.code, actor="staff", now=NOW, verification="untrue", verified_on=date(2026, 6, 20))
    after = (await _agencies(db, datetime(2026, 9, 1, tzinfo=UTC)))["S1"]
    assert after.summary.means[7] == 1.5 and after.score.to_json() == before.score.to_json()
    q3 = parse_period("2026-Q3")
    assert q3.first <= date(2026, 6, 20) <= q3.last  # the verification counts from the quarter it was made in


async def _register(db: Database, code: str, rows: list[tuple[date, date, date | None, date | None]]) -> None:
    """An agency with only register entries: (received, due, handled, protracted)."""
    async with db.transaction() as s:
        agency = await upsert_agency(s, code=code, name=f"Cơ quan {code}", now=SEEDED)
        for n, (received, due, handled, protracted) in enumerate(rows):
            c = await add_complaint(s, agency_id=agency.id, received_on=received, due_on=due, actor="staff",
                                    now=SEEDED, code=f"{code}-{n}", about_conduct=False)
            await update_complaint(s, c.code, actor="staff", now=SEEDED, handled_on=handled, protracted_on=protracted)


async def test_indicator_8_from_the_register_all_edges(db: Database) -> None:
    r, d = date(2026, 4, 1), date(2026, 4, 10)
    on_time, late = (r, d, date(2026, 4, 9), None), (r, d, date(2026, 4, 11), None)
    await _register(db, "E100", [on_time] * 10)  # 100 % on time → 2
    await _register(db, "E90", [on_time] * 9 + [late])  # exactly 90 % → 1
    await _register(db, "E80", [on_time] * 8 + [late] * 2)  # 80 % → 0
    await _register(db, "EPRO", [on_time] * 9 + [(r, d, None, date(2026, 6, 1))])  # protracted in the quarter → 0
    # Open and past due at the end counts as late; open and not yet due is not counted: 1 of 1 on time → 2.
    await _register(db, "EOPEN", [on_time, (date(2026, 6, 10), date(2026, 6, 20), None, None)])
    await _register(db, "ELATE", [on_time] * 9 + [(r, d, None, None)])  # open past due: 9/10 → 1
    # Protracted and handled after the end: ignored for the quarter (2), while handled late after the end
    # is still late at the end (open, past due).
    await _register(db, "EAFTER", [(r, d, date(2026, 7, 1), date(2026, 7, 1))] + [on_time] * 9)
    agencies = await _agencies(db)
    points = {code: _line(agencies[code], 8).computed for code in
              ("E100", "E90", "E80", "EPRO", "EOPEN", "ELATE", "EAFTER")}
    assert points == {"E100": 2, "E90": 1, "E80": 0, "EPRO": 0, "EOPEN": 2, "ELATE": 1, "EAFTER": 1}
    assert agencies["E90"].score.missing == (1, 2, 3, 4, 5, 6, 7, 9)  # only 8: a total of 1 of 9, never a band
    assert agencies["E90"].summary.total == 1.0 and agencies["E90"].summary.band is None


async def test_a_closed_quarter_gives_the_same_figures_whenever_generated(db: Database) -> None:
    q = await seed_quarter(db)
    async with db.transaction() as s:
        open_one = await add_complaint(s, agency_id=q.agency_id, received_on=date(2026, 6, 1),
                                       due_on=date(2026, 6, 30), actor="staff", now=SEEDED, dossier_code="S1-03")
        late_one = await add_complaint(s, agency_id=q.agency_id, received_on=date(2026, 5, 1),
                                       due_on=date(2026, 5, 10), actor="staff", now=SEEDED, about_conduct=False)
    first = await _agencies(db, NOW)
    # 7: S1-03 complained of → (2+1+2+0+2+2)/6 = 1.5; 8: the late one is open past due (late), the other
    # not yet due (not counted): 0 of 1 → 0.
    assert first["S1"].summary.means[7] == 1.5 and _line(first["S1"], 8).computed == 0
    async with db.transaction() as s:  # everything below happens after 14/06/2026
        await update_complaint(s, open_one.code, actor="staff", now=NOW, handled_on=date(2026, 6, 25),
                               verification="untrue", verified_on=date(2026, 6, 25))
        await update_complaint(s, late_one.code, actor="staff", now=NOW, handled_on=date(2026, 6, 21),
                               protracted_on=date(2026, 6, 21))
        await add_complaint(s, agency_id=q.agency_id, received_on=date(2026, 6, 16), due_on=date(2026, 6, 17),
                            actor="staff", now=NOW, dossier_code="S1-04")
        await set_entry(s, agency_id=q.agency_id, period="2026-Q3", indicator=9, by="appraisal", points_tenths=0,
                        note="next quarter", actor="staff", now=NOW)
    later = await _agencies(db, datetime(2026, 10, 5, tzinfo=UTC))
    assert later["S1"].score.to_json() == first["S1"].score.to_json()
    assert later["S1"].summary == first["S1"].summary
