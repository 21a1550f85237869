"""Agency scores per indicator and the register of complaints: what the CLI and the staff pages call.

Each function checks its input (a clear Vietnamese/English error, nothing written), works in one
transaction and leaves an audit entry (storage.scores does the writing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.office.agency_settings import report_rules_of
from reports.errors import ReportError
from reports.periods import Period, Window, parse_period
from reports.results import build_results
from storage import Database, find_agency
from storage import results as results_store
from storage import scores as store
from storage.scores import ComplaintRow, EntryRow
from survey_flows import Schema, load_schema
from survey_flows.schema import Scope, Source
from survey_flows.totals import AgencyTotal

BY = store.BY
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class ScoreInputError(HailongError):
    code = "bad_score_input"


def enterable(schema: Schema | None = None) -> tuple[int, ...]:
    """Indicators an agency scores itself and its controlling office appraises (5, 6's agency part, 9)."""
    schema = schema or load_schema()
    return tuple(i.id for i in schema.indicators
                 if i.scope in (Scope.AGENCY, Scope.DOSSIER_AND_AGENCY) and i.origin is not Source.REGISTER)


def parse_day(text: str, what: tuple[str, str]) -> date:
    """dd/mm/yyyy (or yyyy-mm-dd) → a date; a clear error naming ``what`` (vi, en) otherwise."""
    value = text.strip()
    try:
        match = _DAY.fullmatch(value)
        if match:
            d, m, y = (int(x) for x in match.groups())
            return date(y, m, d)
        return date.fromisoformat(value)
    except ValueError:
        raise ScoreInputError(f"{what[0]}: ngày không hợp lệ {value!r} (ví dụ 25/04/2026)",
                              f"{what[1]}: invalid date {value!r} (e.g. 25/04/2026)") from None


def parse_points(text: str | float, maximum: int) -> int:
    """"1,5" / "1.5" / 1.5 → 15 tenths, within 0..maximum and at most one decimal."""
    raw = str(text).strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= maximum or value * 10 != int(value * 10):
        raise ScoreInputError(f"điểm phải là số từ 0 đến {maximum}, tối đa một chữ số thập phân (không phải {raw!r})",
                              f"points must be a number from 0 to {maximum} with at most one decimal (not {raw!r})")
    return int(value * 10)


def period_of(name: str, window: Window = Window.CUTOFF, cutoff_day: int = 15) -> Period:
    try:
        return parse_period(name, window, cutoff_day)
    except ReportError as exc:
        raise ScoreInputError(exc.vi, exc.en) from None


async def agency_id_of(s: AsyncSession, code: str) -> int:
    agency = await find_agency(s, code.strip())
    if agency is None:
        raise ScoreInputError(f"không có cơ quan mã {code!r}", f"no agency with code {code!r}")
    return agency.id


async def set_score(
    db: Database, *, agency: str | int, period: str, indicator: int, points: str | float, by: str, note: str,
    actor: str, now: datetime,
) -> EntryRow:
    """Record one indicator's self-score or appraisal (the previous one of the same kind is replaced)."""
    schema = load_schema()
    found = schema.indicator(indicator)
    if found is None or indicator not in enterable(schema):
        allowed = ", ".join(str(i) for i in enterable(schema))
        raise ScoreInputError(f"chỉ số {indicator} không nhập tay được (được nhập: {allowed}; 1–4, 7 tính từ hồ sơ "
                              "và ý kiến người dân, 8 từ sổ phản ánh)",
                              f"indicator {indicator} is not entered by hand (entered: {allowed}; 1–4 and 7 come "
                              "from dossiers and citizens, 8 from the complaints register)")
    if by not in BY:
        raise ScoreInputError(f"người chấm phải là self hoặc appraisal, không phải {by!r}",
                              f"by must be self or appraisal, not {by!r}")
    tenths = parse_points(points, found.max_points)
    name = period_of(period).name
    async with db.transaction() as s:
        agency_id = agency if isinstance(agency, int) else await agency_id_of(s, agency)
        return await store.set_entry(s, agency_id=agency_id, period=name, indicator=indicator, by=by,
                                     points_tenths=tenths, note=note.strip(), actor=actor, now=now)


async def agency_score_of(db: Database, settings: Settings, *, agency: str | int, period: str,
                          now: datetime) -> tuple[AgencyTotal, Period]:
    """An agency's total for a period as every report shows it (its own report window and bands), and the period."""
    async with db.transaction() as s:
        agency_id = agency if isinstance(agency, int) else await agency_id_of(s, agency)
        window, cutoff_day, bands = report_rules_of(await results_store.agency_settings(s, agency_id), settings)
        chosen = period_of(period, window, cutoff_day)
        results = await build_results(s, chosen, bands=bands, now=now, agency_id=agency_id, drill=(),
                                      cutoff_day=cutoff_day)
    return results.agencies[0].score, chosen


async def agency_score(db: Database, settings: Settings, *, agency: str | int, period: str,
                       now: datetime) -> AgencyTotal:
    """An agency's total for a period, as every report shows it."""
    return (await agency_score_of(db, settings, agency=agency, period=period, now=now))[0]


@dataclass(frozen=True, slots=True)
class ComplaintIn:
    """A new register entry as typed: days as dd/mm/yyyy."""

    received_on: str
    due_on: str
    dossier_code: str = ""
    about_conduct: bool = True
    note: str = ""


async def add_complaint(db: Database, *, agency: str | int, entry: ComplaintIn, actor: str,
                        now: datetime) -> ComplaintRow:
    """Open a register entry by staff."""
    received = parse_day(entry.received_on, ("ngày nhận", "received on"))
    due = parse_day(entry.due_on, ("hạn xử lý", "due on"))
    if due < received:
        raise ScoreInputError("hạn xử lý không được trước ngày nhận", "the deadline cannot be before the day received")
    async with db.transaction() as s:
        agency_id = agency if isinstance(agency, int) else await agency_id_of(s, agency)
        return await store.add_complaint(s, agency_id=agency_id, received_on=received, due_on=due, actor=actor,
                                         now=now, dossier_code=entry.dossier_code.strip() or None,
                                         about_conduct=entry.about_conduct, note=entry.note.strip())


async def change_complaint(
    db: Database, code: str, *, action: str, on: str, note: str = "", actor: str, now: datetime,
    agency_ids: frozenset[int] | None = None,
) -> ComplaintRow:
    """Record on a register entry: ``handled`` (answered on a day), ``protracted``, ``untrue`` or ``confirmed``.

    ``agency_ids``: the agencies the caller may change (None: all).
    """
    day = parse_day(on, ("ngày", "date"))
    changes: dict[str, object]
    if action == "handled":
        changes = {"handled_on": day}
    elif action == "protracted":
        changes = {"protracted_on": day}
    elif action in ("untrue", "confirmed"):
        changes = {"verification": action, "verified_on": day}
    else:
        raise ScoreInputError(f"thao tác không hợp lệ: {action!r}", f"invalid action: {action!r}")
    if note.strip():
        changes["outcome" if action == "handled" else "note"] = note.strip()
    async with db.transaction() as s:
        found = await store.find_complaint(s, code.strip())
        if found is None or (agency_ids is not None and found.agency_id not in agency_ids):
            raise ScoreInputError(f"không có phản ánh mã {code!r}", f"no complaint with code {code!r}")
        if day < found.received_on:
            raise ScoreInputError("ngày này trước ngày nhận phản ánh", "this day is before the complaint was received")
        return await store.update_complaint(s, found.code, actor=actor, now=now, **changes)


async def list_complaints(db: Database, *, agency: str | int | None) -> list[ComplaintRow]:
    """The register of one agency (or all), oldest first."""
    async with db.transaction() as s:
        agency_id = None if agency is None else agency if isinstance(agency, int) else await agency_id_of(s, agency)
        return await store.complaints(s, agency_id=agency_id)


async def list_entries(db: Database, *, agency_id: int, period: str) -> list[EntryRow]:
    """The figures entered for an agency and period."""
    async with db.transaction() as s:
        return await store.entries(s, period=period_of(period).name, agency_id=agency_id)
