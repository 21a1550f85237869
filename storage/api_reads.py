"""What API v1 reads: evaluations with their answers in a stable order (by id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Agency, Answer, Dossier, Evaluation


@dataclass(frozen=True, slots=True)
class EvaluationRead:
    """An evaluation with its dossier's code, its agency's code and its answers."""

    evaluation: Evaluation
    dossier_code: str
    agency_code: str
    answers: tuple[Answer, ...]


async def read_evaluations(s: AsyncSession, *, agency_ids: list[int], dossier_id: int | None = None,
                           since: datetime | None = None, after_id: int = 0, limit: int = 100) -> list[EvaluationRead]:
    """Evaluations of these agencies ordered by id (ids only grow: a cursor on them never skips a row)."""
    stmt = (select(Evaluation, Dossier.code, Agency.code)
            .join(Dossier, Dossier.id == Evaluation.dossier_id)
            .join(Agency, Agency.id == Evaluation.agency_id)
            .where(Evaluation.agency_id.in_(agency_ids), Evaluation.id > after_id)
            .order_by(Evaluation.id).limit(limit))
    if dossier_id is not None:
        stmt = stmt.where(Evaluation.dossier_id == dossier_id)
    if since is not None:
        stmt = stmt.where(Evaluation.completed_at >= since)
    rows = (await s.execute(stmt)).all()
    if not rows:
        return []
    ids = [ev.id for ev, _, _ in rows]
    answers: dict[int, list[Answer]] = {}
    for answer in await s.scalars(select(Answer).where(Answer.evaluation_id.in_(ids)).order_by(Answer.id)):
        answers.setdefault(answer.evaluation_id, []).append(answer)
    return [EvaluationRead(ev, code, agency, tuple(answers.get(ev.id, ()))) for ev, code, agency in rows]
