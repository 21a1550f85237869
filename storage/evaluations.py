"""Evaluations (phiếu đánh giá, one per dossier) with their answers, and counts over them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import DuplicateEvaluation, StorageError
from storage.tables import Answer, Evaluation


@dataclass(frozen=True, slots=True)
class AnswerIn:
    """One answer to record: a schema field and its number, level, text or items."""

    field: str
    value: int | None = None
    level: int | None = None
    text: str | None = None
    items: tuple[str, ...] | None = None


async def record_evaluation(
    s: AsyncSession,
    *,
    dossier_id: int,
    agency_id: int,
    channel: str,
    schema_version: str,
    completed_at: datetime,
    answers: Iterable[AnswerIn],
    survey_id: int | None = None,
    officer_id: int | None = None,
    flow_id: str | None = None,
    language: str = "vi",
    flow_revision: int | None = None,
) -> Evaluation:
    """Write the evaluation and its answers together, or nothing (DuplicateEvaluation when one exists)."""
    evaluation = Evaluation(
        dossier_id=dossier_id,
        agency_id=agency_id,
        channel=channel,
        schema_version=schema_version,
        completed_at=completed_at,
        survey_id=survey_id,
        officer_id=officer_id,
        flow_id=flow_id,
        flow_revision=flow_revision,
        language=language,
    )
    try:
        # A SAVEPOINT: a refused evaluation leaves the caller's transaction usable.
        async with s.begin_nested():
            s.add(evaluation)
            await s.flush()
            rows = [_answer_values(evaluation.id, a) for a in answers]
            if rows:  # one executemany INSERT: nobody reads these rows back from this session
                await s.execute(insert(Answer.__table__), rows)
    except IntegrityError as exc:
        if await has_evaluation(s, dossier_id):
            raise DuplicateEvaluation(f"dossier {dossier_id} already has an evaluation") from exc
        raise StorageError(f"evaluation not recorded: {exc.orig}", code="constraint") from exc
    return evaluation


def _answer_values(evaluation_id: int, a: AnswerIn) -> dict[str, Any]:
    """One answer row's columns (items stored as a JSON list)."""
    return {"evaluation_id": evaluation_id, "field": a.field, "value": a.value, "level": a.level, "text": a.text,
            "items": None if a.items is None else list(a.items)}


async def has_evaluation(s: AsyncSession, dossier_id: int) -> bool:
    """True when the dossier has been evaluated (on any channel)."""
    stmt = select(exists().where(Evaluation.dossier_id == dossier_id))
    return bool(await s.scalar(stmt))


async def evaluation_answers(s: AsyncSession, evaluation_id: int) -> list[Answer]:
    """The answers of an evaluation, in the order they were recorded."""
    stmt = select(Answer).where(Answer.evaluation_id == evaluation_id).order_by(Answer.id)
    return list(await s.scalars(stmt))


async def level_counts(s: AsyncSession, *, field: str) -> list[tuple[int, int, int]]:
    """(agency_id, level, count) over the answers of one field, sorted by agency then level."""
    count = func.count(Answer.id)
    stmt = (
        select(Evaluation.agency_id, Answer.level, count)
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(Answer.field == field, Answer.level.is_not(None))
        .group_by(Evaluation.agency_id, Answer.level)
        .order_by(Evaluation.agency_id, Answer.level)
    )
    return [(agency, level or 0, n) for agency, level, n in await s.execute(stmt)]  # never None: IS NOT NULL above


async def level_span(s: AsyncSession, *, field: str) -> tuple[datetime, datetime] | None:
    """When the first and the last evaluation that answered `field` with a level were completed (None: none yet)."""
    stmt = (
        select(func.min(Evaluation.completed_at), func.max(Evaluation.completed_at))
        .join(Answer, Answer.evaluation_id == Evaluation.id)
        .where(Answer.field == field, Answer.level.is_not(None))
    )
    first, last = (await s.execute(stmt)).one()
    return (first, last) if first is not None and last is not None else None
