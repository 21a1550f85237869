"""Surveys (one per dossier) and their engine sessions with optimistic versioning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage import raw
from storage.db import dialect_insert, per_dialect
from storage.errors import DuplicateSurvey, NotFound, StaleSession, StorageError
from storage.tables import Agency, Dossier, Evaluation, Survey, SurveySession, UTCDateTime


class SurveyStatus(StrEnum):
    """Survey statuses; the ended ones stamp `ended_at`."""

    INVITED = "invited"
    ACTIVE = "active"
    COMPLETED = "completed"
    DUPLICATE = "duplicate"
    EXPIRED = "expired"


# Any other status (including ones storage has no name for) ends the survey.
OPEN_STATUSES = frozenset({SurveyStatus.INVITED, SurveyStatus.ACTIVE})
# Rows read or written here replace what the session holds of them (it may hold an older copy);
# RETURNING brings them back, so the ORM need not work out what the write changed.
_FRESH = {"populate_existing": True, "synchronize_session": False}


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


_BY_TOKEN = select(Survey).where(Survey.token == bindparam("token"))


async def find_survey(
    s: AsyncSession, *, token: str | None = None, dossier_id: int | None = None
) -> Survey | None:
    """The survey with this token and/or for this dossier, or None."""
    if token is None and dossier_id is None:
        raise TypeError("find_survey needs token or dossier_id")
    if dossier_id is None:
        return await s.scalar(_BY_TOKEN, {"token": token})
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
    values: dict[str, Any] = {"status": str(status)}
    if channel is not None:
        values["channel"] = channel
    if status not in OPEN_STATUSES:
        values["ended_at"] = func.coalesce(Survey.ended_at, bindparam("ended", now, type_=UTCDateTime()))
    # One UPDATE … RETURNING (no read before): the session's copy of the survey follows.
    stmt = update(Survey).where(Survey.id == survey_id).values(**values).returning(Survey)
    survey = (await s.scalars(stmt, execution_options=_FRESH)).one_or_none()
    if survey is None:
        raise NotFound(f"survey {survey_id} does not exist")
    return survey


_LOAD_SESSION = (select(SurveySession).where(SurveySession.survey_id == bindparam("survey_id"))
                 .execution_options(populate_existing=True))


async def load_session(s: AsyncSession, survey_id: int) -> SurveySession | None:
    """The survey's session as stored now, or None."""
    return await s.scalar(_LOAD_SESSION, {"survey_id": survey_id})


_READ_SESSION = select(SurveySession.__table__.c.version, SurveySession.__table__.c.status,
                      SurveySession.__table__.c.state).where(SurveySession.__table__.c.survey_id == bindparam("survey_id"))


async def read_session(s: AsyncSession, survey_id: int) -> Any | None:
    """`load_session` as a plain row (`.version`, `.status`, `.state`): the turns' way, no ORM object."""
    con = raw.raw_connection(s)
    if con is not None:
        row = raw.run(con, raw.READ_SESSION, (survey_id,)).fetchone()
        return None if row is None else raw.SessionRow(row[0], row[1], raw.loads(row[2]))
    return (await s.execute(_READ_SESSION, {"survey_id": survey_id})).one_or_none()


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
        stmt = _upsert_session(s, survey_id, values)
    elif expected_version == 0:
        stmt = _insert_session(s, survey_id, values)
    else:
        stmt = _update_session(survey_id, values, expected_version)
    # The write and the row it left, in one statement (RETURNING).
    session: SurveySession | None = (await s.scalars(stmt.returning(SurveySession),
                                                    execution_options=_FRESH)).one_or_none()
    if session is None:
        raise StaleSession(f"session of survey {survey_id} is not at version {expected_version}")
    return session


_SESSIONS = SurveySession.__table__
_UPDATE_SESSION = (
    _SESSIONS.update()
    .where(_SESSIONS.c.survey_id == bindparam("b_survey_id"), _SESSIONS.c.version == bindparam("b_version"))
    .values(version=_SESSIONS.c.version + 1)
    .returning(_SESSIONS.c.version)
)
_WRITE_SESSION: dict[str, Callable[[AsyncSession], Any]] = {
    # expected_version None: insert at version 1 or bump; 0: insert only; n: update only at version n.
    "upsert": per_dialect(lambda insert: (lambda stmt: stmt.on_conflict_do_update(
        index_elements=[_SESSIONS.c.survey_id],
        set_={"channel": stmt.excluded.channel, "status": stmt.excluded.status, "state": stmt.excluded.state,
              "updated_at": stmt.excluded.updated_at, "version": _SESSIONS.c.version + 1},
    ).returning(_SESSIONS.c.version))(insert(_SESSIONS))),
    "insert": per_dialect(lambda insert: insert(_SESSIONS).on_conflict_do_nothing(
        index_elements=[_SESSIONS.c.survey_id]).returning(_SESSIONS.c.version)),
    "update": lambda s: _UPDATE_SESSION,
}


