"""Evaluations: one per dossier (enforced by the database), answers all-or-nothing, counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from storage import (
    AnswerIn,
    Database,
    DuplicateEvaluation,
    StorageError,
    audit,
    count_rows,
    evaluation_answers,
    has_evaluation,
    level_counts,
    record_evaluation,
    upsert_agency,
    upsert_dossier,
)
from storage.tables import Answer, AuditEntry, Evaluation

ANSWERS = (
    AnswerIn("satisfaction.overall", level=2),
    AnswerIn("indicator.3", value=1),
    AnswerIn("reasons", items=("slow", "rude")),
    AnswerIn("comment", text="Cán bộ nhiệt tình"),
)


async def _record(s, seed, now: datetime, answers=ANSWERS, **extra) -> Evaluation:
    return await record_evaluation(
        s, dossier_id=seed.dossier_id, agency_id=seed.agency_id, channel="telegram",
        schema_version="2018.1", completed_at=now, answers=answers, **extra,
    )


async def test_record_evaluation_with_its_answers(db: Database, seed, now: datetime) -> None:
    async with db.transaction() as s:
        assert not await has_evaluation(s, seed.dossier_id)
        evaluation = await _record(s, seed, now, flow_id="chat3", language="en")
    async with db.transaction() as s:
        assert await has_evaluation(s, seed.dossier_id)
        stored = await s.get(Evaluation, evaluation.id)
        answers = await evaluation_answers(s, evaluation.id)
    assert stored is not None
    assert (stored.channel, stored.flow_id, stored.language, stored.completed_at) == (
        "telegram", "chat3", "en", now,
    )
    as_read = [AnswerIn(a.field, a.value, a.level, a.text, _items(a.items)) for a in answers]
    assert as_read == list(ANSWERS)


def _items(items: list[str] | None) -> tuple[str, ...] | None:
    return None if items is None else tuple(items)


async def test_missing_items_are_sql_null(db: Database, seed, now: datetime) -> None:
    # Not the JSON text 'null': reports filter with IS NULL.
    async with db.transaction() as s:
        await _record(s, seed, now)
        stmt = select(func.count()).select_from(Answer).where(Answer.items.is_(None))
        assert await s.scalar(stmt) == len([a for a in ANSWERS if a.items is None])


async def test_the_database_refuses_a_second_evaluation(db: Database, seed, now: datetime) -> None:
    async with db.transaction() as s:
        await _record(s, seed, now)
    raw = insert(Evaluation).values(
        dossier_id=seed.dossier_id, agency_id=seed.agency_id, channel="kiosk",
        schema_version="2018.1", language="vi", completed_at=now,
    )
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            await s.execute(raw)
    async with db.transaction() as s:
        assert await count_rows(s, Evaluation) == 1


async def test_record_evaluation_refuses_a_duplicate_and_keeps_the_transaction(
    db: Database, seed, now: datetime
) -> None:
    async with db.transaction() as s:
        first = await _record(s, seed, now)
    async with db.transaction() as s:
        await audit(s, actor="kiosk", action="before", subject="x", now=now)
        with pytest.raises(DuplicateEvaluation) as caught:
            await _record(s, seed, now + timedelta(hours=1), answers=[AnswerIn("x", level=0)])
        assert caught.value.code == "duplicate_evaluation"
        await audit(s, actor="kiosk", action="after", subject="x", now=now)
    async with db.transaction() as s:
        assert await count_rows(s, AuditEntry) == 2
        assert await count_rows(s, Evaluation) == 1
        assert len(await evaluation_answers(s, first.id)) == len(ANSWERS)


async def test_an_evaluation_is_written_with_all_its_answers_or_not_at_all(
    db: Database, seed, now: datetime
) -> None:
    broken = [AnswerIn("q1", level=2), AnswerIn("q2", level=1), AnswerIn("q1", level=0)]
    async with db.transaction() as s:
        with pytest.raises(StorageError) as caught:
            await _record(s, seed, now, answers=broken)
        assert caught.value.code == "constraint"
        assert not await has_evaluation(s, seed.dossier_id)
        assert await count_rows(s, Answer) == 0
        # The same transaction can still record a correct evaluation.
        fixed = await _record(s, seed, now, answers=broken[:2])
    async with db.transaction() as s:
        assert [a.field for a in await evaluation_answers(s, fixed.id)] == ["q1", "q2"]
        assert await count_rows(s, Evaluation) == 1


async def test_level_counts_per_agency(db: Database, now: datetime) -> None:
    plan = {"A1": [2, 2, 1, 0], "A2": [1, 1, 2]}
    expected: dict[tuple[int, int], int] = {}
    async with db.transaction() as s:
        for code, levels in plan.items():
            agency = await upsert_agency(s, code=code, name=code, now=now)
            for n, level in enumerate(levels):
                dossier, _ = await upsert_dossier(
                    s, code=f"{code}-{n}", agency_id=agency.id, status=10,
                    received_on=date(2025, 6, 1), now=now,
                )
                answers = [AnswerIn("satisfaction.overall", level=level), AnswerIn("other", level=9)]
                await record_evaluation(
                    s, dossier_id=dossier.id, agency_id=agency.id, channel="sms",
                    schema_version="1", completed_at=now, answers=answers,
                )
                expected[(agency.id, level)] = expected.get((agency.id, level), 0) + 1
    async with db.transaction() as s:
        counts = await level_counts(s, field="satisfaction.overall")
        assert await level_counts(s, field="nothing") == []
    assert counts == sorted((a, lv, n) for (a, lv), n in expected.items())
