"""The turns' statements on a batch's raw `sqlite3` connection (storage/raw.py) write exactly what
the SQLAlchemy path writes: the same rows, column for column, in the same encoding."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest

from storage import (
    Database,
    create_survey,
    find_open_survey,
    record_inbound,
    set_survey_contact,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from storage.errors import StaleSession
from storage.messages import queue
from storage.raw import raw_connection
from storage.surveys import mark_survey, read_session, write_session

TABLES = {
    "inbound_messages": "channel, provider_message_id, received_at",
    "outbox": "survey_id, channel, address, payload, status, attempts, next_attempt_at, provider_message_id, "
              "last_error, created_at, sent_at",
    "sessions": "survey_id, channel, status, state, version, updated_at",
    "surveys": "id, dossier_id, token, flow_id, flow_revision, status, channel, contact_id, created_at, "
               "expires_at, ended_at",
}


async def _seed(db: Database, now: datetime) -> list[int]:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="A1", name="UBND", now=now)
        chat = await upsert_contact_address(s, channel="telegram", address="42", now=now)
        ids = []
        for code in ("D-1", "D-2"):
            dossier, _ = await upsert_dossier(s, code=code, agency_id=agency.id, status=10,
                                              received_on=date(2025, 6, 1), now=now)
            survey = await create_survey(s, dossier_id=dossier.id, token=f"tok-{code}", flow_id="quick",
                                         now=now, expires_at=now + timedelta(days=3))
            await set_survey_contact(s, survey.id, chat.contact_id)
            ids.append(survey.id)
        return ids


async def _turns(db: Database, grouped: bool, now: datetime) -> list:
    """Every raw statement, both outcomes where there are two; what the reads returned."""
    seen = []
    # A time zone other than UTC and no microseconds: stored as UTC, with ".000000".
    later = now.astimezone(timezone(timedelta(hours=7))).replace(microsecond=0) + timedelta(seconds=1)
    async with (db.grouped() if grouped else db.transaction()) as s:
        assert (raw_connection(s) is not None) == grouped
        seen.append(await record_inbound(s, channel="telegram", provider_message_id="update:1", now=now))
        seen.append(await record_inbound(s, channel="telegram", provider_message_id="update:1", now=now))
        survey = await find_open_survey(s, channel="telegram", address="42")
        seen.append((survey.id, survey.status, survey.created_at, survey.expires_at, survey.ended_at,
                     survey.flow_revision, survey.contact_id, survey.token))
        seen.append(await read_session(s, survey.id))
        state = {"step_id": "overall", "answers": {"a": [1, "hài lòng"]}, "none": None}
        seen.append(await write_session(s, survey_id=survey.id, channel="telegram", status="active",
                                        state=state, now=now, expected_version=None))
        seen.append(await write_session(s, survey_id=survey.id, channel="telegram", status="active",
                                        state=state | {"n": 2}, now=later, expected_version=1))
        with pytest.raises(StaleSession):
            await write_session(s, survey_id=survey.id, channel="telegram", status="x", state={}, now=now,
                                expected_version=1)
        with pytest.raises(StaleSession):
            await write_session(s, survey_id=survey.id, channel="telegram", status="x", state={}, now=now,
                                expected_version=0)
        seen.append(await write_session(s, survey_id=survey.id, channel="telegram", status="active",
                                        state=state, now=later, expected_version=None))
        row = await read_session(s, survey.id)
        seen.append((row.version, row.status, row.state))
        await queue(s, channel="telegram", address="42", now=later, survey_id=survey.id,
                    payload={"text": "Câu hỏi?", "choices": [{"code": "1", "label": "Có"}], "multi": False})
        await queue(s, channel="telegram", address="42", now=now, payload={"text": "x", "choices": []})
        await mark_survey(s, survey, "active", now=now, channel="telegram")
        await mark_survey(s, survey, "active", now=now)
        seen.append((survey.status, survey.channel, survey.ended_at))
        other = await find_open_survey(s, channel="telegram", address="42")
        await mark_survey(s, other, "completed", now=later, channel="telegram")
        await mark_survey(s, other, "duplicate", now=now)
        seen.append((other.status, other.channel, other.ended_at))
        seen.append(await find_open_survey(s, channel="telegram", address="42") is not None)
        seen.append(await find_open_survey(s, channel="telegram", address="43"))
    return seen


def _rows(db: Database) -> dict[str, list[tuple]]:
    with sqlite3.connect(db.engine.url.database) as con:
        return {t: con.execute(f"SELECT {cols} FROM {t} ORDER BY {cols}").fetchall() for t, cols in TABLES.items()}


async def test_the_raw_path_writes_what_sqlalchemy_writes(tmp_path, now: datetime) -> None:
    from storage import open_database, upgrade_async

    results, rows = [], []
    for grouped in (False, True):
        url = f"sqlite+aiosqlite:///{tmp_path / f'{grouped}.db'}"
        await upgrade_async(url)
        async with open_database(url) as db:
            assert db.group is not None
            await _seed(db, now)
            results.append(await _turns(db, grouped, now))
            rows.append(_rows(db))
    assert results[0] == results[1]
    assert rows[0] == rows[1]
    assert any(r[3].startswith('{"text": "C\\u00e2u') for r in rows[1]["outbox"])  # json.dumps, as JSON does
    assert all(len(r[2]) == 26 for r in rows[1]["inbound_messages"])  # "YYYY-MM-DD HH:MM:SS.ffffff"


async def test_a_member_that_fails_undoes_its_raw_statements(tmp_path, now: datetime) -> None:
    from storage import open_database, upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"
    await upgrade_async(url)
    async with open_database(url) as db:
        await _seed(db, now)
        with pytest.raises(RuntimeError):
            async with db.grouped() as s:
                assert raw_connection(s) is not None
                await record_inbound(s, channel="telegram", provider_message_id="update:9", now=now)
                await upsert_contact_address(s, channel="telegram", address="99", now=now)  # ORM, nested
                raise RuntimeError
        async with db.grouped() as s:
            assert await record_inbound(s, channel="telegram", provider_message_id="update:9", now=now)
        rows = _rows(db)
    assert [r[1] for r in rows["inbound_messages"]] == ["update:9"]
