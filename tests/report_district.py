"""A hand-computed district for report tests: agency A with 6 evaluations in 2019-Q2, B with 3.

Agency A, overall levels 2,2,1,0,1,2 → 3/2/1, rate 5/6 = 83.3 %; indicator means 1.5 (1), 1.5 (3),
1.5 (4), 11/6 (6); indicator 7 per the law from timeliness 2,2,1,0,2,2 and the register (A1-03, whose
applicant reported trouble, has a conduct complaint: 0 either way, it was late) → 9/6 = 1.5; plus
indicator 8 = 2 (the one complaint handled on time) → total 8 + 11/6 = 9.83 → 9.8, 7 of 9 indicators. Settlement over the Q2
cut-off window (15/03–14/06/2019): received 6, carried over 1, early 2, on time 2, late 1,
pending within 1, past 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from storage import (
    AnswerIn,
    Database,
    create_survey,
    record_evaluation,
    set_survey_status,
    upsert_agency,
    upsert_dossier,
    upsert_field,
    upsert_officer,
    upsert_procedure,
)
from storage.scores import add_complaint, update_complaint

UTC = timezone.utc
IN_Q2 = datetime(2019, 4, 20, 3, 0, tzinfo=UTC)
#: 17:00 UTC on 14/03 is 00:00 on 15/03 in Hà Nội: inside the Q2 cut-off window.
FIRST_LOCAL_MINUTE = datetime(2019, 3, 14, 17, 0, tzinfo=UTC)
#: 17:30 UTC on 14/06 is 00:30 on 15/06 in Hà Nội: outside, though the UTC date is 14/06.
AFTER_LAST_LOCAL_DAY = datetime(2019, 6, 14, 17, 30, tzinfo=UTC)

# (overall, i1, i3, i4, i6, i7, channel, officer, procedure, received, due, returned, completed_at)
A_ROWS = [
    (2, 2, 2, 2, 2, 2, "kiosk", "O1", "P1", date(2019, 4, 1), date(2019, 4, 10), date(2019, 4, 5), IN_Q2),
    (2, 2, 2, 1, 2, 2, "kiosk", "O1", "P1", date(2019, 4, 1), date(2019, 4, 10), date(2019, 4, 10), IN_Q2),
    (1, 1, 1, 1, 2, 2, "web", "O2", "P2", date(2019, 4, 1), date(2019, 4, 10), date(2019, 4, 12), IN_Q2),
    (0, 0, 0, 1, 1, 0, "web", "O2", "P2", date(2019, 4, 1), date(2019, 4, 10), date(2019, 4, 9), IN_Q2),
    (1, 2, 2, 2, 2, 2, "telegram", "O1", "P1", date(2019, 4, 1), date(2019, 4, 10), date(2019, 4, 10), IN_Q2),
    (2, 2, 2, 2, 2, 2, "telegram", "O1", "P1", date(2019, 3, 1), date(2019, 3, 20), date(2019, 3, 10),
     FIRST_LOCAL_MINUTE),
    (0, 0, 0, 0, 0, 0, "sms", "O2", "P2", date(2019, 6, 1), date(2019, 6, 20), date(2019, 6, 16),
     AFTER_LAST_LOCAL_DAY),
]
NOW = datetime(2019, 7, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class District:
    """Ids of the seeded agencies."""

    a: int
    b: int


def _answers(overall: int, *points: int) -> list[AnswerIn]:
    fields = ("indicator.1", "indicator.3", "indicator.4", "indicator.6", "indicator.7")
    return [AnswerIn("satisfaction.overall", level=overall)] + [AnswerIn(f, value=p) for f, p in zip(fields, points)]


async def seed_district(db: Database) -> District:
    """Seed the district described above; every row goes through storage's own functions."""
    async with db.transaction() as s:
        a = await upsert_agency(s, code="A1", name="UBND Phường 1", now=NOW)
        b = await upsert_agency(s, code="B2", name="UBND Phường 2", now=NOW)
        field = await upsert_field(s, code="F1", name="Hộ tịch")
        procs = {c: await upsert_procedure(s, code=c, name=f"Thủ tục {c}", field_id=field.id) for c in ("P1", "P2")}
        officers = {c: await upsert_officer(s, agency_id=a.id, code=c, name=f"Cán bộ {c}") for c in ("O1", "O2")}
        for n, (overall, *pts, channel, officer, proc, received, due, returned, at) in enumerate(A_ROWS):
            dossier, _ = await upsert_dossier(
                s, code=f"A1-0{n}", agency_id=a.id, status=10, received_on=received, due_on=due,
                returned_on=returned, procedure_id=procs[proc].id, officer_id=officers[officer].id, now=NOW)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=a.id, officer_id=officers[officer].id,
                                    channel=channel, schema_version="t", completed_at=at,
                                    answers=_answers(overall, *pts))
        pending, _ = await upsert_dossier(s, code="A1-99", agency_id=a.id, status=5, received_on=date(2019, 3, 1),
                                          due_on=date(2019, 3, 30), now=NOW)
        await create_survey(s, dossier_id=pending.id, token="t-99", flow_id="quick", now=IN_Q2,
                            expires_at=IN_Q2 + timedelta(days=3), channel="sms")
        for n in range(3):
            dossier, _ = await upsert_dossier(s, code=f"B2-0{n}", agency_id=b.id, status=10,
                                              received_on=date(2019, 4, 1), returned_on=date(2019, 4, 2), now=NOW)
            await record_evaluation(s, dossier_id=dossier.id, agency_id=b.id, channel="kiosk", schema_version="t",
                                    completed_at=IN_Q2, answers=_answers(2, 2, 2, 2, 2, 2))
            if n == 0:
                survey = await create_survey(s, dossier_id=dossier.id, token="t-b0", flow_id="quick", now=IN_Q2,
                                             expires_at=IN_Q2 + timedelta(days=3), channel="web")
                await set_survey_status(s, survey.id, "completed", now=IN_Q2, channel="web")
        # The applicant of A1-03 answered "the officer caused trouble": the register has it, handled on time.
        await add_complaint(s, agency_id=a.id, received_on=date(2019, 4, 20), due_on=date(2019, 4, 30),
                            actor="citizen", now=NOW, dossier_code="A1-03", origin="citizen_answer")
        await update_complaint(s, "PA-00001", actor="staff", now=NOW, handled_on=date(2019, 4, 25))
    return District(a.id, b.id)
