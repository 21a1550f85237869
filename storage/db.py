"""The database handle: one async engine, its sessions, and SQLite/PostgreSQL set-up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 5000
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect: an async-driver URL plus an optional PostgreSQL schema."""

    url: URL
    schema: str | None = None

    @property
    def is_sqlite(self) -> bool:
        """True for SQLite (aiosqlite)."""
        return self.url.get_backend_name() == "sqlite"


def parse_url(url: str | URL, schema: str | None = None) -> Target:
    """Normalise a URL to its async driver; a `?schema=` query item becomes the schema."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise StorageError(f"unsupported database URL driver: {parsed.drivername}", code="bad_url")
    schema = schema or parsed.query.get("schema")  # type: ignore[assignment]
    parsed = parsed.set(drivername=driver).difference_update_query(["schema"])
    target = Target(parsed, schema)
    if schema and target.is_sqlite:
        raise StorageError("a schema is only supported on PostgreSQL", code="bad_url")
    if schema and not _SCHEMA_NAME.fullmatch(schema):
        # The name is spliced into CREATE SCHEMA: letters, digits and underscores only.
        raise StorageError(f"invalid schema name: {schema!r}", code="bad_url")
    return target


def create_engine(target: Target, *, foreign_keys: bool = True) -> AsyncEngine:
    """Create the async engine for a target (SQLite pragmas, PostgreSQL search_path)."""
    if not target.is_sqlite:
        args: dict[str, Any] = {}
        if target.schema:
            args["server_settings"] = {"search_path": target.schema}
        return create_async_engine(target.url, connect_args=args, pool_pre_ping=True)
    path = target.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(target.url)
    _configure_sqlite(engine, foreign_keys=foreign_keys)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    """Take over BEGIN from the sqlite3 driver and set the per-connection pragmas."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's legacy transaction control breaks SAVEPOINT; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a read-then-write transaction waits
        # (busy_timeout) instead of failing with "database is locked" on the upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True, slots=True)
class Database:
    """An async engine and its session factory."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # SQLite has one writer at a time and every transaction begins IMMEDIATE: queue this process's
    # transactions here rather than in SQLite's busy handler (sleeps of up to 100 ms, then "locked").
    writer: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def dialect(self) -> str:
        """The backend name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yield a session inside one transaction: committed on exit, rolled back on error."""
        if self.engine.dialect.name != "sqlite":
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self.writer, self.sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def create_database(url: str | URL, *, schema: str | None = None) -> Database:
    """Build a Database for a URL (no connection is made yet)."""
    engine = create_engine(parse_url(url, schema))
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


@asynccontextmanager
async def open_database(url: str | URL, *, schema: str | None = None) -> AsyncIterator[Database]:
    """Open a Database for the duration of the block and dispose of its engine after."""
    database = create_database(url, schema=schema)
    try:
        yield database
    finally:
        await database.close()


async def count_rows(s: AsyncSession, table: type[Any] | Table) -> int:
    """Count the rows of a mapped class or a Table."""
    return (await s.execute(select(func.count()).select_from(table))).scalar_one()


def dialect_insert(s: AsyncSession, model: type[Any]) -> Any:
    """An INSERT of the session's dialect, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    if s.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
