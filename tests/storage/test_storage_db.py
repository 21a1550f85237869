"""The database handle: URLs, SQLite set-up, transactions, UTC round trips."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from storage import Database, StorageError, audit, count_rows, open_database, upgrade_async
from storage.db import parse_url
from storage.tables import AuditEntry, Dossier

ICT = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("url", "driver", "schema"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite", None),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite", None),
        ("postgresql://u@h/db", "postgresql+asyncpg", None),
        ("postgres://u@h/db", "postgresql+asyncpg", None),
        ("postgresql+asyncpg://u@h/db?schema=t1", "postgresql+asyncpg", "t1"),
    ],
)
def test_urls_are_normalised_to_async_drivers(url: str, driver: str, schema: str | None) -> None:
    target = parse_url(url)
    assert (target.url.drivername, target.schema) == (driver, schema)
    assert "schema" not in target.url.query


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "sqlite:///x.db?schema=t1", 'postgresql://u@h/db?schema=a"b']
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StorageError) as caught:
        parse_url(url)
    assert caught.value.code == "bad_url"


async def test_sqlite_creates_the_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "hailong.db"
    async with open_database(f"sqlite:///{path}") as database:
        async with database.transaction() as s:
            pragmas = [
                (await s.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    assert path.exists()
    assert pragmas == ["wal", 1, 5000]


async def test_foreign_keys_are_enforced(db: Database, now: datetime) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            s.add(Dossier(code="X", agency_id=999, status=10, received_on=date(2025, 1, 1),
                          created_at=now, updated_at=now))
            await s.flush()


async def test_transaction_commits_on_exit_and_rolls_back_on_error(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        await audit(s, actor="a", action="kept", subject="x", now=now)
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await audit(s, actor="a", action="dropped", subject="x", now=now)
            raise RuntimeError("boom")
    async with db.transaction() as s:
        assert await count_rows(s, AuditEntry) == 1


async def test_datetimes_round_trip_as_aware_utc(db: Database) -> None:
    local = datetime(2025, 3, 9, 8, 15, 30, 123456, tzinfo=ICT)
    async with db.transaction() as s:
        entry = await audit(s, actor="a", action="b", subject="c", now=local)
    async with db.transaction() as s:
        again = await s.get(AuditEntry, entry.id)
        raw = (await s.execute(text(RAW_UTC[db.dialect]), {"id": entry.id})).scalar_one()
    assert again is not None and again is not entry
    assert again.at == local
    assert again.at.utcoffset() == timedelta(0)
    assert raw.startswith("2025-03-09 01:15:30.123456")


# The stored instant as UTC text, read without SQLAlchemy's type processing.
RAW_UTC = {
    "sqlite": "SELECT CAST(at AS TEXT) FROM audit_log WHERE id = :id",
    "postgresql": "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
    "FROM audit_log WHERE id = :id",
}


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.transaction() as s:
            await audit(s, actor="a", action="b", subject="c", now=datetime(2025, 1, 1))


async def test_postgresql_schema_isolates_tests(db: Database, database_url: str) -> None:
    if db.dialect != "postgresql":
        pytest.skip("schemas are a PostgreSQL feature")
    async with db.transaction() as s:
        schema = (await s.execute(text("SELECT current_schema()"))).scalar_one()
    assert schema == parse_url(database_url).schema


async def test_open_database_takes_an_explicit_schema(database_url: str) -> None:
    target = parse_url(database_url)
    if target.schema is None:
        pytest.skip("schemas are a PostgreSQL feature")
    bare = target.url.render_as_string(hide_password=False)
    async with open_database(bare, schema=target.schema) as database:
        async with database.transaction() as s:
            assert await count_rows(s, AuditEntry) == 0
    assert await upgrade_async(bare, target.schema) is not None
