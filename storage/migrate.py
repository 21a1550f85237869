"""Alembic migrations run programmatically: no alembic.ini, callable from sync or async code."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from storage.db import Target, create_engine, parse_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(target: Target | None = None) -> Config:
    """An Alembic Config pointing at storage/migrations (and at the target, for the alembic CLI)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if target is not None:
        url = target.url.render_as_string(hide_password=False).replace("%", "%%")
        config.set_main_option("sqlalchemy.url", url)
        config.attributes["schema"] = target.schema
    return config


def head() -> str:
    """The newest revision shipped with the code ("a,b" while two branches await their merge)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads, "storage/migrations/versions is empty"
    return ",".join(sorted(heads))


async def upgrade_async(url: str | URL, schema: str | None = None) -> str:
    """Migrate the database to the head revision (a no-op when already there); return it."""
    target = parse_url(url, schema)
    # Foreign keys off on SQLite: batch migrations copy and drop tables that others reference.
    engine = create_engine(target, foreign_keys=False)
    config = alembic_config(target)
    try:
        async with engine.begin() as connection:
            if target.schema:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{target.schema}"'))
            return await connection.run_sync(_upgrade, config)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config) -> str:
    """Run `alembic upgrade heads` on an open connection (env.py picks the connection up)."""
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")  # every branch: parallel work may land before its merge
    revision = _revisions(connection)
    assert revision is not None
    return revision


def _revisions(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def upgrade(url: str | URL, schema: str | None = None) -> str:
    """Sync wrapper of `upgrade_async` for the CLI; do not call it inside a running loop."""
    return asyncio.run(upgrade_async(url, schema))


async def current_async(url: str | URL, schema: str | None = None) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    engine = create_engine(parse_url(url, schema))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revisions)
    finally:
        await engine.dispose()


def current(url: str | URL, schema: str | None = None) -> str | None:
    """Sync wrapper of `current_async` for the CLI."""
    return asyncio.run(current_async(url, schema))
