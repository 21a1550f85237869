"""Writing checked dossier rows: agencies, fields, procedures and officers are upserted on the way.

The one writer of the CLI import, the web upload and the API (`PUT /dossiers/{code}`, `POST
/dossiers:batch`). Rows are written `BATCH` at a time, each batch one short transaction of a few
set-at-a-time statements (storage/bulk.py): the rows' agencies, procedures, officers, phone numbers
and dossiers are each read once and written once per batch. The rules are applied row by row, in
file order, as if each row were written alone:

- an unknown agency is created from `agency_name` (a row without one is refused, on its own); a
  known agency is renamed when the row gives another name;
- a procedure or an officer named only by its code keeps the name it has (a new one is named by its
  code); the field of a procedure is written only with the procedure;
- a phone number is the applicant's SMS address: a known number keeps its contact;
- the dossier is created, or updated in every column, by its code: a later row of the file wins.

Between two batches the importer pauses on SQLite (`PAUSE`), so that another process's writers (the
webhooks of `hailong serve` beside a CLI import) take the database's one write lock in between: they
wait (busy timeout) for one batch at most, never for the whole import. In that pause it also
checkpoints the write-ahead log it filled, which the commit of a webhook would otherwise do
(20,000 rows beside `serve` answering 50 updates/s: webhook p99 57 ms with it, 150–290 ms without;
without the pause, 920 ms; `python -m bench.import_rows`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.office.importer import DossierRow, RowError, batches
from storage import Database
from storage.bulk import (
    DossierValues,
    agencies_by_code,
    checkpoint,
    officers_by_code,
    procedures_by_code,
    sms_contacts,
    upsert_agencies,
    upsert_fields,
    upsert_officers,
    upsert_procedures,
    write_dossiers,
)

BATCH = 500  # rows per transaction: ~50 ms of write lock on SQLite
PAUSE = 0.1  # seconds between two batches on SQLite: longer than the busy handler's longest sleep (100 ms)


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
    batch: int = BATCH,
    pause: float | None = None,
) -> ImportResult:
    """Upsert the rows batch by batch; a row the rules refuse is reported, the others kept.

    `last_batch(s, result)` runs inside the last batch's transaction (or alone when there are no
    rows), so that what the whole import did is recorded with its final writes (the audit log).
    `pause`: seconds to wait after each batch but the last (default: `PAUSE` on SQLite, none on
    PostgreSQL, where writers lock rows, not the database).
    """
    if pause is None:
        pause = PAUSE if db.dialect == "sqlite" else 0.0
    result = ImportResult()
    groups = list(batches(rows, batch)) or [[]]
    for number, group in enumerate(groups, start=1):
        if number > 1 and pause:
            started = time.monotonic()
            await checkpoint(db.engine)
            await asyncio.sleep(max(0.0, pause - (time.monotonic() - started)))
        async with db.transaction() as s:
            await _write_batch(s, group, now, result)
            if last_batch is not None and number == len(groups):
                await last_batch(s, result)
        progress(len(group))
    return result


async def _write_batch(s: AsyncSession, rows: Sequence[DossierRow], now: datetime, result: ImportResult) -> None:
    """Write one batch in the open transaction; its outcomes and refusals go into `result`."""
    if not rows:
        return
    rows, agency_ids = await _agencies(s, rows, now, result)
    procedure_ids = await _procedures(s, rows)
    officer_ids = await _officers(s, rows, agency_ids)
    phones: dict[str, str | None] = {}
    for row in rows:
        if row.phone and row.phone not in phones:  # the first row with a new number names its contact
            phones[row.phone] = row.names.get("applicant_name")
    contact_ids = await sms_contacts(s, phones, now=now)
    dossiers: dict[str, DossierValues] = {}
    for row in rows:  # a code twice in the batch: the later row's values are the ones kept
        dossiers[row.code] = DossierValues(
            code=row.code, agency_id=agency_ids[row.agency_code], status=row.status, received_on=row.received_on,
            due_on=row.due_on, returned_on=row.returned_on,
            procedure_id=procedure_ids.get(row.names.get("procedure_code", "")),
            officer_id=officer_ids.get((agency_ids[row.agency_code], row.names.get("officer_code", ""))),
            contact_id=contact_ids[row.phone] if row.phone else None,
            unit_steps=None if row.unit_steps is None else [step.to_json() for step in row.unit_steps],
            online=row.online)
    created = await write_dossiers(s, list(dossiers.values()), now=now)
    for row in rows:
        outcome = "created" if row.code in created else "updated"
        created.discard(row.code)  # the code's next row in this batch updates what this one created
        result.outcomes[row.line] = outcome
        result.created += outcome == "created"
        result.updated += outcome == "updated"


async def _agencies(s: AsyncSession, rows: Sequence[DossierRow], now: datetime,
                    result: ImportResult) -> tuple[list[DossierRow], dict[str, int]]:
    """The rows whose agency is known or named (the others refused), and every agency's id by code."""
    stored = await agencies_by_code(s, {row.agency_code for row in rows})
    names = {code: name for code, (_, name) in stored.items()}
    written: dict[str, str] = {}  # created or renamed: code -> its last name
    kept: list[DossierRow] = []
    for row in rows:
        name = row.names.get("agency_name")
        if row.agency_code not in names and not name:
            result.errors.append(RowError(
                row.line, f"Cơ quan {row.agency_code} chưa có; hãy điền agency_name.",
                f"Agency {row.agency_code} is unknown; fill in agency_name."))
            continue
        if name and name != names.get(row.agency_code):
            names[row.agency_code] = written[row.agency_code] = name
        kept.append(row)
    ids = {code: id_ for code, (id_, _) in stored.items()}
    ids.update(await upsert_agencies(s, written, now=now))
    return kept, ids


