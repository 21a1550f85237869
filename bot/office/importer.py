"""Dossier import from CSV or XLSX: every row checked first, good rows written, bad rows reported by line.

The kind of a file is told by its first bytes, not its name: an XLSX is a ZIP (its first bytes are "PK" 03 04), a CSV is
UTF-8 text; a PDF, an old .xls or any other binary renamed .csv is refused as a whole.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.common.phones import e164
from survey_flows import DossierStatus, InvalidDossierCode, normalize_code

#: The columns of a dossier CSV, in the documented order; the first four are required.
COLUMNS = (
    "code", "agency_code", "status", "received_on", "due_on", "returned_on", "agency_name",
    "field_code", "field_name", "procedure_code", "procedure_name", "officer_code",
    "officer_name", "phone", "applicant_name", "unit_steps", "online",
)
REQUIRED = COLUMNS[:4]
NAME_COLUMNS = COLUMNS[6:13] + ("applicant_name",)  # written to the directory (agency, field, …) by name
#: unit_steps: "unit:due_on:done_on" per participating unit, steps separated by "|".
STEP_SEPARATOR, STEP_PART = "|", ":"
STEPS_MAX = 30
_ONLINE = {"1": True, "0": False, "có": True, "không": False, "co": True, "khong": False, "yes": True,
           "no": False, "true": True, "false": False, "x": True, "trực tuyến": True, "truc tuyen": True}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
    unit_steps: tuple[UnitStep, ...] | None = None  # None: not supplied (indicator 2 not measured)
    online: bool | None = None  # None: not said whether it was submitted online


@dataclass(frozen=True, slots=True)
class UnitStep:
    """One participating unit's part of a dossier: its deadline and the day it finished (indicator 2)."""

    unit: str
    due_on: date
    done_on: date

    def to_json(self) -> dict[str, str]:
        return {"unit": self.unit, "due_on": self.due_on.isoformat(), "done_on": self.done_on.isoformat()}

    def to_text(self) -> str:
        return STEP_PART.join((self.unit, self.due_on.isoformat(), self.done_on.isoformat()))


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


