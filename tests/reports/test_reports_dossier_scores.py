"""Indicators 1, 2, 3, 4 and 9 as the law defines them, from the dossier import to the report, on SQLite
and PostgreSQL: hand-computed below.

Agency H01, evaluations on 10/05/2026 (2026-Q2, calendar months), dossiers due 10/05:

| dossier | returned | i1 | unit steps (due → done)                | i2 | i3 | i4 | online | procedure |
| D1      | 08/05    | 2  | STP 04→03, UB 08→07 (all early)        | 2  | 0  | 0  | 1      | P1        |
| D2      | 10/05    | 1  | STP 04→03, UB 08→08 (one on time)      | 1  | 0  | 0  | 0      | P1        |
| D3      | 12/05    | 0  | STP 04→05, UB 08→07 (one late)         | 0  | 2  | 2  | 1      | P2        |
| D4      | 09/05    | 2  | none                                   | —  | 1  | 1  | 0      | P2        |

Means: i1 5/4 = 1.25, i2 3/3 = 1.0 (D4 not measured: not counted), i3 3/4 = 0.75, i4 0.75.
Exceptions recorded after the evaluation: D1 applicant's fault → its i3 0 → 1 (mean 1.0); D2 appraisal
body → its i4 0 → 1 (mean 1.0); D4 applicant's fault changes nothing (it scored 1). Indicator 9 of
H01: 2/4 online (50 %), but D3 is online and late → 0.
Agency H02: D5 without steps (indicator 2 "not measured"), its exception recorded BEFORE its
evaluation: i3 0 → 1.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.conversation.turns import record_answers
from bot.office.desk import DeskRefused, record_dossier_exceptions
from bot.office.dossiers import write_rows
from bot.office.importer import check_rows
from reports.dossier_scores import online_entry
from reports.periods import Period, Window, parse_period
from reports.results import Results, build_results
from reports.tables import NOT_MEASURED, results_table
from storage import AnswerIn, Database, create_survey, dossier_card, find_dossier, rollup
from storage.dossiers import online_counts
from storage.results import Dimension
from survey_flows import load_schema
from survey_flows.indicators import DossierExceptions
from survey_flows.totals import EntryBy

SCHEMA = load_schema()
NOW = datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)
Q2 = parse_period("2026-Q2", Window.CALENDAR)
H01, H02 = "000.11.22.H01", "000.11.22.H02"
HEADER = "code,agency_code,status,received_on,due_on,returned_on,agency_name,procedure_code,procedure_name," \
         "unit_steps,online\n"
ROWS = [  # code, returned, steps, online, procedure, (i3, i4)
    ("D1", "08/05/2026", "STP:2026-05-04:2026-05-03|UB:2026-05-08:2026-05-07", "1", "P1", (0, 0)),
    ("D2", "2026-05-10", "STP:2026-05-04:2026-05-03 | UB:08/05/2026:08/05/2026", "không", "P1", (0, 0)),
    ("D3", "2026-05-12", "STP:2026-05-04:2026-05-05|UB:2026-05-08:2026-05-07", "yes", "P2", (2, 2)),
    ("D4", "2026-05-09", "", "0", "P2", (1, 1)),
]


def code(agency: str, name: str) -> str:
    return f"{agency}-260501-000{name[1]}"


def csv_text() -> str:
    lines = [f"{code(H01, n)},{H01},10,2026-05-01,2026-05-10,{ret},UBND Xã Một,{p},Thủ tục {p},{steps},{online}\n"
             for n, ret, steps, online, p, _ in ROWS]
    lines.append(f"{code(H02, 'D5')},{H02},10,2026-05-01,2026-05-10,2026-05-10,UBND Xã Hai,P1,Thủ tục P1,,\n")
    return HEADER + "".join(lines)


async def evaluate(db: Database, dossier_code: str, i3: int, i4: int) -> None:
    """The evaluation as a finished chat writes it: the dossier's computed points + the answers."""
    async with db.transaction() as s:
        dossier = await find_dossier(s, dossier_code)
        survey = await create_survey(s, dossier_id=dossier.id, token=f"t-{dossier_code[-4:]}-{dossier.agency_id}",
                                     flow_id="nd61-standard", now=NOW, expires_at=NOW + timedelta(days=3))
        answers = [AnswerIn("satisfaction.overall", level=2), AnswerIn("indicator.3", value=i3),
                   AnswerIn("indicator.4", value=i4)]
        assert await record_answers(s, SCHEMA, survey, answers, channel="web", flow_id="nd61-standard",
                                    language="vi", now=NOW)


