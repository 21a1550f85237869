"""Per-key serialisation inside a transaction, across every process sharing the database."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def lock_id(key: str) -> int:
    """A stable signed 64-bit id for a key (Python's hash() differs between processes)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_key(s: AsyncSession, key: str) -> None:
    """Hold `key` until the transaction ends: PostgreSQL advisory lock; SQLite needs none.

    On SQLite every transaction begins IMMEDIATE, so writers are already one at a time.
    """
    if s.get_bind().dialect.name != "postgresql":
        return
    await s.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id(key)})
