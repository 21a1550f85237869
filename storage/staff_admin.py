"""Queries of the admin pages: active admins, the officers of an agency, and the audit log read back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.accounts import User
from storage.tables import AuditEntry, Officer


async def count_active_admins(s: AsyncSession) -> int:
    """How many active users have the admin role."""
    return int(await s.scalar(select(func.count()).select_from(User)
                              .where(User.role == "admin", User.active.is_(True))) or 0)


async def list_officers(s: AsyncSession, agency_ids: frozenset[int] | None = None) -> list[Officer]:
    """Officers (all, or of these agencies), by agency and code."""
    query = select(Officer).order_by(Officer.agency_id, Officer.code)
    if agency_ids is not None:
        query = query.where(Officer.agency_id.in_(agency_ids))
    return list(await s.scalars(query))


def _filtered(query: Select[Any], *, action_prefix: str | None, actor: str | None, since: datetime | None,
              until: datetime | None) -> Select[Any]:
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEntry.action.like(escaped + "%", escape="\\"))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


async def audit_entries(
    s: AsyncSession, *, action_prefix: str | None = None, actor: str | None = None,
    since: datetime | None = None, until: datetime | None = None, offset: int = 0, limit: int = 50,
) -> list[AuditEntry]:
    """Audit entries, newest first, filtered by an action prefix, an actor and a time range [since, until)."""
    query = _filtered(select(AuditEntry), action_prefix=action_prefix, actor=actor, since=since, until=until)
    return list(await s.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                .offset(offset).limit(limit)))


async def count_audit_entries(
    s: AsyncSession, *, action_prefix: str | None = None, actor: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> int:
    """How many audit entries the same filters match."""
    query = _filtered(select(func.count()).select_from(AuditEntry), action_prefix=action_prefix, actor=actor,
                      since=since, until=until)
    return int(await s.scalar(query) or 0)