async def write_session(
    s: AsyncSession, *, survey_id: int, channel: str, status: str, state: dict[str, Any], now: datetime,
    expected_version: int | None = None,
) -> int:
    """`save_session` in one prebuilt statement, returning only the new version (the turns' way)."""
    con = raw.raw_connection(s)
    if con is not None:
        values = (channel, status, raw.dumps(state), raw.stamp(now))
        if expected_version is None or expected_version == 0:
            sql = raw.UPSERT_SESSION if expected_version is None else raw.INSERT_SESSION
            found = raw.run(con, sql, (survey_id, *values)).fetchone()
        else:
            found = raw.run(con, raw.UPDATE_SESSION, (*values, survey_id, expected_version)).fetchone()
        if found is None:
            raise StaleSession(f"session of survey {survey_id} is not at version {expected_version}")
        return int(found[0])
    row: dict[str, Any] = {"channel": channel, "status": status, "state": state, "updated_at": now}
    if expected_version is None or expected_version == 0:
        kind = "upsert" if expected_version is None else "insert"
        row |= {"survey_id": survey_id, "version": 1}
    else:
        kind = "update"
        row |= {"b_survey_id": survey_id, "b_version": expected_version}
    version = (await s.execute(_WRITE_SESSION[kind](s), row)).scalar_one_or_none()
    if version is None:
        raise StaleSession(f"session of survey {survey_id} is not at version {expected_version}")
    return int(version)


_SURVEYS = Survey.__table__
_MARK_OPEN = _SURVEYS.update().where(_SURVEYS.c.id == bindparam("b_id"))
# The first status that ends the survey stamps ended_at; a later one keeps it.
_MARK_ENDED = _MARK_OPEN.values(ended_at=func.coalesce(_SURVEYS.c.ended_at, bindparam("b_now", type_=UTCDateTime())))


async def mark_survey(
    s: AsyncSession, survey: Survey, status: str, *, now: datetime, channel: str | None = None
) -> None:
    """`set_survey_status` on a survey in hand: one prebuilt UPDATE, the object told what changed."""
    closing = status not in OPEN_STATUSES
    con = raw.raw_connection(s)
    if con is not None:
        params: tuple[Any, ...] = (str(status),) + (() if channel is None else (channel,))
        params += (raw.stamp(now), survey.id) if closing else (survey.id,)
        sql = ((raw.MARK_ENDED if channel is None else raw.MARK_ENDED_CHANNEL) if closing
               else (raw.MARK_OPEN if channel is None else raw.MARK_OPEN_CHANNEL))
        raw.run(con, sql, params)
    else:
        row: dict[str, Any] = {"b_id": survey.id, "status": str(status)}
        if channel is not None:
            row["channel"] = channel
        if closing:
            row["b_now"] = now
        await s.execute(_MARK_ENDED if closing else _MARK_OPEN, row)
    # The caller's object (attached or not) learns the values without being marked changed.
    set_committed_value(survey, "status", str(status))
    if channel is not None:
        set_committed_value(survey, "channel", channel)
    if closing and inspect(survey).dict.get("ended_at", now) is None:  # never a lazy load
        set_committed_value(survey, "ended_at", now)


def _upsert_session(s: AsyncSession, survey_id: int, values: dict[str, Any]) -> Any:
    """Insert at version 1 or update and bump the version."""
    stmt = dialect_insert(s, SurveySession).values(survey_id=survey_id, version=1, **values)
    return stmt.on_conflict_do_update(
        index_elements=[SurveySession.survey_id],
        set_={**values, "version": SurveySession.version + 1},
    )


def _insert_session(s: AsyncSession, survey_id: int, values: dict[str, Any]) -> Any:
    """Insert at version 1; no row when a session already exists."""
    stmt = dialect_insert(s, SurveySession).values(survey_id=survey_id, version=1, **values)
    return stmt.on_conflict_do_nothing(index_elements=[SurveySession.survey_id])


def _update_session(survey_id: int, values: dict[str, Any], expected: int) -> Any:
    """Update only if the stored version is `expected`: the check and the write are one statement."""
    return (
        update(SurveySession)
        .where(SurveySession.survey_id == survey_id, SurveySession.version == expected)
        .values(**values, version=SurveySession.version + 1)
    )


async def unsurveyed_returned(s: AsyncSession, *, after: int, limit: int) -> list[tuple[int, int | None, dict[str, Any]]]:
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
