"""What API v1 and the outgoing webhooks read: surveys, follow-ups, evaluations with their answers in a stable order (by id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Agency, Answer, Dossier, Evaluation, FollowUp, OutboxMessage, Survey


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


async def surveys_after(s: AsyncSession, *, agency_ids: list[int], after_id: int, limit: int
                        ) -> list[tuple[Survey, str, str]]:
    """Surveys opened for these agencies' dossiers after `after_id`: (survey, dossier code, agency code)."""
    stmt = (select(Survey, Dossier.code, Agency.code)
            .join(Dossier, Dossier.id == Survey.dossier_id).join(Agency, Agency.id == Dossier.agency_id)
            .where(Dossier.agency_id.in_(agency_ids), Survey.id > after_id).order_by(Survey.id).limit(limit))
    return [(survey, code, agency) for survey, code, agency in await s.execute(stmt)]


async def follow_ups_opened(s: AsyncSession, *, agency_ids: list[int], after_id: int, limit: int) -> list[FollowUp]:
    """Follow-ups opened for these agencies after `after_id`, by id."""
    stmt = (select(FollowUp).where(FollowUp.agency_id.in_(agency_ids), FollowUp.id > after_id)
            .order_by(FollowUp.id).limit(limit))
    return list(await s.scalars(stmt))


async def follow_ups_closed(s: AsyncSession, *, agency_ids: list[int], after: tuple[datetime, int] | None,
                            limit: int) -> list[FollowUp]:
    """Follow-ups closed after the (closed_at, id) mark, in that order."""
    stmt = select(FollowUp).where(FollowUp.agency_id.in_(agency_ids), FollowUp.closed_at.is_not(None))
    if after is not None:
        at, id_ = after
        stmt = stmt.where(or_(FollowUp.closed_at > at, and_(FollowUp.closed_at == at, FollowUp.id > id_)))
    return list(await s.scalars(stmt.order_by(FollowUp.closed_at, FollowUp.id).limit(limit)))


async def deliveries_of(s: AsyncSession, *, channel: str, address: str, failed_limit: int = 10
                        ) -> tuple[dict[str, int], list[OutboxMessage]]:
    """Outbox rows to one address: counts by status, and the latest failed ones (the dead letters)."""
    where = (OutboxMessage.channel == channel, OutboxMessage.address == address)
    counts = {status: n for status, n in await s.execute(
        select(OutboxMessage.status, func.count()).where(*where).group_by(OutboxMessage.status))}
    failed = await s.scalars(select(OutboxMessage).where(*where, OutboxMessage.status == "failed")
                             .order_by(OutboxMessage.id.desc()).limit(failed_limit))
    return counts, list(failed)
