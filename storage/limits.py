"""Send limits shared by every process: one token-bucket row per key, read and written under a lock.

Keys look like `provider:telegram` or `recipient:telegram:<address>`. On PostgreSQL the row is
locked with FOR UPDATE; on SQLite the BEGIN IMMEDIATE transaction already serialises writers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.tables import RateLimit


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_second` tokens flow in, at most `burst` are kept."""

    per_second: float
    burst: float


@dataclass(frozen=True, slots=True)
class Grant:
    """How many tokens were granted, and how long until the next one (0 when all were granted)."""

    granted: int
    wait: float


async def acquire(s: AsyncSession, key: str, rate: Rate, *, now: datetime, want: int = 1) -> Grant:
    """Take up to `want` tokens from the bucket `key` (created full on first use)."""
    bucket = await _locked(s, key, rate, now)
    if bucket.blocked_until is not None and bucket.blocked_until > now:
        return Grant(0, (bucket.blocked_until - now).total_seconds())
    elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
    tokens = min(rate.burst, bucket.tokens + elapsed * rate.per_second)
    granted = max(0, min(want, int(tokens)))
    bucket.tokens, bucket.updated_at = tokens - granted, now
    await s.flush()
    # The wait is until the next whole token; a caller short of several spaces them by 1/rate.
    wait = 0.0 if granted == want else (1 - (tokens - granted)) / rate.per_second
    return Grant(granted, max(wait, 0.0))


async def release(s: AsyncSession, key: str, rate: Rate, *, now: datetime) -> None:
    """Give back a token taken for a message that was not sent after all."""
    bucket = await _locked(s, key, rate, now)
    bucket.tokens = min(rate.burst, bucket.tokens + 1)
    await s.flush()


async def block(s: AsyncSession, key: str, rate: Rate, *, now: datetime, seconds: float) -> None:
    """The provider said "back off": nobody takes from this bucket for `seconds`."""
    bucket = await _locked(s, key, rate, now)
    until = now + timedelta(seconds=seconds)
    if bucket.blocked_until is None or bucket.blocked_until < until:
        bucket.blocked_until = until
    await s.flush()


async def _locked(s: AsyncSession, key: str, rate: Rate, now: datetime) -> RateLimit:
    stmt = dialect_insert(s, RateLimit).values(key=key, tokens=rate.burst, updated_at=now)
    await s.execute(stmt.on_conflict_do_nothing(index_elements=[RateLimit.key]))
    query = select(RateLimit).where(RateLimit.key == key).execution_options(populate_existing=True)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    bucket = await s.scalar(query)
    assert bucket is not None
    return bucket
