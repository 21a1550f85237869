"""Flow revisions in the database: save, list, publish, and pin a survey to one.

A revision's text never changes once saved; only its `published_at` / `published_by` move
(publishing again, e.g. a rollback, stamps them anew). The current revision of a flow is the one
published last; 0 (the shipped file) when none was. A row with revision 0 only records that the
shipped file was published again; its text is a copy, the file stays authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from storage.accounts import User
from storage.affected import affected
from storage.errors import NotFound, StorageError
from storage.flow_versions import FlowVersion
from storage.tables import Survey


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """One revision as the versions page lists it (without its text)."""

    revision: int
    note: str
    created_by: str | None
    created_at: datetime
    published_at: datetime | None
    published_by: str | None


async def add_flow_version(
    s: AsyncSession, *, flow_id: str, source: str, note: str, created_by: int | None, now: datetime,
    revision: int | None = None,
) -> FlowVersion:
    """A new draft revision (the next number unless `revision` is given); StorageError("taken") on a race."""
    if revision is None:
        highest = await s.scalar(select(func.max(FlowVersion.revision)).where(FlowVersion.flow_id == flow_id))
        revision = (highest or 0) + 1
    row = FlowVersion(flow_id=flow_id, revision=revision, source=source, note=note[:500],
                      created_by=created_by, created_at=now)
    try:
        async with s.begin_nested():  # a SAVEPOINT: the unique key decides a race between two saves
            s.add(row)
            await s.flush()
    except IntegrityError as exc:
        raise StorageError(f"revision {revision} of {flow_id} exists", code="taken") from exc
    return row


async def get_flow_version(s: AsyncSession, flow_id: str, revision: int) -> FlowVersion | None:
    """The stored revision, or None."""
    return await s.scalar(select(FlowVersion).where(FlowVersion.flow_id == flow_id,
                                                    FlowVersion.revision == revision))


async def flow_source(s: AsyncSession, flow_id: str, revision: int) -> str | None:
    """The YAML text of a stored revision, or None."""
    return await s.scalar(select(FlowVersion.source).where(FlowVersion.flow_id == flow_id,
                                                           FlowVersion.revision == revision))


async def published_revision(s: AsyncSession, flow_id: str) -> int:
    """The revision published last (0, the shipped file, when none was)."""
    stmt = (select(FlowVersion.revision)
            .where(FlowVersion.flow_id == flow_id, FlowVersion.published_at.is_not(None))
            .order_by(FlowVersion.published_at.desc(), FlowVersion.revision.desc()).limit(1))
    return (await s.scalar(stmt)) or 0


async def edited_flows(s: AsyncSession) -> dict[str, tuple[int, int]]:
    """flow id -> (current published revision, highest revision), for every flow with stored revisions."""
    rows = await s.execute(select(FlowVersion.flow_id, func.max(FlowVersion.revision)).group_by(FlowVersion.flow_id))
    highest = {flow_id: top for flow_id, top in rows}
    return {flow_id: (await published_revision(s, flow_id), top) for flow_id, top in sorted(highest.items())}


async def flow_revisions(s: AsyncSession, flow_id: str) -> list[RevisionRow]:
    """Every stored revision of a flow with who wrote and published it, newest first."""
    author, publisher = aliased(User), aliased(User)
    stmt = (select(FlowVersion.revision, FlowVersion.note, author.username, FlowVersion.created_at,
                   FlowVersion.published_at, publisher.username)
            .outerjoin(author, author.id == FlowVersion.created_by)
            .outerjoin(publisher, publisher.id == FlowVersion.published_by)
            .where(FlowVersion.flow_id == flow_id).order_by(FlowVersion.revision.desc()))
    return [RevisionRow(*row) for row in await s.execute(stmt)]


async def publish_flow_version(s: AsyncSession, flow_id: str, revision: int, *, by: int | None,
                               now: datetime) -> None:
    """Stamp a stored revision as published now (making it the current one); NotFound otherwise."""
    done = await affected(s, update(FlowVersion)
                          .where(FlowVersion.flow_id == flow_id, FlowVersion.revision == revision)
                          .values(published_at=now, published_by=by))
    if done != 1:
        raise NotFound(f"flow {flow_id} has no revision {revision}")


async def pin_flow_revision(s: AsyncSession, survey: Survey, revision: int) -> int:
    """The survey's flow revision: set to `revision` unless already pinned; the object follows."""
    # One statement: the pin kept when there is one, read back either way.
    pinned = await s.scalar(update(Survey).where(Survey.id == survey.id)
                            .values(flow_revision=func.coalesce(Survey.flow_revision, revision))
                            .returning(Survey.flow_revision).execution_options(synchronize_session=False))
    if pinned is None:
        raise NotFound(f"survey {survey.id} does not exist")
    # The caller's object (attached or not) learns the value without being marked changed.
    set_committed_value(survey, "flow_revision", pinned)
    return pinned
