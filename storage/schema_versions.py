"""Scoring schema versions loaded by admins: each row is one version's YAML text and its dates.

Storage keeps the text as loaded (``source``) with its ``checksum``; it never reads it (storage
knows nothing of flows or schemas). The 2018 schema shipped in survey_flows/data is the base that
is always in force where no loaded version is (survey_flows.known_versions adds it); a row with
its version name exists only when an admin loaded that same text again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.errors import StorageError
from storage.tables import Base, Evaluation


class SchemaVersion(Base):
    """One loaded schema version: ``version`` (unique), its effective dates and YAML text, who loaded it."""

    __tablename__ = "schema_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A loaded version as read back: what the callers parse and list."""

    version: str
    effective_from: date
    effective_to: date | None
    source: str
    checksum: str
    loaded_by: str
    loaded_at: datetime


class DuplicateVersion(StorageError):
    """A version with this name is already loaded (loaded meanwhile by someone else)."""

    code = "duplicate_schema_version"


def checksum(source: str) -> str:
    """The SHA-256 of a version's text, hex: the same text gives the same checksum."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _stored(row: SchemaVersion) -> StoredVersion:
    return StoredVersion(row.version, row.effective_from, row.effective_to, row.source, row.checksum,
                         row.loaded_by, row.loaded_at)


async def stored_versions(s: AsyncSession) -> list[StoredVersion]:
    """Every loaded version, oldest effective date first."""
    rows = await s.scalars(select(SchemaVersion).order_by(SchemaVersion.effective_from, SchemaVersion.version))
    return [_stored(row) for row in rows]


async def add_schema_version(
    s: AsyncSession, *, version: str, effective_from: date, effective_to: date | None, source: str,
    loaded_by: str, now: datetime,
) -> StoredVersion:
    """Store a version (its checksum computed here); DuplicateVersion when the name is taken."""
    row = SchemaVersion(version=version, effective_from=effective_from, effective_to=effective_to, source=source,
                        checksum=checksum(source), loaded_by=loaded_by[:120], loaded_at=now)
    try:
        async with s.begin_nested():  # a refused version leaves the caller's transaction usable
            s.add(row)
            await s.flush()
    except IntegrityError as exc:
        raise DuplicateVersion(f"schema version {version!r} is already loaded") from exc
    return _stored(row)


async def evaluations_since(s: AsyncSession, start: datetime, *, other_than: str) -> int:
    """How many evaluations completed at or after ``start`` were recorded under a version other than
    ``other_than``: a version starting before them would contradict what they recorded."""
    stmt = select(func.count()).select_from(Evaluation).where(
        Evaluation.completed_at >= start, Evaluation.schema_version != other_than)
    return int(await s.scalar(stmt) or 0)


async def evaluations_by_version(s: AsyncSession) -> dict[str, int]:
    """Version name → how many evaluations recorded it."""
    stmt = select(Evaluation.schema_version, func.count()).group_by(Evaluation.schema_version)
    return {version: int(count) for version, count in await s.execute(stmt)}
