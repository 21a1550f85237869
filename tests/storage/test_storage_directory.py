"""Agencies, fields, procedures, officers and contacts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage import (
    Database,
    NotFound,
    count_rows,
    find_agency,
    find_officer,
    find_procedure,
    list_agencies,
    set_officer_photo,
    upsert_agency,
    upsert_contact_address,
    upsert_field,
    upsert_officer,
    upsert_procedure,
)
from storage.bulk import upsert_officers
from storage.tables import Agency, Contact, ContactAddress, Officer


async def test_upsert_agency_creates_then_updates(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        parent = await upsert_agency(s, code="H56", name="UBND TP", now=now)
        child = await upsert_agency(s, code="H56.01", name="Phường 1", parent_code="H56", now=now)
    async with db.transaction() as s:
        renamed = await upsert_agency(
            s, code="H56.01", name="Phường Bến Nghé", parent_code="H56", now=now + timedelta(days=1)
        )
        assert await count_rows(s, Agency) == 2
    assert (renamed.id, renamed.name, renamed.parent_id) == (child.id, "Phường Bến Nghé", parent.id)
    assert renamed.created_at == now
    assert renamed.settings == {}


async def test_upsert_agency_needs_an_existing_parent(db: Database, now: datetime) -> None:
    with pytest.raises(NotFound) as caught:
        async with db.transaction() as s:
            await upsert_agency(s, code="X", name="X", parent_code="missing", now=now)
    assert caught.value.code == "not_found"


async def test_find_and_list_agencies(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        await upsert_agency(s, code="B", name="Bee", now=now)
        await upsert_agency(s, code="A", name="Ay", now=now)
    async with db.transaction() as s:
        found = await find_agency(s, "B")
        assert found is not None and found.name == "Bee"
        assert await find_agency(s, "C") is None
        assert [a.code for a in await list_agencies(s)] == ["A", "B"]


async def test_upsert_procedure_and_field(db: Database) -> None:
    async with db.transaction() as s:
        field = await upsert_field(s, code="HT", name="Hộ tịch")
        again = await upsert_field(s, code="HT", name="Hộ tịch (sửa)")
        first = await upsert_procedure(s, code="1.001", name="Đăng ký khai sinh", field_id=field.id)
        await upsert_procedure(s, code="1.001", name="Đăng ký khai sinh", legal_days=3)
    assert (again.id, again.name) == (field.id, "Hộ tịch (sửa)")
    async with db.transaction() as s:
        procedure = await find_procedure(s, "1.001")
        assert await find_procedure(s, "9.999") is None
    assert procedure is not None and procedure.id == first.id
    # Upserts set every given column: field_id was not passed the second time.
    assert (procedure.field_id, procedure.legal_days) == (None, 3)


async def test_officer_codes_are_per_agency(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        one = await upsert_agency(s, code="A1", name="A1", now=now)
        two = await upsert_agency(s, code="A2", name="A2", now=now)
        a = await upsert_officer(s, agency_id=one.id, code="CB01", name="Nguyễn Văn A")
        b = await upsert_officer(s, agency_id=two.id, code="CB01", name="Trần Thị B")
        a2 = await upsert_officer(s, agency_id=one.id, code="CB01", name="Nguyễn Văn An", photo_url="/p/a.jpg")
        assert await count_rows(s, Officer) == 2
    assert a.id != b.id and a2.id == a.id
    async with db.transaction() as s:
        found = await find_officer(s, one.id, "CB01")
        assert await find_officer(s, one.id, "CB02") is None
    assert found is not None
    assert (found.name, found.photo_url, found.active) == ("Nguyễn Văn An", "/p/a.jpg", True)


async def test_an_uploaded_photo_outlives_a_rename_and_an_import(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="A1", name="A1", now=now)
        officer = await upsert_officer(s, agency_id=agency.id, code="CB01", name="Nguyễn Văn A")
        await set_officer_photo(s, officer.id, "/kiosk-photos/a.jpg")
    async with db.transaction() as s:
        await upsert_officer(s, agency_id=agency.id, code="CB01", name="Nguyễn Văn An")
        await upsert_officers(s, {(agency.id, "CB01"): "Nguyễn Văn Ân"})
    async with db.transaction() as s:
        found = await find_officer(s, agency.id, "CB01")
        assert found is not None and (found.name, found.photo_url) == ("Nguyễn Văn Ân", "/kiosk-photos/a.jpg")
        await set_officer_photo(s, found.id, None)
    async with db.transaction() as s:
        found = await find_officer(s, agency.id, "CB01")
        assert found is not None and found.photo_url is None
        with pytest.raises(NotFound):
            await set_officer_photo(s, found.id + 1000, "/kiosk-photos/b.jpg")


async def test_contact_address_is_created_once(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        first = await upsert_contact_address(s, channel="telegram", address="42", name="Lan", now=now)
        same = await upsert_contact_address(s, channel="telegram", address="42", name="Other", now=now)
        other = await upsert_contact_address(s, channel="sms", address="42", now=now, language="en")
    assert same.id == first.id and same.contact_id == first.contact_id
    assert other.contact_id != first.contact_id
    async with db.transaction() as s:
        assert await count_rows(s, Contact) == 2
        assert await count_rows(s, ContactAddress) == 2
        contact = await s.get(Contact, first.contact_id)
        english = await s.get(Contact, other.contact_id)
    assert contact is not None and (contact.name, contact.language) == ("Lan", "vi")
    assert english is not None and english.language == "en"
