"""Dossiers: created once, updated in place."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from storage import (
    Database,
    NotFound,
    count_rows,
    dossier_names,
    find_dossier,
    get_dossier,
    upsert_dossier,
    upsert_officer,
    upsert_procedure,
)
from storage.tables import Dossier


async def test_upsert_dossier_creates_then_updates(db: Database, seed, now: datetime) -> None:
    later = now + timedelta(hours=5)
    async with db.transaction() as s:
        created, is_new = await upsert_dossier(
            s, code="D-1", agency_id=seed.agency_id, status=4, received_on=date(2025, 6, 2),
            due_on=date(2025, 6, 9), now=now,
        )
    async with db.transaction() as s:
        updated, is_new_again = await upsert_dossier(
            s, code="D-1", agency_id=seed.agency_id, status=10, received_on=date(2025, 6, 2),
            due_on=date(2025, 6, 9), returned_on=date(2025, 6, 8), now=later,
        )
    assert (is_new, is_new_again) == (True, False)
    assert updated.id == created.id
    assert (updated.status, updated.returned_on) == (10, date(2025, 6, 8))
    assert (updated.created_at, updated.updated_at) == (now, later)


async def test_find_dossier(db: Database, seed) -> None:
    async with db.transaction() as s:
        found = await find_dossier(s, "000.17.22.H56-250601-0001")
        assert await find_dossier(s, "nope") is None
        assert await count_rows(s, Dossier) == 1
    assert found is not None
    assert (found.id, found.received_on, found.due_on) == (seed.dossier_id, date(2025, 6, 1), None)


async def test_dossier_names_for_survey_texts(db: Database, seed, now: datetime) -> None:
    async with db.transaction() as s:
        assert await dossier_names(s, seed.dossier_id) == {
            "dossier_code": "000.17.22.H56-250601-0001", "agency": "UBND Quận 1"
        }
        procedure = await upsert_procedure(s, code="HT-01", name="Đăng ký khai sinh")
        officer = await upsert_officer(s, agency_id=seed.agency_id, code="CB1", name="Lê Thị Hoa")
        await upsert_dossier(
            s, code="000.17.22.H56-250601-0001", agency_id=seed.agency_id, status=10,
            received_on=date(2025, 6, 1), procedure_id=procedure.id, officer_id=officer.id, now=now,
        )
    async with db.transaction() as s:
        names = await dossier_names(s, seed.dossier_id)
        assert (await get_dossier(s, seed.dossier_id)).officer_id == officer.id
        with pytest.raises(NotFound):
            await dossier_names(s, seed.dossier_id + 99)
        with pytest.raises(NotFound):
            await get_dossier(s, seed.dossier_id + 99)
    assert names["procedure"] == "Đăng ký khai sinh" and names["officer"] == "Lê Thị Hoa"