async def results(db: Database, period: Period = Q2) -> Results:
    async with db.transaction() as s:
        return await build_results(s, period, bands=SCHEMA.bands, now=NOW)


async def except_(db: Database, dossier_code: str, exceptions: DossierExceptions) -> int:
    async with db.transaction() as s:
        card = await dossier_card(s, dossier_code)
    assert card is not None
    return await record_dossier_exceptions(db, card, exceptions, actor="user:staff", now=NOW)


async def scanned_points(db: Database, agency_id: int) -> dict[str, tuple[int, int]]:
    """Indicator sums straight from the facts (a window off the bucket edges), to check the buckets."""
    async with db.transaction() as s:
        totals = await rollup.fact_totals(s, first=date(2026, 4, 2), last=date(2026, 6, 29), by=Dimension.AGENCY,
                                          agency_id=agency_id)
    return totals[0].points


@pytest.fixture
async def imported(db: Database) -> dict[str, int]:
    good, bad = check_rows(csv_text())
    assert bad == []
    written = await write_rows(db, good, now=NOW)
    assert (written.created, written.errors) == (5, [])
    async with db.transaction() as s:
        ids = {n: (await find_dossier(s, code(H01, n))).agency_id for n in ("D1",)}
        ids["H02"] = (await find_dossier(s, code(H02, "D5"))).agency_id
    return {"H01": ids["D1"], "H02": ids["H02"]}


async def test_indicators_1_and_2_from_the_imported_dates(db: Database, imported: dict[str, int]) -> None:
    async with db.transaction() as s:
        stored = await find_dossier(s, code(H01, "D2"))
    assert stored.unit_steps == [{"unit": "STP", "due_on": "2026-05-04", "done_on": "2026-05-03"},
                                 {"unit": "UB", "due_on": "2026-05-08", "done_on": "2026-05-08"}]
    assert stored.online is False
    for name, *_, (i3, i4) in ROWS:
        await evaluate(db, code(H01, name), i3, i4)
    await evaluate(db, code(H02, "D5"), 2, 2)
    report = await results(db)
    h01, h02 = (a for a in report.agencies)
    assert (h01.summary.evaluations, h01.summary.means[1], h01.summary.means[2]) == (4, 1.25, 1.0)
    assert (h01.summary.means[3], h01.summary.means[4]) == (0.75, 0.75)
    assert h02.summary.means[2] is None  # no step dates: not measured …
    table = results_table(report)
    i2 = next(n for n, c in enumerate(table.columns) if c.heading == "CS2 / I2")
    assert table.rows[1][i2] == NOT_MEASURED == "Chưa đo / not measured"  # … and said so, never a blank
    assert table.rows[0][i2] == 1.0


async def test_exceptions_recorded_after_the_evaluation_change_the_report(db: Database,
                                                                          imported: dict[str, int]) -> None:
    # D5's exception is recorded before its evaluation: the report applies it once the facts are made.
    assert await except_(db, code(H02, "D5"), DossierExceptions(applicant_fault=True, note="thiếu giấy tờ")) == 0
    for name, *_, (i3, i4) in ROWS:
        await evaluate(db, code(H01, name), i3, i4)
    await evaluate(db, code(H02, "D5"), 0, 2)
    before = (await results(db)).agencies
    assert (before[0].summary.means[3], before[0].summary.means[4]) == (0.75, 0.75)
    assert before[1].summary.means[3] == 1.0
    # After the facts exist: D1 the applicant's fault (i3 0 → 1), D2 an appraisal council (i4 0 → 1).
    assert await except_(db, code(H01, "D1"), DossierExceptions(applicant_fault=True, note="nộp thiếu hồ sơ")) == 1
    after = (await results(db)).agencies[0].summary
    assert (after.means[3], after.means[4]) == (1.0, 0.75)
    assert await except_(db, code(H01, "D2"), DossierExceptions(appraisal_body=True, note="hội đồng thẩm định")) == 1
    assert await except_(db, code(H01, "D4"), DossierExceptions(applicant_fault=True, note="lỗi người nộp")) == 0
    after = (await results(db)).agencies[0].summary
    assert (after.means[3], after.means[4]) == (1.0, 1.0)
    # The buckets (the quarter) and the facts themselves (an unaligned window) agree.
    scanned = await scanned_points(db, imported["H01"])
    assert (scanned["indicator.3"], scanned["indicator.4"]) == ((4, 4), (4, 4))
    # Cleared: the citizen's answer counts again; the exceptions stay on record, with who and when.
    await except_(db, code(H01, "D1"), DossierExceptions(note="nhầm"))
    assert (await results(db)).agencies[0].summary.means[3] == 0.75
    async with db.transaction() as s:
        card = await dossier_card(s, code(H01, "D1"))
    assert card.exceptions == {"applicant_fault": False, "appraisal_body": False, "note": "nhầm",
                               "by": "user:staff", "at": NOW.isoformat()}


