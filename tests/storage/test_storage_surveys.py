"""Surveys (one per dossier, enforced by the database) and sessions (optimistic versions)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from storage import (
    Database,
    DuplicateSurvey,
    NotFound,
    StaleSession,
    StorageError,
    audit,
    count_rows,
    create_survey,
    find_survey,
    load_session,
    save_session,
    set_survey_status,
)
from storage.tables import AuditEntry, Survey


async def _survey(db: Database, seed, now: datetime, token: str = "tok-1") -> Survey:
    async with db.transaction() as s:
        return await create_survey(
            s, dossier_id=seed.dossier_id, token=token, flow_id="kiosk3", now=now,
            expires_at=now + timedelta(days=7), channel="telegram",
        )


async def test_create_and_find_survey(db: Database, seed, now: datetime) -> None:
    created = await _survey(db, seed, now)
    async with db.transaction() as s:
        by_token = await find_survey(s, token="tok-1")
        by_dossier = await find_survey(s, dossier_id=seed.dossier_id)
        by_both = await find_survey(s, token="tok-1", dossier_id=seed.dossier_id)
        assert await find_survey(s, token="other") is None
        assert await find_survey(s, token="tok-1", dossier_id=seed.dossier_id + 1) is None
    assert by_token is not None and by_dossier is not None and by_both is not None
    assert by_token.id == by_dossier.id == by_both.id == created.id
    assert (by_token.status, by_token.channel, by_token.ended_at) == ("invited", "telegram", None)
    assert by_token.expires_at == now + timedelta(days=7)


async def test_find_survey_needs_a_key(db: Database) -> None:
    async with db.transaction() as s:
        with pytest.raises(TypeError):
            await find_survey(s)


async def test_the_database_refuses_a_second_survey_for_a_dossier(db: Database, seed, now: datetime) -> None:
    await _survey(db, seed, now)
    raw = insert(Survey).values(
        dossier_id=seed.dossier_id, token="tok-2", flow_id="kiosk3", status="invited",
        created_at=now, expires_at=now,
    )
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            await s.execute(raw)
    async with db.transaction() as s:
        assert await count_rows(s, Survey) == 1


async def test_create_survey_refuses_a_duplicate_and_keeps_the_transaction(
    db: Database, seed, now: datetime
) -> None:
    first = await _survey(db, seed, now)
    async with db.transaction() as s:
        kept = await audit(s, actor="t", action="before", subject="x", now=now)
        with pytest.raises(DuplicateSurvey) as caught:
            await create_survey(
                s, dossier_id=seed.dossier_id, token="tok-2", flow_id="kiosk3", now=now,
                expires_at=now,
            )
        assert caught.value.code == "duplicate_survey"
        # The outer transaction is still usable, and objects loaded before are still readable.
        await audit(s, actor="t", action="after", subject=kept.subject, now=now)
        again = await find_survey(s, dossier_id=seed.dossier_id)
    assert again is not None and again.id == first.id
    async with db.transaction() as s:
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert actions == ["before", "after"]
        assert await count_rows(s, Survey) == 1


async def test_create_survey_reports_other_constraint_errors(db: Database, seed, now: datetime) -> None:
    await _survey(db, seed, now, token="same")
    async with db.transaction() as s:
        with pytest.raises(StorageError) as caught:
            await create_survey(
                s, dossier_id=seed.dossier_id + 1000, token="t", flow_id="f", now=now, expires_at=now
            )
    assert caught.value.code == "constraint"


async def test_a_savepoint_rolls_back_with_its_transaction(db: Database, seed, now: datetime) -> None:
    # sqlite3's legacy transaction control would have committed the released SAVEPOINT.
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await create_survey(
                s, dossier_id=seed.dossier_id, token="t", flow_id="f", now=now, expires_at=now
            )
            raise RuntimeError("abort")
    async with db.transaction() as s:
        assert await count_rows(s, Survey) == 0


async def test_set_survey_status_stamps_the_end_once(db: Database, seed, now: datetime) -> None:
    survey = await _survey(db, seed, now)
    async with db.transaction() as s:
        active = await set_survey_status(s, survey.id, "active", now=now, channel="zalo")
        assert (active.status, active.channel, active.ended_at) == ("active", "zalo", None)
    end = now + timedelta(minutes=3)
    async with db.transaction() as s:
        await set_survey_status(s, survey.id, "completed", now=end)
        await set_survey_status(s, survey.id, "duplicate", now=end + timedelta(minutes=1))
    async with db.transaction() as s:
        stored = await find_survey(s, token="tok-1")
    assert stored is not None
    assert (stored.status, stored.channel, stored.ended_at) == ("duplicate", "zalo", end)


async def test_set_survey_status_of_a_missing_survey(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        with pytest.raises(NotFound):
            await set_survey_status(s, 12345, "active", now=now)


async def test_save_session_inserts_then_bumps_the_version(db: Database, seed, now: datetime) -> None:
    survey = await _survey(db, seed, now)
    async with db.transaction() as s:
        assert await load_session(s, survey.id) is None
        first = await save_session(
            s, survey_id=survey.id, channel="sms", status="active", state={"step": "q1"}, now=now
        )
    later = now + timedelta(seconds=30)
    async with db.transaction() as s:
        second = await save_session(
            s, survey_id=survey.id, channel="sms", status="active",
            state={"step": "q2", "answers": {"q1": 2}}, now=later, expected_version=first.version,
        )
    async with db.transaction() as s:
        stored = await load_session(s, survey.id)
    assert (first.version, second.version) == (1, 2)
    assert stored is not None
    assert (stored.id, stored.version, stored.updated_at) == (first.id, 2, later)
    assert stored.state == {"step": "q2", "answers": {"q1": 2}}


async def test_save_session_refuses_a_stale_version(db: Database, seed, now: datetime) -> None:
    survey = await _survey(db, seed, now)
    save = dict(survey_id=survey.id, channel="sms", status="active", now=now)
    async with db.transaction() as s:
        await save_session(s, state={"n": 1}, expected_version=0, **save)
        await save_session(s, state={"n": 2}, expected_version=1, **save)
    for stale in (0, 1, 3):
        async with db.transaction() as s:
            with pytest.raises(StaleSession) as caught:
                await save_session(s, state={"n": 99}, expected_version=stale, **save)
    assert caught.value.code == "stale_session"
    async with db.transaction() as s:
        stored = await load_session(s, survey.id)
    assert stored is not None and (stored.version, stored.state) == (2, {"n": 2})


async def test_expected_version_of_a_missing_session_is_stale(db: Database, seed, now: datetime) -> None:
    survey = await _survey(db, seed, now)
    async with db.transaction() as s:
        with pytest.raises(StaleSession):
            await save_session(
                s, survey_id=survey.id, channel="sms", status="active", state={}, now=now,
                expected_version=1,
            )


async def test_two_writers_of_one_version_one_wins(db: Database, seed, now: datetime) -> None:
    survey = await _survey(db, seed, now)
    save = dict(survey_id=survey.id, channel="sms", status="active", now=now)
    async with db.transaction() as s:
        await save_session(s, state={"by": "nobody"}, **save)
    first_wrote = asyncio.Event()

    async def first() -> str:
        async with db.transaction() as s:
            await save_session(s, state={"by": "first"}, expected_version=1, **save)
            first_wrote.set()
            await asyncio.sleep(0.3)  # hold the row while the second writer tries
        return "ok"

    async def second() -> str:
        await first_wrote.wait()
        try:
            async with db.transaction() as s:
                await save_session(s, state={"by": "second"}, expected_version=1, **save)
        except StaleSession:
            return "stale"
        return "ok"

    assert await asyncio.gather(first(), second()) == ["ok", "stale"]
    async with db.transaction() as s:
        stored = await load_session(s, survey.id)
    assert stored is not None and (stored.version, stored.state) == (2, {"by": "first"})


async def test_bulk_survey_opening_skips_surveyed_and_evaluated_dossiers(db, seed, now) -> None:
    from datetime import date

    from storage import (
        AnswerIn,
        contact_address,
        create_surveys,
        record_evaluation,
        unsurveyed_returned,
        upsert_contact_address,
        upsert_dossier,
    )

    async with db.transaction() as s:
        phone = await upsert_contact_address(s, channel="sms", address="+84912345678", now=now)
        ids = []
        for n in (2, 3, 4):
            d, _ = await upsert_dossier(s, code=f"000.17.22.H56-250601-000{n}", agency_id=seed.agency_id,
                                        status=10 if n != 4 else 4, received_on=date(2025, 6, 1),
                                        contact_id=phone.contact_id, now=now)
            ids.append(d.id)
        await record_evaluation(s, dossier_id=ids[1], agency_id=seed.agency_id, channel="kiosk",
                                schema_version="x", completed_at=now, answers=[AnswerIn("comment", text="ok")])
    async with db.transaction() as s:
        rows = await unsurveyed_returned(s, after=0, limit=10)
        assert [d for d, _, _ in rows] == [seed.dossier_id, ids[0]]  # not evaluated, not in processing
        assert rows[1][1] == phone.contact_id and rows[1][2] == {}
        assert await unsurveyed_returned(s, after=seed.dossier_id, limit=10) == rows[1:]
        values = [{"dossier_id": d, "token": f"t{d}", "flow_id": "quick", "status": "invited", "contact_id": c,
                   "created_at": now, "expires_at": now} for d, c, _ in rows]
        created = await create_surveys(s, values)
        assert set(created) == {seed.dossier_id, ids[0]}
        assert await create_surveys(s, values) == {}  # a second time: the unique key skips them all
        assert await unsurveyed_returned(s, after=0, limit=10) == []
        assert await contact_address(s, phone.contact_id, "sms") == "+84912345678"
        assert await contact_address(s, phone.contact_id, "telegram") is None
