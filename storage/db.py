"""The database handle: one async engine, its sessions, and SQLite/PostgreSQL set-up."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, func, select
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.errors import StorageError
from storage.group import GroupCommit, InlineConnection

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


class _NoDebug(logging.Filter):
    """Drops DEBUG records: aiosqlite logs each statement with its parameters, SQLAlchemy's engine each row."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def _quiet_driver_logs() -> None:
    """Keep statement parameters and result rows out of the logs, whatever level the root logger has."""
    for name in ("aiosqlite", "sqlalchemy.engine.Engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoDebug) for f in logger.filters):
            logger.addFilter(_NoDebug())


def create_engine(target: Target, *, foreign_keys: bool = True) -> AsyncEngine:
    """Create the async engine for a target (SQLite pragmas, PostgreSQL search_path).

    Statement parameters (phone numbers, chat ids, answers, password hashes) stay out of the
    engine's log and of its errors' text (`hide_parameters`): an error logged with its traceback
    names the statement only.
    """
    _quiet_driver_logs()
    if not target.is_sqlite:
        args: dict[str, Any] = {}
        if target.schema:
            args["server_settings"] = {"search_path": target.schema}
        return create_async_engine(target.url, connect_args=args, pool_pre_ping=True, hide_parameters=True)
    path = target.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(target.url, hide_parameters=True)
    _configure_sqlite(engine.sync_engine, foreign_keys=foreign_keys)
    return engine


def create_inline_engine(target: Target) -> Engine | None:
    """SQLite only: a synchronous engine on the same file for group commit (storage/group.py).

    None for an in-memory database, which a second engine would not share.
    """
    path = target.url.database
    if not target.is_sqlite or not path or path == ":memory:" or "mode=memory" in str(target.url):
        return None
    url = target.url.set(drivername="sqlite+pysqlite")
    _quiet_driver_logs()
    # The batch runs on the loop's thread but commits in a worker thread, never both at once.
    engine = create_sync_engine(url, connect_args={"factory": InlineConnection, "check_same_thread": False},
                                hide_parameters=True)
    _configure_sqlite(engine, foreign_keys=True)
    return engine


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    """Take over BEGIN from the sqlite3 driver and set the per-connection pragmas."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's legacy transaction control breaks SAVEPOINT; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on a power cut, and an
        # acknowledged answer must survive one; group commit pays one fsync per batch instead.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
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
    # SQLite on a file: group commit on a synchronous engine sharing `writer` (None: no batching).
    group: GroupCommit | None = None

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

    @asynccontextmanager
    async def grouped(self) -> AsyncIterator[AsyncSession]:
        """A short transaction that may share its commit with concurrent ones (group commit).

        For turns: a few small statements, no I/O but the database's. The block may see the
        uncommitted work of the turns batched before it; it exits once its own work is committed
        (durable), and an exception inside it rolls back its own work only. On PostgreSQL (and an
        in-memory SQLite) it is `transaction()`.
        """
        if self.group is None:
            async with self.transaction() as session:
                yield session
            return
        async with self.group.transaction() as session:
            yield session

    async def close(self) -> None:
        """Close every pooled connection (after the batches in flight commit)."""
        if self.group is not None:
            await self.group.close()
        await self.engine.dispose()


def create_database(url: str | URL, *, schema: str | None = None) -> Database:
    """Build a Database for a URL (no connection is made yet)."""
    target = parse_url(url, schema)
    engine, inline, writer = create_engine(target), create_inline_engine(target), asyncio.Lock()
    group = None if inline is None else GroupCommit(inline, writer)
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False), writer, group)


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


def dialect_insert(s: AsyncSession, model: type[Any] | Table) -> Any:
    """An INSERT of the session's dialect, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    if s.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def per_dialect(build: Callable[[Callable[..., Any]], Any]) -> Callable[[AsyncSession], Any]:
    """A statement built once per dialect: `build` gets that dialect's `insert` (ON CONFLICT).

    For the statements of every turn: building a statement costs more than running it, and a
    prebuilt one (values as execution parameters) also skips the SQL compiler's cache-key walk.
    """
    built: dict[str, Any] = {}

    def statement(s: AsyncSession) -> Any:
        name = s.get_bind().dialect.name
        if name not in built:
            built[name] = build(postgresql.insert if name == "postgresql" else sqlite.insert)
        return built[name]

    return statement
