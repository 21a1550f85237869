"""Alembic environment: migrates on the connection storage.migrate hands over, else on the URL."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from storage.db import create_engine, parse_url
from storage.tables import Base, UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render UTCDateTime as its plain column type so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(connection: Connection) -> None:
    """Configure the migration context on a sync connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: autogenerate emits batch (copy-and-move) operations.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )


def run_on(connection: Connection) -> None:
    """Run the migrations inside the caller's transaction."""
    configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_on_url() -> None:
    """Open an engine from the config (the alembic CLI path) and migrate in one transaction."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "sqlalchemy.url is set by storage.migrate before alembic runs"
    target = parse_url(url, config.attributes.get("schema"))
    engine = create_engine(target, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_on_url())
