"""Dossier imports from the web: an uploaded CSV/XLSX is kept under var/imports/<id>/, previewed
(nothing written), then imported on confirmation with its progress in a small JSON file.

- The id is random and bound to the user who uploaded it; another user gets "unknown".
- The state file lives next to the upload, so any process on the machine can show the progress:
  ``{"state": "preview" | "running" | "done", "done": 400, "total": 2500, "preview": {...}, "result": {...}}``.
- A manager imports only rows of agencies it sees; other rows are per-row errors, as are codes
  repeated within the file. Dossiers are upserted by code: importing a file twice adds nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.office.dossiers import write_rows
from bot.office.importer import DossierRow, RowError, Unreadable, file_kind, read_rows
from storage import Database, StoredDossier, agency_ids, audit, stored_dossiers

ROOT = Path("var") / "imports"
MAX_UPLOAD = 20 * 1024 * 1024
BACKGROUND_ROWS = 2000  # larger files import in the background, with a progress page
FIRST_ROWS = 10
KEEP_SECONDS = 24 * 3600
STALE_SECONDS = 600  # a "running" import whose state has not moved for this long was interrupted
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SUFFIXES = (".csv", ".xlsx")


class UploadRefused(Exception):
    """An upload that is not kept: "too_big", "wrong_type", "empty", or "unreadable" (with vi/en)."""

    def __init__(self, reason: str, vi: str = "", en: str = "") -> None:
        super().__init__(reason)
        self.reason, self.vi, self.en = reason, vi, en


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file waiting for (or past) its import."""

    id: str
    folder: Path
    user_id: int
    filename: str

    @property
    def data(self) -> Path:
        return self.folder / "upload"

    def state(self) -> dict[str, Any]:
        """The state file, with "interrupted" for a run that stopped moving."""
        path = self.folder / "state.json"
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"state": "new"}
        if state.get("state") == "running" and time.time() - path.stat().st_mtime > STALE_SECONDS:
            state["state"] = "interrupted"
        return dict(state)

    def save_state(self, **state: object) -> None:
        """Replace the state file in one step (readers never see half of it)."""
        temporary = self.folder / f"state.{secrets.token_hex(4)}.tmp"
        temporary.write_text(json.dumps(state, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(temporary, self.folder / "state.json")

    def claim(self) -> bool:
        """True for the one confirmation that may run the import (a double click runs it once)."""
        try:
            os.close(os.open(self.folder / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def new_upload(user_id: int, filename: str, *, root: Path = ROOT) -> Upload:
    """A fresh folder for one upload; old uploads are swept on the way. UploadRefused for a wrong suffix."""
    name = Path(filename or "").name[:200]
    if not name.lower().endswith(SUFFIXES):
        raise UploadRefused("wrong_type")
    sweep(root)
    upload_id = secrets.token_urlsafe(24)
    folder = root / upload_id
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"user_id": user_id, "filename": name}), encoding="utf-8")
    return Upload(upload_id, folder, user_id, name)


def find_upload(upload_id: str, user_id: int, *, root: Path = ROOT) -> Upload | None:
    """The upload with this id when this user made it, else None."""
    if not UPLOAD_ID.match(upload_id):
        return None
    folder = root / upload_id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id:
        return None
    return Upload(upload_id, folder, user_id, str(meta.get("filename", "")))


def sweep(root: Path = ROOT) -> None:
    """Remove uploads older than a day (previewed and never confirmed, or long done)."""
    if not root.is_dir():
        return
    limit = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One of the first rows as the preview shows it (a phone only as "has one")."""

    line: int
    code: str
    agency_code: str
    status: int
    received_on: str
    returned_on: str
    phone: bool
    change: str  # "new", "updated" or "unchanged"


async def preview(db: Database, upload: Upload, agencies: frozenset[int] | None) -> dict[str, Any]:
    """Check the upload against the database and save what an import would do; nothing is written."""
    rows, summary = await _inspect(db, upload, agencies)
    upload.save_state(state="preview", preview=summary, total=len(rows), done=0)
    return summary


async def _inspect(db: Database, upload: Upload, agencies: frozenset[int] | None) -> tuple[list[DossierRow], dict[str, Any]]:
    """The rows that may be written, and the preview: counts, the first rows, every error by line."""
    if upload.data.stat().st_size == 0:
        raise UploadRefused("empty")
    try:
        file_kind(upload.data)
        rows, errors = await asyncio.to_thread(read_rows, upload.data)
    except Unreadable as exc:
        raise UploadRefused("unreadable", exc.vi, exc.en) from None
    async with db.transaction() as s:
        ids = await agency_ids(s)
        stored = await stored_dossiers(s, [r.code for r in rows])
    kept: list[DossierRow] = []
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    first: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in rows:
        problem = _problem(row, ids, stored, agencies, seen)
        if problem is not None:
            errors.append(problem)
            continue
        seen[row.code] = row.line
        change = _change(row, stored.get(row.code))
        counts[change] += 1
        kept.append(row)
        if len(first) < FIRST_ROWS:
            first.append(asdict(PreviewRow(row.line, row.code, row.agency_code, row.status, str(row.received_on),
                                           str(row.returned_on or ""), row.phone is not None, change)))
    errors.sort(key=lambda e: e.line)
    summary = {**counts, "errors": [[e.line, e.vi, e.en] for e in errors], "first": first, "rows": len(kept)}
    return kept, summary


def _problem(row: DossierRow, ids: dict[str, int], stored: dict[str, StoredDossier],
             agencies: frozenset[int] | None, seen: dict[str, int]) -> RowError | None:
    if row.code in seen:
        return RowError(row.line, f"Mã hồ sơ {row.code} trùng với dòng {seen[row.code]}; dòng này bị bỏ qua.",
                        f"Dossier code {row.code} repeats line {seen[row.code]}; this row is skipped.")
    if agencies is None:
        if row.agency_code not in ids and not row.names.get("agency_name"):
            return RowError(row.line, f"Cơ quan {row.agency_code} chưa có; hãy điền agency_name.",
                            f"Agency {row.agency_code} is unknown; fill in agency_name.")
        return None
    if ids.get(row.agency_code) not in agencies:
        return RowError(row.line, f"Cơ quan {row.agency_code} không thuộc quyền quản lý của Ông/Bà.",
                        f"Agency {row.agency_code} is not one you manage.")
    current = stored.get(row.code)
    if current is not None and current.agency_id not in agencies:  # never name whose it is
        return RowError(row.line, f"Mã hồ sơ {row.code} không nhập được vào cơ quan của Ông/Bà; hãy kiểm tra lại mã.",
                        f"Dossier code {row.code} cannot be imported into your agencies; check the code.")
    return None


def _change(row: DossierRow, current: StoredDossier | None) -> str:
    """Whether writing the row creates, changes, or leaves the stored dossier as it is."""
    if current is None:
        return "new"
    same = (current.agency_code, current.status, current.received_on, current.due_on, current.returned_on,
            current.procedure_code, current.officer_code, current.phone) == (
        row.agency_code, row.status, row.received_on, row.due_on, row.returned_on,
        row.names.get("procedure_code"), row.names.get("officer_code"), row.phone)
    return "unchanged" if same else "updated"


async def run_import(db: Database, upload: Upload, agencies: frozenset[int] | None, *, actor: str,
                     now: datetime) -> dict[str, Any]:
    """Import a previewed upload (checked again: the database may have changed); returns the result."""
    rows, summary = await _inspect(db, upload, agencies)
    total, done = len(rows), 0
    upload.save_state(state="running", preview=summary, total=total, done=0)

    def progress(count: int) -> None:
        nonlocal done
        done += count
        upload.save_state(state="running", preview=summary, total=total, done=done)

    async def record(s: AsyncSession, written: Any) -> None:
        await audit(s, actor=actor, action="dossiers.import", subject=f"upload:{upload.id}", now=now,
                    detail={"file": upload.filename, "new": written.created,
                            "updated": max(0, written.updated - summary["unchanged"]),
                            "unchanged": summary["unchanged"], "errors": len(summary["errors"]) + len(written.errors)})

    written = await write_rows(db, rows, now=now, progress=progress, last_batch=record)
    errors = sorted([*summary["errors"], *([e.line, e.vi, e.en] for e in written.errors)])
    result = {"new": written.created, "updated": max(0, written.updated - summary["unchanged"]),
              "unchanged": min(summary["unchanged"], written.updated), "errors": errors}
    upload.save_state(state="done", preview=summary, total=total, done=total, result=result)
    upload.data.unlink(missing_ok=True)  # the file is no longer needed; its results stay for the page
    return result
