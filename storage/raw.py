"""The turns' statements on a group-commit batch's own `sqlite3` connection (SQLite only).

Inside `Database.grouped()` on a SQLite file, a member's session carries the batch's `sqlite3`
connection (`RAW` in `session.info`); the few statements every turn runs (record the update id,
find the chat's survey, read and write its session, queue the answer, mark the survey) then go
straight to it as prepared SQL text: a few microseconds each instead of SQLAlchemy's hundreds.
Everything else, and every statement on PostgreSQL or outside a batch, stays on SQLAlchemy.

The rows are the ones SQLAlchemy writes: timestamps as `UTCDateTime` stores them on SQLite
(converted to UTC, `YYYY-MM-DD HH:MM:SS.ffffff`, no zone), JSON as the `JSON` type does
(`json.dumps`, None as NULL). tests/storage/test_storage_raw.py compares both paths' rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.tables import Survey

RAW = "hailong.sqlite3"  # key of the batch's sqlite3 connection in a member session's `info`


def raw_connection(s: AsyncSession) -> sqlite3.Connection | None:
    """The batch's `sqlite3` connection when `s` is a group-commit member, else None."""
    return s.info.get(RAW)


def stamp(value: datetime | None) -> str | None:
    """A timestamp as UTCDateTime + SQLite's DATETIME store it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    v = value.astimezone(timezone.utc)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
            f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}")


def unstamp(value: str | None) -> datetime | None:
    """A stored timestamp read back as UTCDateTime does: aware, UTC."""
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def dumps(value: Any) -> str | None:
    """JSON as the `JSON(none_as_null=True)` columns store it."""
    return None if value is None else json.dumps(value)


def loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def run(con: sqlite3.Connection, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
    """Execute one statement; the driver's errors surface as SQLAlchemy's, as on the other path."""
    try:
        return con.execute(sql, params)
    except sqlite3.IntegrityError as error:
        raise exc.IntegrityError(sql, params, error) from error
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(sql, params, error, sqlite3.Error) from error


# --- the statements ---------------------------------------------------------------------

RECORD_INBOUND = (
    "INSERT INTO inbound_messages (channel, provider_message_id, received_at) VALUES (?, ?, ?) "
    "ON CONFLICT (channel, provider_message_id) DO NOTHING RETURNING id"
)
QUEUE = (
    "INSERT INTO outbox (survey_id, channel, address, payload, status, attempts, next_attempt_at, created_at) "
    "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)"
)
_SURVEY_COLUMNS = ("id", "dossier_id", "token", "flow_id", "flow_revision", "status", "channel",
                   "contact_id", "created_at", "expires_at", "ended_at")
OPEN_SURVEY = (
    f"SELECT {', '.join('s.' + c for c in _SURVEY_COLUMNS)} FROM surveys s "
    "JOIN contact_addresses a ON a.contact_id = s.contact_id "
    "WHERE a.channel = ? AND a.address = ? AND s.status IN ('invited', 'active') "
    "ORDER BY CASE WHEN s.status = 'active' THEN 0 ELSE 1 END, s.id DESC LIMIT 1"
)
READ_SESSION = "SELECT version, status, state FROM sessions WHERE survey_id = ?"
UPDATE_SESSION = (
    "UPDATE sessions SET channel = ?, status = ?, state = ?, updated_at = ?, version = version + 1 "
    "WHERE survey_id = ? AND version = ? RETURNING version"
)
INSERT_SESSION = (
    "INSERT INTO sessions (survey_id, channel, status, state, version, updated_at) VALUES (?, ?, ?, ?, 1, ?) "
    "ON CONFLICT (survey_id) DO NOTHING RETURNING version"
)
UPSERT_SESSION = (
    "INSERT INTO sessions (survey_id, channel, status, state, version, updated_at) VALUES (?, ?, ?, ?, 1, ?) "
    "ON CONFLICT (survey_id) DO UPDATE SET channel = excluded.channel, status = excluded.status, "
    "state = excluded.state, updated_at = excluded.updated_at, version = sessions.version + 1 RETURNING version"
)
MARK_OPEN = "UPDATE surveys SET status = ? WHERE id = ?"
MARK_OPEN_CHANNEL = "UPDATE surveys SET status = ?, channel = ? WHERE id = ?"
MARK_ENDED = "UPDATE surveys SET status = ?, ended_at = coalesce(ended_at, ?) WHERE id = ?"
MARK_ENDED_CHANNEL = "UPDATE surveys SET status = ?, channel = ?, ended_at = coalesce(ended_at, ?) WHERE id = ?"


class SessionRow(NamedTuple):
    """`read_session`'s row: `.version`, `.status`, `.state` (decoded)."""

    version: int
    status: str
    state: Any


def survey_of(row: Sequence[Any]) -> Survey:
    """A Survey object as the ORM would load it, detached (a session may adopt it without an INSERT)."""
    survey: Survey = Survey.__mapper__.class_manager.new_instance()
    values = dict(zip(_SURVEY_COLUMNS, row))
    for key in ("created_at", "expires_at", "ended_at"):
        values[key] = unstamp(values[key])
    survey.__dict__.update(values)
    make_transient_to_detached(survey)
    return survey
