"""A hand-computed quarter (2026-Q2, cut-off window 15/03–14/06/2026) for the scores of issue 12.

Agency "S1" (UBND Xã Một), 6 evaluated dossiers, every citizen indicator (1, 2, 3, 4, 6) at 2 points
except indicator 1 of S1-01 (on time: 1). Indicator 7 per the law: timeliness 2,1,2,2,2,2 and no
conduct complaint → 11/6 = 1.83. Indicator 8: the register is empty → 2. Entries: indicator 5
appraisal 1.5 (self-score 2: the appraisal wins), indicator 9 self-score 1 → all nine present
(see ``EXPECTED_TOTAL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from storage import AnswerIn, Database, record_evaluation, upsert_agency, upsert_dossier
from storage.scores import set_entry

UTC = timezone.utc
PERIOD = "2026-Q2"
IN_PERIOD = datetime(2026, 4, 20, 3, 0, tzinfo=UTC)
SEEDED = datetime(2026, 4, 21, 3, 0, tzinfo=UTC)
#: (code, indicator 1 points, returned on) with received 01/04, due 10/04
DOSSIERS = [("S1-00", 2, date(2026, 4, 5)), ("S1-01", 1, date(2026, 4, 10)), ("S1-02", 2, date(2026, 4, 6)),
            ("S1-03", 2, date(2026, 4, 7)), ("S1-04", 2, date(2026, 4, 8)), ("S1-05", 2, date(2026, 4, 9))]
#: Indicator means: 1 = 11/6 (1.83), 2, 3, 4, 6 = 2, 7 = 11/6 (1.83), 5 = 1.5 (appraisal), 8 = 2, 9 = 1.
#: Total = 11/6 + 8 + 11/6 + 1.5 + 2 + 1 = 12.5 + 22/6 = 16.1666… → 16.2, "excellent" (15.1–18).
EXPECTED_TOTAL = 16.2
EXPECTED_BAND = "excellent"
#: Without indicator 9: 15.2 over 8 of 9 indicators, no band.
PARTIAL_TOTAL = 15.2


@dataclass(frozen=True, slots=True)
class Quarter:
    agency_id: int


async def seed_quarter(db: Database, *, with_indicator_9: bool = True) -> Quarter:
    """Seed agency S1's quarter through storage's own functions."""
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="S1", name="UBND Xã Một", now=SEEDED)
        for code, i1, returned in DOSSIERS:
            dossier, _ = await upsert_dossier(s, code=code, agency_id=agency.id, status=10,
                                              received_on=date(2026, 4, 1), due_on=date(2026, 4, 10),
                                              returned_on=returned, now=SEEDED)
            answers = [AnswerIn("satisfaction.overall", level=2), AnswerIn("indicator.1", value=i1)]
            answers += [AnswerIn(f"indicator.{n}", value=2) for n in (2, 3, 4, 6, 7)]
            await record_evaluation(s, dossier_id=dossier.id, agency_id=agency.id, channel="kiosk",
                                    schema_version="2018", completed_at=IN_PERIOD, answers=answers)
        for indicator, by, tenths in ((5, "self", 20), (5, "appraisal", 15)) + (((9, "self", 10),) if with_indicator_9
                                                                                 else ()):
            await set_entry(s, agency_id=agency.id, period=PERIOD, indicator=indicator, by=by, points_tenths=tenths,
                            note=f"{by} {indicator}", actor="seed", now=SEEDED)
    return Quarter(agency.id)