async def _procedures(s: AsyncSession, rows: Sequence[DossierRow]) -> dict[str, int]:
    """The id of every procedure the rows name, created or updated as the rows say."""
    named = [row for row in rows if row.names.get("procedure_code")]
    if not named:
        return {}
    fields: dict[str, str] = {}  # only with a procedure: code -> its last name (its code when none is given)
    for row in named:
        if row.names.get("field_code"):
            fields[row.names["field_code"]] = row.names.get("field_name", row.names["field_code"])
    field_ids = await upsert_fields(s, fields)
    stored = await procedures_by_code(s, {row.names["procedure_code"] for row in named})
    state = {code: (name, field_id) for code, (_, name, field_id) in stored.items()}
    written: dict[str, tuple[str, int | None]] = {}
    for row in named:
        code = row.names["procedure_code"]
        field_id = field_ids.get(row.names.get("field_code", ""))
        existing = state.get(code)
        if existing is not None and "procedure_name" not in row.names and field_id is None:
            continue  # a row that only names the code must not rename the procedure
        name = row.names.get("procedure_name") or (existing[0] if existing else code)
        field_id = field_id or (existing[1] if existing else None)
        state[code] = written[code] = (name, field_id)
    ids = {code: id_ for code, (id_, _, _) in stored.items()}
    ids.update(await upsert_procedures(s, written))
    return ids


async def _officers(s: AsyncSession, rows: Sequence[DossierRow], agency_ids: dict[str, int]) -> dict[tuple[int, str], int]:
    """The id of every (agency_id, officer code) the rows name, created or renamed as the rows say."""
    keyed = [((agency_ids[row.agency_code], row.names["officer_code"]), row)
             for row in rows if row.names.get("officer_code")]
    if not keyed:
        return {}
    ids = await officers_by_code(s, {key for key, _ in keyed})
    written: dict[tuple[int, str], str] = {}
    for key, row in keyed:
        if (key in ids or key in written) and "officer_name" not in row.names:
            continue  # a row that only names the code keeps the officer's name
        written[key] = row.names.get("officer_name", key[1])
    ids.update(await upsert_officers(s, written))
    return ids
