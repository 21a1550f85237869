"""Migrations: they build exactly the tables of storage/tables.py, and re-running changes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from storage import (
    Database,
    audit,
    count_rows,
    current,
    current_async,
    open_database,
    upgrade,
    upgrade_async,
)
from storage.migrate import head
from storage.tables import AuditEntry, Base


def _differences(connection: Connection) -> list[object]:
    """What autogenerate would change to make the database match Base.metadata."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def _table_names(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        names = await connection.run_sync(lambda c: c.dialect.get_table_names(c))
    return set(names)


async def test_migrated_database_matches_the_tables(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
    assert await _table_names(db) == set(Base.metadata.tables) | {"alembic_version"}


async def test_an_empty_database_differs_from_the_tables(blank_database_url: str) -> None:
    # Proves the comparison above can fail.
    async with open_database(blank_database_url) as db:
        async with db.engine.connect() as connection:
            assert len(await connection.run_sync(_differences)) >= len(Base.metadata.tables)


async def test_upgrade_is_idempotent(blank_database_url: str) -> None:
    assert await current_async(blank_database_url) is None
    assert await upgrade_async(blank_database_url) == head()
    assert await upgrade_async(blank_database_url) == head()
    assert await current_async(blank_database_url) == head()
    async with open_database(blank_database_url) as db:
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_differences) == []


def test_sync_upgrade_and_current_for_the_cli(database_url: str) -> None:
    # The fixture already migrated: the sync path must see that and do nothing.
    assert current(database_url) == head()
    assert upgrade(database_url) == head()


def test_head_is_the_latest_numbered_revision() -> None:
    # Revisions are numbered files (0001_initial.py, 0002_reports.py, …): the head is the last.
    versions = Path(__file__).resolve().parents[2] / "storage" / "migrations" / "versions"
    assert head() == max(p.name[:4] for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


async def test_upgrade_again_keeps_the_data(database_url: str, now: datetime) -> None:
    async with open_database(database_url) as db:
        async with db.transaction() as s:
            await audit(s, actor="a", action="b", subject="c", now=now)
    assert await upgrade_async(database_url) == head()
    async with open_database(database_url) as db:
        async with db.transaction() as s:
            assert await count_rows(s, AuditEntry) == 1
