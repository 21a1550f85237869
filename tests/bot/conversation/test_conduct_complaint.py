"""A citizen's "the officer caused trouble" answer (indicator.7 = 0) opens a register entry, once, in the
evaluation's transaction; it then counts for indicator 7 of that dossier (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from bot.conversation.alerts import register_conduct_complaint
from reports.periods import parse_period
from reports.results import build_results
from storage import AnswerIn, record_evaluation, upsert_agency, upsert_dossier
from storage.scores import complaints
from survey_flows import load_schema

#: 18:30 UTC on 30/04 is 01:30 on 01/05 in Hà Nội: the entry is received on 01/05 (Vietnam day).
AT = datetime(2026, 4, 30, 18, 30, tzinfo=timezone.utc)


async def _evaluated(db, code: str, conduct: int) -> tuple[int, int, list[AnswerIn]]:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="C1", name="UBND Xã Ba", now=AT)
        dossier, _ = await upsert_dossier(s, code=code, agency_id=agency.id, status=10, received_on=date(2026, 4, 1),
                                          due_on=date(2026, 4, 10), returned_on=date(2026, 4, 5), now=AT)
        answers = [AnswerIn("indicator.1", value=2), AnswerIn("indicator.7", value=conduct)]
        evaluation = await record_evaluation(s, dossier_id=dossier.id, agency_id=agency.id, channel="web",
                                             schema_version="2018", completed_at=AT, answers=answers)
    return agency.id, evaluation.id, answers


async def test_a_trouble_answer_opens_one_register_entry_that_zeroes_indicator_7(db) -> None:
    agency_id, evaluation_id, answers = await _evaluated(db, "C1-01", 0)
    async with db.transaction() as s:
        args = {"evaluation_id": evaluation_id, "agency_id": agency_id, "dossier_code": "C1-01", "answers": answers,
                "now": AT}
        assert await register_conduct_complaint(s, **args)
        assert not await register_conduct_complaint(s, **args)  # once per evaluation
        [entry] = await complaints(s, agency_id=agency_id)
    assert (entry.origin, entry.dossier_code, entry.about_conduct) == ("citizen_answer", "C1-01", True)
    assert (entry.received_on, entry.due_on) == (date(2026, 5, 1), date(2026, 5, 11))
    async with db.transaction() as s:
        results = await build_results(s, parse_period("2026-Q2"), bands=load_schema().bands, now=AT)
    seven = next(line for line in results.agencies[0].score.lines if line.indicator == 7)
    assert (seven.dossiers, seven.dossier_mean) == (1, 0)  # early, but complained of


async def test_a_no_trouble_answer_opens_nothing(db) -> None:
    agency_id, evaluation_id, answers = await _evaluated(db, "C1-02", 2)
    async with db.transaction() as s:
        assert not await register_conduct_complaint(s, evaluation_id=evaluation_id, agency_id=agency_id,
                                                    dossier_code="C1-02", answers=answers, now=AT)
        assert await complaints(s, agency_id=agency_id) == []
