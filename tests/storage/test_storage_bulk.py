"""The import's set-at-a-time statements (storage/bulk.py) write what the row-at-a-time upserts write."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from storage import Database, count_rows, upsert_contact_address
from storage.bulk import (
    DossierValues,
    agencies_by_code,
    checkpoint,
    dossier_agencies,
    officers_by_code,
    procedures_by_code,
    sms_contacts,
    upsert_agencies,
    upsert_fields,
    upsert_officers,
    upsert_procedures,
    write_dossiers,
)
from storage.settlement import SettlementChange
from storage.tables import Contact, ContactAddress, Dossier


async def test_each_new_number_gets_its_own_contact_and_a_known_one_keeps_its_own(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        known = await upsert_contact_address(s, channel="sms", address="+84912000000", now=now, name="Cũ")
    numbers = {f"+849120{i:05d}": f"Người {i}" for i in range(1, 1200)} | {"+84912000000": "Mới"}
    async with db.transaction() as s:
        contacts = await sms_contacts(s, numbers, now=now)
    async with db.transaction() as s:
        names = dict((await s.execute(select(ContactAddress.address, Contact.name)
                                      .join(Contact, Contact.id == ContactAddress.contact_id))).all())
        assert await count_rows(s, Contact) == len(numbers)
    # The ids come back in the order of the values (several multi-row INSERTs on SQLite).
    assert names == numbers | {"+84912000000": "Cũ"}
    assert contacts["+84912000000"] == known.contact_id and len(set(contacts.values())) == len(numbers)


async def test_directory_upserts_create_rename_and_find(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        agencies = await upsert_agencies(s, {"H56": "UBND", "H57": "UBND 2"}, now=now)
        fields = await upsert_fields(s, {"HT": "Hộ tịch"})
        procedures = await upsert_procedures(s, {"P1": ("Khai sinh", fields["HT"]), "P2": ("Chứng thực", None)})
        officers = await upsert_officers(s, {(agencies["H56"], "CB1"): "Lan", (agencies["H57"], "CB1"): "Hoa"})
    async with db.transaction() as s:
        assert await upsert_agencies(s, {"H56": "UBND Phường 1"}, now=now) == {"H56": agencies["H56"]}
        assert await agencies_by_code(s, ["H56", "H57", "H99"]) == {
            "H56": (agencies["H56"], "UBND Phường 1"), "H57": (agencies["H57"], "UBND 2")}
        assert await procedures_by_code(s, ["P1", "P9"]) == {"P1": (procedures["P1"], "Khai sinh", fields["HT"])}
        # (H56, CB1) and (H57, CB1) are two officers; (H57, CB2) is none.
        assert await officers_by_code(s, [(agencies["H56"], "CB1"), (agencies["H57"], "CB2")]) == {
            (agencies["H56"], "CB1"): officers[(agencies["H56"], "CB1")]}


async def test_dossiers_are_created_then_updated_and_the_settlement_log_sees_each_change(
        db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        agency = (await upsert_agencies(s, {"H56": "UBND"}, now=now))["H56"]

    def dossier(code: str, returned: date | None) -> DossierValues:
        return DossierValues(code=code, agency_id=agency, status=10 if returned else 4, received_on=date(2026, 1, 5),
                             due_on=None, returned_on=returned, procedure_id=None, officer_id=None, contact_id=None)

    async with db.transaction() as s:
        assert await write_dossiers(s, [dossier("A", None), dossier("B", None)], now=now) == {"A", "B"}
    async with db.transaction() as s:
        assert await write_dossiers(s, [dossier("B", date(2026, 1, 9)), dossier("C", None)], now=now) == {"C"}
        assert await write_dossiers(s, [dossier("A", None)], now=now) == set()  # no change: nothing logged
    await checkpoint(db.engine)  # SQLite: the log copied into the file; PostgreSQL: nothing to do
    async with db.transaction() as s:
        assert await dossier_agencies(s, ["A", "B", "C", "D"]) == {"A": agency, "B": agency, "C": agency}
        assert (await s.scalar(select(Dossier.returned_on).where(Dossier.code == "B"))) == date(2026, 1, 9)
        assert await count_rows(s, SettlementChange) == 3 + 2  # three inserts, one update (old −1, new +1)
