"""Dossier import from CSV: every row checked first, good rows written, bad rows reported by line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.phones import e164
from survey_flows import DossierStatus, InvalidDossierCode, normalize_code

#: The columns of a dossier CSV, in the documented order; the first four are required.
COLUMNS = (
    "code", "agency_code", "status", "received_on", "due_on", "returned_on", "agency_name",
    "field_code", "field_name", "procedure_code", "procedure_name", "officer_code",
    "officer_name", "phone", "applicant_name",
)
REQUIRED = COLUMNS[:4]
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


@dataclass(frozen=True, slots=True)
class DossierRow:
    """One checked CSV row, ready to write."""

    line: int
    code: str
    agency_code: str
    status: int
    received_on: date
    due_on: date | None
    returned_on: date | None
    names: dict[str, str] = field(default_factory=dict)
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: its line in the file and why, in Vietnamese and English."""

    line: int
    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.line}: {self.vi} / {self.en}"


class Unreadable(Exception):
    """The file as a whole cannot be read as a dossier CSV."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def read_rows(path: Path) -> tuple[list[DossierRow], list[RowError]]:
    """Read and check every row of a dossier CSV (UTF-8, with or without BOM; `,` or `;`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("Tệp không phải UTF-8.", "The file is not UTF-8.") from None
    except OSError as exc:
        raise Unreadable(f"Không đọc được tệp: {exc.strerror}.", f"Cannot read the file: {exc.strerror}.") from None
    return check_rows(text)


def check_rows(text: str) -> tuple[list[DossierRow], list[RowError]]:
    """Check CSV text; line numbers count the header as line 1."""
    dialect = _sniff(text)
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        cols = ", ".join(missing)
        raise Unreadable(f"Thiếu cột bắt buộc: {cols}.", f"Missing required columns: {cols}.")
    reader.fieldnames = header
    good: list[DossierRow] = []
    bad: list[RowError] = []
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in raw.items() if k):
            continue
        result = check_row(line, {k: (v or "").strip() for k, v in raw.items() if k})
        (good if isinstance(result, DossierRow) else bad).append(result)  # type: ignore[arg-type]
    return good, bad


def check_row(line: int, raw: dict[str, str]) -> DossierRow | RowError:
    """Check one row; the first problem found is reported."""
    try:
        code = normalize_code(raw.get("code", ""))
        status = _status(raw["status"])
        received_on = _date(raw["received_on"], "received_on")
        due_on = _date(raw.get("due_on", ""), "due_on", required=False)
        returned_on = _date(raw.get("returned_on", ""), "returned_on", required=False)
        _check_dates(status, received_on, due_on, returned_on)
        phone = _phone(raw.get("phone", ""))
    except InvalidDossierCode as exc:
        return RowError(line, exc.vi, exc.en)
    except _Bad as exc:
        return RowError(line, exc.vi, exc.en)
    if not raw.get("agency_code"):
        return RowError(line, "Thiếu mã cơ quan (agency_code).", "agency_code is empty.")
    names = {k: raw[k] for k in COLUMNS[6:] if k != "phone" and raw.get(k)}
    return DossierRow(line, code, raw["agency_code"], status, received_on, due_on, returned_on, names, phone)


class _Bad(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def _sniff(text: str) -> type[csv.Dialect] | csv.Dialect:
    first = text.split("\n", 1)[0]
    return csv.excel if first.count(",") >= first.count(";") else _Semicolon


class _Semicolon(csv.excel):
    delimiter = ";"


def _status(value: str) -> int:
    try:
        return DossierStatus(int(value)).value
    except ValueError:
        raise _Bad(
            f"Trạng thái '{value}' không hợp lệ (1–10).", f"Status '{value}' is not valid (1-10)."
        ) from None


def _date(value: str, column: str, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise _Bad(f"Thiếu {column}.", f"{column} is empty.")
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise _Bad(
        f"{column} '{value}' không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY).",
        f"{column} '{value}' is not a date (YYYY-MM-DD or DD/MM/YYYY).",
    )


def _check_dates(status: int, received: date, due: date | None, returned: date | None) -> None:
    if due and due < received:
        raise _Bad("Ngày hẹn trả trước ngày tiếp nhận.", "due_on is before received_on.")
    if returned and returned < received:
        raise _Bad("Ngày trả trước ngày tiếp nhận.", "returned_on is before received_on.")
    if status == DossierStatus.RETURNED and returned is None:
        raise _Bad("Hồ sơ đã trả (10) cần returned_on.", "A returned dossier (10) needs returned_on.")


def _phone(value: str) -> str | None:
    """Normalise to E.164 (0912… and +84912… are one number); never echo the number in errors."""
    if not value:
        return None
    number = e164(value)
    if number is None:
        raise _Bad("Số điện thoại không hợp lệ.", "The phone number is not valid.")
    return number


def batches(rows: Iterable[DossierRow], size: int) -> Iterator[list[DossierRow]]:
    """Group rows so that each batch is written in one transaction."""
    batch: list[DossierRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

