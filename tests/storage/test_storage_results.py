"""Report storage: scores kept side by side, one follow-up per evaluation, on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import AnswerIn, Database, record_evaluation
from storage import results as store


async def test_self_score_and_appraisal_are_kept_side_by_side(db: Database, seed, now: datetime) -> None:
    async with db.transaction() as s:
        await store.set_agency_score(s, agency_id=seed.agency_id, period="2025-Q2", now=now, self_score=15.5)
        await store.set_agency_score(s, agency_id=seed.agency_id, period="2025-Q2", now=now, appraisal_score=14.0)
        await store.set_agency_score(s, agency_id=seed.agency_id, period="2025-Q3", now=now, self_score=16.0)
    async with db.transaction() as s:
        assert await store.agency_scores(s, period="2025-Q2") == {seed.agency_id: (15.5, 14.0)}


async def test_one_follow_up_per_evaluation_and_counts(db: Database, seed, now: datetime) -> None:
    async with db.transaction() as s:
        evaluation = await record_evaluation(s, dossier_id=seed.dossier_id, agency_id=seed.agency_id, channel="web",
                                             schema_version="t", completed_at=now,
                                             answers=[AnswerIn("satisfaction.overall", level=0)])
        args = {"evaluation_id": evaluation.id, "agency_id": seed.agency_id, "dossier_code": "X-1",
                "reason": "satisfaction.overall=0", "now": now, "days": 5}
        assert await store.open_follow_up(s, **args)
        assert not await store.open_follow_up(s, **args)
    window = {"start": now - timedelta(days=1), "end": now + timedelta(days=1)}
    async with db.transaction() as s:
        assert await store.follow_up_counts(s, now=now, **window) == {seed.agency_id: (1, 0, 0)}
        late = now + timedelta(days=9)
        assert await store.follow_up_counts(s, now=late, **window) == {seed.agency_id: (1, 0, 1)}
        assert await store.close_follow_up(s, dossier_code="X-1", now=now + timedelta(days=2))
        assert await store.follow_up_counts(s, now=late, **window) == {seed.agency_id: (1, 1, 0)}
