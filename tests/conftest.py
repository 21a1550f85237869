"""Fixtures shared by every test folder: one database per test, on every backend.

- `backend`: "sqlite" or "postgresql"; tests that use a database run once per backend.
  PostgreSQL runs only when HAILONG_TEST_POSTGRES_URL is set (e.g.
  postgresql+asyncpg://postgres@127.0.0.1:5432/test), and is skipped otherwise.
- `blank_database_url`: an empty database nobody else uses: a SQLite file under tmp_path,
  or a fresh random PostgreSQL schema (named in the URL as `?schema=…`, which
  `storage.open_database` and `storage.upgrade` understand), dropped CASCADE afterwards.
- `database_url`: the same, migrated to the head revision.
- `db`: an open `storage.Database` on `database_url`, closed afterwards.
- `now`: a fixed aware UTC datetime (storage never reads the clock).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage import Database, open_database, upgrade_async
from storage.db import parse_url

POSTGRES_ENV = "HAILONG_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; PostgreSQL is skipped without a server address."""
    if request.param == "postgresql" and not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set")
    return request.param


@pytest.fixture
async def blank_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, private database: a SQLite file or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}"
        return
    server = parse_url(os.environ[POSTGRES_ENV]).url
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(server)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield server.update_query_dict({"schema": schema}).render_as_string(hide_password=False)
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


@pytest.fixture
async def database_url(blank_database_url: str) -> str:
    """A private database migrated to the head revision."""
    await upgrade_async(blank_database_url)
    return blank_database_url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """An open Database on a migrated private database."""
    async with open_database(database_url) as database:
        yield database


@pytest.fixture
def now() -> datetime:
    """A fixed instant, aware and in UTC."""
    return datetime(2025, 7, 1, 2, 30, tzinfo=timezone.utc)


@pytest.fixture
def chromium(request: pytest.FixtureRequest):
    """A real headless Chromium (Debian's) for one test; its screenshots name the test's backend.

    Per test, not per session: Playwright's sync API runs an event loop in this thread while
    it lives, and a loop left running would break every async test that comes after.
    """
    from live import CHROMIUM, artifacts_for, launch_chromium

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs chromium) or `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("backend") if callspec is not None else None
    with artifacts_for(backend), sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