def file_kind(path: Path) -> str:
    """"csv" or "xlsx" by the file's first bytes; Unreadable for anything else (a PDF renamed .csv)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise Unreadable(f"Không đọc được tệp: {exc.strerror}.", f"Cannot read the file: {exc.strerror}.") from None
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"%PDF"):
        raise Unreadable("Tệp là PDF, không phải CSV hoặc XLSX.", "The file is a PDF, not a CSV or XLSX.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unreadable("Tệp Excel cũ (.xls) không được hỗ trợ; hãy lưu thành .xlsx hoặc CSV.",
                         "Old Excel files (.xls) are not supported; save as .xlsx or CSV.")
    if b"\x00" in head:
        raise Unreadable("Tệp không phải CSV (có dữ liệu nhị phân) hoặc XLSX.",
                         "The file is neither a CSV (it holds binary data) nor an XLSX.")
    return "csv"


def read_rows(path: Path) -> tuple[list[DossierRow], list[RowError]]:
    """Read and check every row of a dossier CSV (UTF-8, with or without BOM; `,` or `;`) or XLSX."""
    if file_kind(path) == "xlsx":
        return read_xlsx(path)
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
    header = _header(reader.fieldnames or [])
    reader.fieldnames = header
    return check_records((reader.line_num, raw) for raw in reader)


def _header(names: Iterable[object]) -> list[str]:
    """The header row, lower-cased; Unreadable when a required column is missing."""
    header = [str(h).strip().lower() if h is not None else "" for h in names]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        cols = ", ".join(missing)
        raise Unreadable(f"Thiếu cột bắt buộc: {cols}.", f"Missing required columns: {cols}.")
    return header


def check_records(records: Iterable[tuple[int, dict[str | None, object]]]) -> tuple[list[DossierRow], list[RowError]]:
    """Check (line, {column: value}) records; blank rows are skipped."""
    good: list[DossierRow] = []
    bad: list[RowError] = []
    for line, raw in records:
        values = {k: _cell(v) for k, v in raw.items() if k}
        if not any(values.values()):
            continue
        result = check_row(line, values)
        (good if isinstance(result, DossierRow) else bad).append(result)  # type: ignore[arg-type]
    return good, bad


def read_xlsx(path: Path) -> tuple[list[DossierRow], list[RowError]]:
    """Read and check the first sheet of an XLSX (header in row 1; line = the sheet's row number)."""
    from openpyxl import load_workbook

    # A file object, not the path: openpyxl judges a path by its suffix, and uploads are kept without one.
    with path.open("rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - a broken or foreign ZIP raises many kinds; all mean "not an XLSX"
            raise Unreadable("Không đọc được tệp XLSX (tệp hỏng hoặc không phải bảng tính).",
                             "Cannot read the XLSX file (damaged, or not a spreadsheet).") from None
        try:
            rows = book.worksheets[0].iter_rows(values_only=True) if book.worksheets else iter(())
            first = next(rows, None)
            if first is None:
                raise Unreadable("Bảng tính trống.", "The spreadsheet is empty.")
            header = _header(first)
            return check_records((line, dict(zip(header, values)))
                                 for line, values in enumerate(rows, start=2))
        except Unreadable:
            raise
        except Exception:  # noqa: BLE001 - a sheet damaged past its first rows
            raise Unreadable("Không đọc được tệp XLSX (tệp hỏng hoặc không phải bảng tính).",
                             "Cannot read the XLSX file (damaged, or not a spreadsheet).") from None
        finally:
            book.close()


def _cell(value: object) -> str:
    """A CSV field or spreadsheet cell as text: dates as YYYY-MM-DD, 10.0 as 10."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_row(line: int, raw: dict[str, str]) -> DossierRow | RowError:
    """Check one row; the first problem found is reported."""
    try:
        code = normalize_code(raw.get("code", ""))
        status = _status(raw["status"])
        received_on = _date(raw["received_on"], "received_on")
        assert received_on is not None  # required: a missing date raised above
        due_on = _date(raw.get("due_on", ""), "due_on", required=False)
        returned_on = _date(raw.get("returned_on", ""), "returned_on", required=False)
        _check_dates(status, received_on, due_on, returned_on)
        phone = _phone(raw.get("phone", ""))
        steps = _steps(raw.get("unit_steps", ""), received_on)
        online = _online(raw.get("online", ""))
    except InvalidDossierCode as exc:
        return RowError(line, exc.vi, exc.en)
    except _Bad as exc:
        return RowError(line, exc.vi, exc.en)
    if not raw.get("agency_code"):
        return RowError(line, "Thiếu mã cơ quan (agency_code).", "agency_code is empty.")
    names = {k: raw[k] for k in NAME_COLUMNS if raw.get(k)}
    return DossierRow(line, code, raw["agency_code"], status, received_on, due_on, returned_on, names, phone,
                      steps, online)


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
    if _ISO_DAY.fullmatch(value):  # the common case, without strptime's cost (20,000 rows: 3 dates each)
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # 2021-02-30: refused below, in the same words
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


def _steps(value: str, received_on: date) -> tuple[UnitStep, ...] | None:
    """The unit_steps cell: "unit:due_on:done_on|unit:due_on:done_on"; None when empty."""
    if not value:
        return None
    parts = [part.strip() for part in value.split(STEP_SEPARATOR)]
    if len(parts) > STEPS_MAX:
        raise _Bad(f"unit_steps: quá {STEPS_MAX} bước.", f"unit_steps: more than {STEPS_MAX} steps.")
    steps = []
    for number, part in enumerate(parts, start=1):
        fields = [f.strip() for f in part.split(STEP_PART)]
        if len(fields) != 3 or not fields[0]:
            raise _Bad(f"unit_steps: bước {number} phải có dạng đơn_vị:hạn:ngày_hoàn_thành "
                       "(ví dụ STP:2025-06-05:2025-06-04), các bước cách nhau bằng |.",
                       f"unit_steps: step {number} must read unit:due_on:done_on "
                       "(e.g. STP:2025-06-05:2025-06-04), steps separated by |.")
        unit, due, done = fields
        if len(unit) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in unit):
            raise _Bad(f"unit_steps: tên đơn vị ở bước {number} quá dài hoặc có ký tự điều khiển.",
                       f"unit_steps: the unit of step {number} is too long or holds control characters.")
        due_on = _date(due, f"unit_steps[{number}].due_on")
        done_on = _date(done, f"unit_steps[{number}].done_on")
        assert due_on is not None and done_on is not None  # required: a missing date raised above
        if due_on < received_on or done_on < received_on:
            raise _Bad(f"unit_steps: bước {number} có ngày trước ngày tiếp nhận.",
                       f"unit_steps: step {number} has a date before received_on.")
        steps.append(UnitStep(unit, due_on, done_on))
    return tuple(steps)


def _online(value: str) -> bool | None:
    """The online cell: 1/0, có/không, yes/no, true/false (x: yes); None when empty."""
    if not value:
        return None
    try:
        return _ONLINE[value.strip().lower()]
    except KeyError:
        raise _Bad(f"online '{value[:20]}' không hợp lệ: ghi 1 (nộp trực tuyến) hoặc 0 (không).",
                   f"online '{value[:20]}' is not valid: write 1 (submitted online) or 0 (not).") from None


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

