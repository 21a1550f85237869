"""Timers as rows: one job per (survey, kind), claimed when due with SKIP LOCKED, kept across restarts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.affected import affected
from storage.db import dialect_insert
from storage.tables import Job, UTCDateTime


class JobKind(StrEnum):
    """What a job does when due."""

    INVITE = "invite"
    REMIND = "remind"
    EXPIRE = "expire"


class JobStatus(StrEnum):
    """pending → running (leased) → done; a lapsed lease makes `running` claimable again."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A due job this process owns until its lease ends."""

    id: int
    kind: JobKind
    survey_id: int
    attempts: int


async def schedule_job(s: AsyncSession, *, survey_id: int, kind: JobKind, due_at: datetime,
                       now: datetime) -> bool:
    """Add the survey's job of this kind once; False when it already exists (scheduling is idempotent)."""
    stmt = dialect_insert(s, Job).values(kind=kind.value, survey_id=survey_id, due_at=due_at,
                                         status=JobStatus.PENDING.value, attempts=0, created_at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=[Job.survey_id, Job.kind])
    return (await s.execute(stmt.returning(Job.id))).scalar_one_or_none() is not None


async def schedule_many(s: AsyncSession, rows: list[tuple[int, JobKind, datetime]], *, now: datetime) -> None:
    """Bulk `schedule_job` (one statement per batch): (survey_id, kind, due_at) rows."""
    if not rows:
        return
    values = [{"kind": k.value, "survey_id": sid, "due_at": due, "status": JobStatus.PENDING.value,
               "attempts": 0, "created_at": now} for sid, k, due in rows]
    table = Job.__table__  # executemany: one small statement, not one with a parameter per value
    stmt = dialect_insert(s, table).on_conflict_do_nothing(index_elements=[table.c.survey_id, table.c.kind])
    await s.execute(stmt, values)


async def extend_expiry(s: AsyncSession, survey_id: int, *, expires_at: datetime) -> bool:
    """Move the survey's expiry (and its pending expiry timer) later to `expires_at`; never earlier."""
    from storage.tables import Survey

    moved = await affected(s, update(Survey).where(Survey.id == survey_id, Survey.expires_at < expires_at)
                           .values(expires_at=expires_at).execution_options(synchronize_session=False))
    if moved:
        await s.execute(update(Job).where(Job.survey_id == survey_id, Job.kind == JobKind.EXPIRE.value,
                                          Job.status == JobStatus.PENDING.value)
                        .values(due_at=expires_at).execution_options(synchronize_session=False))
    return moved == 1


_CLAIM = """
    UPDATE jobs SET status = 'running', attempts = attempts + 1, due_at = :lease
    WHERE id IN (SELECT id FROM jobs WHERE status IN ('pending', 'running') AND due_at <= :now
                 ORDER BY due_at, id LIMIT :limit {lock})
    RETURNING id, kind, survey_id, attempts
"""


async def claim_jobs(s: AsyncSession, *, now: datetime, lease: timedelta, limit: int) -> list[ClaimedJob]:
    """Claim up to `limit` due jobs in one statement (SKIP LOCKED on PostgreSQL)."""
    lock = "FOR UPDATE SKIP LOCKED" if s.get_bind().dialect.name == "postgresql" else ""
    stmt = text(_CLAIM.format(lock=lock)).bindparams(
        bindparam("now", type_=UTCDateTime()), bindparam("lease", type_=UTCDateTime()))
    rows = (await s.execute(stmt, {"now": now, "lease": now + lease, "limit": limit})).all()
    return [ClaimedJob(id, JobKind(kind), survey_id, attempts) for id, kind, survey_id, attempts in rows]


async def finish_job(s: AsyncSession, job: ClaimedJob, *, now: datetime, again_at: datetime | None = None) -> bool:
    """Done, or (with `again_at`) pending again at that time; only the claimer's write lands."""
    values = ({"status": JobStatus.DONE.value, "done_at": now} if again_at is None
              else {"status": JobStatus.PENDING.value, "due_at": again_at})
    stmt = (update(Job).where(Job.id == job.id, Job.attempts == job.attempts,
                              Job.status == JobStatus.RUNNING.value)
            .values(**values).execution_options(synchronize_session=False))
    return (await affected(s, stmt)) == 1


async def postpone_job(s: AsyncSession, job_id: int, *, at: datetime) -> None:
    """A job that failed waits until `at` (counted as an attempt)."""
    stmt = (update(Job).where(Job.id == job_id, Job.status != JobStatus.DONE.value)
            .values(status=JobStatus.PENDING.value, due_at=at, attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False))
    await s.execute(stmt)


_JOBS = Job.__table__
_CANCEL_JOBS = (_JOBS.update().where(_JOBS.c.survey_id == bindparam("b_survey_id"), _JOBS.c.status != JobStatus.DONE.value)
                .values(status=JobStatus.DONE.value))


async def cancel_jobs(s: AsyncSession, survey_id: int, *, now: datetime) -> None:
    """The survey ended: its remaining timers will never fire."""
    await s.execute(_CANCEL_JOBS, {"b_survey_id": survey_id, "done_at": now})


async def pending_jobs(s: AsyncSession) -> int:
    """Jobs not done yet."""
    return await s.scalar(select(func.count()).select_from(Job).where(Job.status != JobStatus.DONE.value)) or 0


@dataclass(frozen=True, slots=True)
class Reach:
    """What a job needs to know about its survey: state, dossier, agency settings, usable addresses."""

    survey_id: int
    status: str
    token: str
    expires_at: datetime
    dossier_code: str
    evaluated: bool
    opted_out: bool
    agency_settings: dict[str, Any]
    addresses: dict[str, str]  # channel → address, unreachable ones left out
    closed: dict[str, str] = field(default_factory=dict)  # plan channel → reason of a person-level refusal


async def reach_of(s: AsyncSession, survey_id: int) -> Reach | None:
    """The survey's reach, read as of now (None when the survey does not exist)."""
    from storage.tables import Agency, Contact, ContactAddress, Dossier, Evaluation, Survey

    row = (await s.execute(
        select(Survey, Dossier.code, Dossier.contact_id, Agency.settings)
        .join(Dossier, Dossier.id == Survey.dossier_id).join(Agency, Agency.id == Dossier.agency_id)
        .where(Survey.id == survey_id).execution_options(populate_existing=True))).first()
    if row is None:
        return None
    survey, code, dossier_contact, settings = row
    # The dossier's contact has the phone; a chat that opened the survey may be another contact.
    contacts = [c for c in (survey.contact_id, dossier_contact) if c is not None]
    evaluated = (await s.scalar(select(func.count()).select_from(Evaluation)
                                .where(Evaluation.dossier_id == survey.dossier_id)) or 0) > 0
    opted = bool(contacts) and (await s.scalar(select(func.count()).select_from(Contact).where(
        Contact.id.in_(contacts), Contact.opted_out_at.is_not(None))) or 0) > 0
    found = (await s.execute(
        select(ContactAddress.channel, ContactAddress.address).where(
            ContactAddress.contact_id.in_(contacts), ContactAddress.unreachable_at.is_(None)))).all()
    from storage.reach import closed_channels

    return Reach(survey.id, survey.status, survey.token, survey.expires_at, code, evaluated, opted,
                 dict(settings or {}), {channel: address for channel, address in found},
                 await closed_channels(s, contacts))
