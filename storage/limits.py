"""Send limits shared by every process: one token-bucket row per key, read and written under a lock.

Keys look like `provider:telegram` or `recipient:telegram:<address>`. On PostgreSQL the row is
locked with FOR UPDATE; on SQLite the BEGIN IMMEDIATE transaction already serialises writers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.tables import RateLimit


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_second` tokens flow in, at most `burst` are kept."""

    per_second: float
    burst: float

    @classmethod
    def capped(cls, limit: float) -> Rate:
        """A bucket under which no one-second window sees more than `limit` grants.

        A bucket lets `burst + per_second` through in a second, not `per_second`; and a grant is
        used a little after it is made (its commit, the batch's sends): so the flow is the limit
        less the burst, with room for up to 100 ms between a grant and its use. The burst (a
        tenth) lets tokens gather between two looks at the queue.
        """
        burst = max(1.0, float(math.floor(limit / 10)))
        return cls(max((limit - burst) / (1 + DELAY), limit / 2), burst)


DELAY = 0.1  # seconds a granted token may wait before it is used (Rate.capped)


@dataclass(frozen=True, slots=True)
class Grant:
    """How many tokens were granted, and how long until the next one (0 when all were granted)."""

    granted: int
    wait: float


_TABLE = RateLimit.__table__
_READ = select(_TABLE.c.tokens, _TABLE.c.updated_at, _TABLE.c.blocked_until).where(_TABLE.c.key == bindparam("key"))
_READ_LOCKED = _READ.with_for_update()
_WRITE = _TABLE.update().where(_TABLE.c.key == bindparam("b_key"))


async def acquire(s: AsyncSession, key: str, rate: Rate, *, now: datetime, want: int = 1) -> Grant:
    """Take up to `want` tokens from the bucket `key` (created full on first use).

    Plain statements, no ORM object: the bucket is read (locked on PostgreSQL), created only when
    it is not there yet, and written back: two statements once it exists (every send takes one).
    """
    query = _READ_LOCKED if s.get_bind().dialect.name == "postgresql" else _READ
    row = (await s.execute(query, {"key": key})).one_or_none()
    if row is None:
        await s.execute(dialect_insert(s, _TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.key]),
                        {"key": key, "tokens": rate.burst, "updated_at": now})
        row = (await s.execute(query, {"key": key})).one()
    stored, updated, blocked = row
    if blocked is not None and blocked > now:
        return Grant(0, (blocked - now).total_seconds())
    elapsed = max(0.0, (now - updated).total_seconds())
    tokens = min(rate.burst, stored + elapsed * rate.per_second)
    granted = max(0, min(want, int(tokens)))
    await s.execute(_WRITE, {"b_key": key, "tokens": tokens - granted, "updated_at": now})
    # The wait is until the next whole token; a caller short of several spaces them by 1/rate.
    wait = 0.0 if granted == want else (1 - (tokens - granted)) / rate.per_second
    return Grant(granted, max(wait, 0.0))


async def acquire_each(s: AsyncSession, keys: list[str], rate: Rate, *, now: datetime) -> list[Grant]:
    """One token from each bucket of `keys` (as `acquire`, want=1), in three statements for any number."""
    if not keys:
        return []
    table = RateLimit.__table__
    await s.execute(dialect_insert(s, table).on_conflict_do_nothing(index_elements=[table.c.key]),
                    [{"key": key, "tokens": rate.burst, "updated_at": now} for key in dict.fromkeys(keys)])
    query = select(table.c.key, table.c.tokens, table.c.updated_at, table.c.blocked_until).where(
        table.c.key.in_(keys))
    if s.get_bind().dialect.name == "postgresql":
        query = query.order_by(table.c.key).with_for_update()  # one order: no deadlock between processes
    buckets = {key: [tokens, updated, blocked] for key, tokens, updated, blocked in await s.execute(query)}
    grants = []
    for key in keys:
        bucket = buckets[key]
        tokens, updated, blocked = bucket
        if blocked is not None and blocked > now:
            grants.append(Grant(0, (blocked - now).total_seconds()))
            continue
        tokens = min(rate.burst, tokens + max(0.0, (now - updated).total_seconds()) * rate.per_second)
        granted = 1 if tokens >= 1 else 0
        bucket[0], bucket[1] = tokens - granted, now
        grants.append(Grant(granted, 0.0 if granted else (1 - tokens) / rate.per_second))
    update = table.update().where(table.c.key == bindparam("b_key"))
    await s.execute(update, [{"b_key": key, "tokens": tokens, "updated_at": updated}
                             for key, (tokens, updated, _) in buckets.items()])
    return grants


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
