"""Surveys (one per dossier) and their engine sessions with optimistic versioning."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.errors import DuplicateSurvey, NotFound, StaleSession, StorageError
from storage.tables import Agency, Dossier, Evaluation, Survey, SurveySession


class SurveyStatus(StrEnum):
    """Survey statuses; the ended ones stamp `ended_at`."""

    INVITED = "invited"
    ACTIVE = "active"
    COMPLETED = "completed"
    DUPLICATE = "duplicate"
    EXPIRED = "expired"


# Any other status (including ones storage has no name for) ends the survey.
OPEN_STATUSES = frozenset({SurveyStatus.INVITED, SurveyStatus.ACTIVE})


async def create_survey(
    s: AsyncSession,
    *,
    dossier_id: int,
    token: str,
    flow_id: str,
    now: datetime,
    expires_at: datetime,
    contact_id: int | None = None,
    channel: str | None = None,
) -> Survey:
    """Insert the dossier's survey; DuplicateSurvey when it has one (the caller's transaction survives)."""
    survey = Survey(
        dossier_id=dossier_id,
        token=token,
        flow_id=flow_id,
        status=SurveyStatus.INVITED.value,
        channel=channel,
        contact_id=contact_id,
        created_at=now,
        expires_at=expires_at,
    )
    try:
        # A SAVEPOINT: the unique key decides, and only this insert is rolled back.
        async with s.begin_nested():
            s.add(survey)
            await s.flush()
    except IntegrityError as exc:
        if await find_survey(s, dossier_id=dossier_id) is not None:
            raise DuplicateSurvey(f"dossier {dossier_id} already has a survey") from exc
        raise StorageError(f"survey not created: {exc.orig}", code="constraint") from exc
    return survey


async def find_survey(
    s: AsyncSession, *, token: str | None = None, dossier_id: int | None = None
) -> Survey | None:
    """The survey with this token and/or for this dossier, or None."""
    if token is None and dossier_id is None:
        raise TypeError("find_survey needs token or dossier_id")
    stmt = select(Survey)
    if token is not None:
        stmt = stmt.where(Survey.token == token)
    if dossier_id is not None:
        stmt = stmt.where(Survey.dossier_id == dossier_id)
    return await s.scalar(stmt)


async def set_survey_status(
    s: AsyncSession, survey_id: int, status: str, *, now: datetime, channel: str | None = None
) -> Survey:
    """Set the status (and the channel, when given); the first non-open status stamps ended_at."""
    survey = await s.get(Survey, survey_id, populate_existing=True)
    if survey is None:
        raise NotFound(f"survey {survey_id} does not exist")
    survey.status = str(status)
    if channel is not None:
        survey.channel = channel
    if status not in OPEN_STATUSES and survey.ended_at is None:
        survey.ended_at = now
    await s.flush()
    return survey


async def load_session(s: AsyncSession, survey_id: int) -> SurveySession | None:
    """The survey's session as stored now, or None."""
    stmt = select(SurveySession).where(SurveySession.survey_id == survey_id)
    return await s.scalar(stmt.execution_options(populate_existing=True))


async def save_session(
    s: AsyncSession,
    *,
    survey_id: int,
    channel: str,
    status: str,
    state: dict[str, Any],
    now: datetime,
    expected_version: int | None = None,
) -> SurveySession:
    """Insert or update the survey's session, bumping `version`.

    With `expected_version` the write happens only if the stored version still matches
    (0 means "no session yet"); otherwise StaleSession.
    """
    values = {"channel": channel, "status": status, "state": state, "updated_at": now}
    if expected_version is None:
        written = await _upsert_session(s, survey_id, values)
    elif expected_version == 0:
        written = await _insert_session(s, survey_id, values)
    else:
        written = await _update_session(s, survey_id, values, expected_version)
    if not written:
        raise StaleSession(f"session of survey {survey_id} is not at version {expected_version}")
    session = await load_session(s, survey_id)
    assert session is not None
    return session


async def _upsert_session(s: AsyncSession, survey_id: int, values: dict[str, Any]) -> bool:
    """Insert at version 1 or update and bump the version, in one statement."""
    stmt = dialect_insert(s, SurveySession).values(survey_id=survey_id, version=1, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SurveySession.survey_id],
        set_={**values, "version": SurveySession.version + 1},
    )
    await s.execute(stmt)
    return True


async def _insert_session(s: AsyncSession, survey_id: int, values: dict[str, Any]) -> bool:
    """Insert at version 1; False when a session already exists."""
    stmt = dialect_insert(s, SurveySession).values(survey_id=survey_id, version=1, **values)
    stmt = stmt.on_conflict_do_nothing(index_elements=[SurveySession.survey_id])
    return (await s.execute(stmt.returning(SurveySession.id))).scalar_one_or_none() is not None


async def _update_session(
    s: AsyncSession, survey_id: int, values: dict[str, Any], expected: int
) -> bool:
    """Update only if the stored version is `expected`: the check and the write are one statement."""
    stmt = (
        update(SurveySession)
        .where(SurveySession.survey_id == survey_id, SurveySession.version == expected)
        .values(**values, version=SurveySession.version + 1)
        .execution_options(synchronize_session=False)
    )
    return (await s.execute(stmt)).rowcount == 1


async def unsurveyed_returned(s: AsyncSession, *, after: int, limit: int) -> list[tuple[int, int | None, dict]]:
    """(dossier id, contact id, agency settings) of returned dossiers with neither a survey nor an
    evaluation, after dossier id `after` (keyset paging: never re-reads what was done)."""
    rows = await s.execute(
        select(Dossier.id, Dossier.contact_id, Agency.settings).join(Agency, Agency.id == Dossier.agency_id)
        .where(Dossier.id > after, Dossier.status == 10, ~Dossier.id.in_(select(Survey.dossier_id)),
               ~Dossier.id.in_(select(Evaluation.dossier_id)))
        .order_by(Dossier.id).limit(limit))
    return [(d, c, settings or {}) for d, c, settings in rows]


async def create_surveys(s: AsyncSession, values: list[dict[str, Any]]) -> dict[int, int]:
    """Insert many surveys at once; {dossier id: survey id} of those inserted (a dossier that got
    its survey meanwhile from another process is skipped by the unique key)."""
    table = Survey.__table__
    # executemany of one small statement: a multi-VALUES statement of 14,000 parameters compiles slowly.
    stmt = dialect_insert(s, table).on_conflict_do_nothing(index_elements=[table.c.dossier_id])
    return dict((await s.execute(stmt.returning(table.c.dossier_id, table.c.id), values)).all())