async def test_an_exception_needs_a_note(db: Database, imported: dict[str, int]) -> None:
    with pytest.raises(DeskRefused) as refused:
        await except_(db, code(H01, "D1"), DossierExceptions(applicant_fault=True, note="   "))
    assert refused.value.reason == "exception_note"
    with pytest.raises(DeskRefused) as refused:
        await except_(db, code(H01, "D1"), DossierExceptions(appraisal_body=True, note="x" * 501))
    assert refused.value.reason == "exception_note_long"
    async with db.transaction() as s:
        assert (await dossier_card(s, code(H01, "D1"))).exceptions is None  # nothing written


def online_csv(agency: str, n: int, online: int, *, procedures: int = 1, procedures_online: int = 1,
               late: int = 0) -> str:
    """n dossiers received in May, the first `online` submitted online (the first `late` of them late)."""
    lines = []
    for i in range(n):
        returned = "2026-05-12" if i < late else "2026-05-09"
        proc = f"P{i % procedures}" if i >= online else f"P{i % procedures_online}"
        lines.append(f"{agency}-260501-{i + 1:04d},{agency},10,2026-05-01,2026-05-10,{returned},Xã {agency[-3:]},"
                     f"{proc},Thủ tục {proc},,{1 if i < online else 0}\n")
    return "".join(lines)


@pytest.mark.parametrize(("n", "online", "procedures", "late", "points"), [
    (10, 3, 1, 0, 2),  # 30 % of dossiers, 100 % of procedures, none late
    (20, 6, 5, 0, 2),  # 30 % of dossiers, 1 of 5 procedures = 20 %
    (20, 6, 6, 0, 1),  # 30 % of dossiers but 1 of 6 procedures = 16.7 %
    (20, 5, 1, 0, 1),  # 25 %
    (20, 3, 1, 0, 1),  # 15 %
    (7, 1, 1, 0, 0),  # 14.3 %
    (10, 3, 1, 1, 0),  # 30 %, one online dossier late
])
async def test_indicator_9_from_online_counts_at_its_thresholds(db: Database, n: int, online: int, procedures: int,
                                                                late: int, points: int) -> None:
    agency = "000.11.22.H09"
    text = HEADER + online_csv(agency, n, online, procedures=procedures, late=late)
    # Not counted: a dossier received after the quarter, and one that does not say whether it was online.
    text += f"{agency}-260701-0001,{agency},10,2026-07-01,2026-07-10,2026-07-05,,,,,1\n"
    text += f"{agency}-260502-0001,{agency},10,2026-05-02,2026-05-10,2026-05-05,,,,,\n"
    good, bad = check_rows(text)
    assert bad == []
    await write_rows(db, good, now=NOW)
    async with db.transaction() as s:
        counts = await online_counts(s, first=Q2.first, last=Q2.last)
    (agency_id, found), = counts.items()
    assert found[:2] == (online, n) and found.late == late
    assert (found.procedures, found.procedures_online) == (procedures, 1)
    entry = online_entry(found, SCHEMA)
    assert (entry.indicator, entry.points, entry.by) == (9, points, EntryBy.COMPUTED)
    assert f"{online}/{n}" in entry.note
    summary = next(a for a in (await results(db)).agencies if a.agency_id == agency_id)
    assert summary.computed == (entry,) and summary.summary.means[9] == float(points)


async def test_imported_h01_has_indicator_9_zero_for_a_late_online_dossier(db: Database,
                                                                          imported: dict[str, int]) -> None:
    async with db.transaction() as s:
        counts = await online_counts(s, first=Q2.first, last=Q2.last, agency_id=imported["H01"])
    assert counts == {imported["H01"]: (2, 4, 1, 2, 2)}
    assert online_entry(counts[imported["H01"]]).points == 0
    async with db.transaction() as s:  # H02 said nothing about online: no figure, not a zero
        assert await online_counts(s, first=Q2.first, last=Q2.last, agency_id=imported["H02"]) == {}
