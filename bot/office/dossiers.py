"""Writing checked dossier rows: agencies, fields, procedures and officers are upserted on the way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.office.importer import DossierRow, RowError, batches
from storage import (
    Database,
    find_agency,
    find_officer,
    find_procedure,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
    upsert_field,
    upsert_officer,
    upsert_procedure,
)

BATCH = 200


@dataclass(slots=True)
class ImportResult:
    """What an import did: rows created and updated, and the rows it rejected."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)  # line -> "created" or "updated"


async def write_rows(
    db: Database,
    rows: Sequence[DossierRow],
    *,
    now: datetime,
    progress: Callable[[int], None] = lambda n: None,
    last_batch: Callable[[AsyncSession, ImportResult], Awaitable[None]] | None = None,
) -> ImportResult:
    """Upsert the rows batch by batch; a row the database refuses is reported, the others kept.

    `last_batch(s, result)` runs inside the last batch's transaction (or alone when there are no
    rows), so that what the whole import did is recorded with its final writes (the audit log).
    """
    result = ImportResult()
    groups = list(batches(rows, BATCH)) or [[]]
    for number, batch in enumerate(groups, start=1):
        async with db.transaction() as s:
            for row in batch:
                try:
                    async with s.begin_nested():
                        created = await _write_row(s, row, now)
                except _Refused as exc:
                    result.errors.append(RowError(row.line, exc.vi, exc.en))
                    continue
                result.created += created
                result.updated += not created
                result.outcomes[row.line] = "created" if created else "updated"
            if last_batch is not None and number == len(groups):
                await last_batch(s, result)
        progress(len(batch))
    return result


class _Refused(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


async def _write_row(s, row: DossierRow, now: datetime) -> bool:
    agency = await find_agency(s, row.agency_code)
    if agency is None:
        name = row.names.get("agency_name")
        if not name:
            raise _Refused(
                f"Cơ quan {row.agency_code} chưa có; hãy điền agency_name.",
                f"Agency {row.agency_code} is unknown; fill in agency_name.",
            )
        agency = await upsert_agency(s, code=row.agency_code, name=name, now=now)
    elif row.names.get("agency_name") and row.names["agency_name"] != agency.name:
        agency = await upsert_agency(s, code=row.agency_code, name=row.names["agency_name"], now=now)
    procedure_id = await _procedure(s, row)
    officer_id = await _officer(s, row, agency.id)
    contact_id = None
    if row.phone:
        address = await upsert_contact_address(
            s, channel="sms", address=row.phone, now=now, name=row.names.get("applicant_name")
        )
        contact_id = address.contact_id
    _, created = await upsert_dossier(
        s, code=row.code, agency_id=agency.id, status=row.status, received_on=row.received_on,
        due_on=row.due_on, returned_on=row.returned_on, procedure_id=procedure_id,
        officer_id=officer_id, contact_id=contact_id, now=now,
    )
    return created


async def _procedure(s, row: DossierRow) -> int | None:
    code = row.names.get("procedure_code")
    if not code:
        return None
    existing = await find_procedure(s, code)
    field_id = await _field(s, row)
    if existing is not None and "procedure_name" not in row.names and field_id is None:
        return existing.id  # a row that only names the code must not rename the procedure
    name = row.names.get("procedure_name") or (existing.name if existing else code)
    field_id = field_id or (existing.field_id if existing else None)
    return (await upsert_procedure(s, code=code, name=name, field_id=field_id)).id


async def _field(s, row: DossierRow) -> int | None:
    code = row.names.get("field_code")
    if not code:
        return None
    return (await upsert_field(s, code=code, name=row.names.get("field_name", code))).id


async def _officer(s, row: DossierRow, agency_id: int) -> int | None:
    code = row.names.get("officer_code")
    if not code:
        return None
    existing = await find_officer(s, agency_id, code)
    if existing is not None and "officer_name" not in row.names:
        return existing.id
    name = row.names.get("officer_name", code)
    return (await upsert_officer(s, agency_id=agency_id, code=code, name=name)).id
