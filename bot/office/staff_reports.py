"""Reports for signed-in staff, scoped by agency: which agencies a user may report on, the figures of
one period, and audited exports (XLSX, CSV, CSV for a Vietnamese Excel, the anonymous answers dataset).

The figures are the report engine's own (`reports.results.build_results`, `reports.export`), called
the way `hailong report` calls them; nothing is recomputed here. The rules:
- admin may report on any agency and on all agencies together;
- manager and viewer only on the agencies they see (their own and its units), one at a time;
- every export is written to the audit log ("report.export") before its bytes are sent.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.common.settings import Settings
from bot.office.accounts import Principal
from bot.office.agency_settings import report_rules_of
from reports.errors import ReportError
from reports.export import Format, dataset, render, report_extras
from reports.periods import Period, Window, current_quarter, parse_period, recent_periods
from reports.public import quarter_rates
from reports.results import Results, build_results
from reports.scales import ScaleCounts
from storage import Agency, Database, audit, find_agency, list_agencies
from survey_flows import Band

#: What a staff member may download (the page itself is the HTML form).
EXPORT_FORMATS = (Format.XLSX, Format.CSV, Format.CSV_VI, Format.DATASET)
#: The agency value that asks for every agency at once (admin only).
ALL = "all"
MAX_PARAM = 40  # a period name or an agency code is short; longer input is refused, never echoed whole
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ReportAsk(Exception):
    """A report that cannot be given as asked: a text key, the HTTP status, and values for the text."""

    def __init__(self, key: str, status: int, **values: str) -> None:
        super().__init__(key)
        self.key, self.status, self.values = key, status, values


@dataclass(frozen=True, slots=True)
class Choice:
    """A period and the agency it is for (None: every agency together)."""

    period: Period
    agency: Agency | None
    cutoff_day: int
    bands: tuple[Band, ...]

    @property
    def agency_code(self) -> str:
        return self.agency.code if self.agency is not None else ALL

    def file_name(self, fmt: Format) -> str:
        """A download name with no character a browser or a shell would trip on."""
        kind = "dulieu-an-danh" if fmt is Format.DATASET else "bao-cao"
        ext = "csv" if fmt in (Format.DATASET, Format.CSV_VI) else fmt.value
        kind += "-excel-vi" if fmt is Format.CSV_VI else ""
        return _SAFE.sub("_", f"hailong-{kind}-{self.period.name}-{self.agency_code}") + f".{ext}"


def _window(settings: Settings) -> tuple[Window, int]:
    return Window(settings.report_window), settings.report_cutoff_day


def default_period(settings: Settings, today: date) -> str:
    """The quarter whose data window holds today."""
    return current_quarter(today, *_window(settings))


def period_choices(settings: Settings, today: date) -> list[str]:
    """Recent period names for the picker, newest first (the same list as the public page)."""
    return recent_periods(today, *_window(settings))


async def report_agencies(db: Database, who: Principal) -> list[Agency]:
    """The agencies this user may report on, by code."""
    async with db.transaction() as s:
        return [a for a in await list_agencies(s) if who.sees(a.id)]


def _parse_period(name: str, window: Window, cutoff_day: int) -> Period:
    name = name.strip()
    if not name or len(name) > MAX_PARAM:
        raise ReportAsk("sr_bad_period", 400, period=name[:MAX_PARAM])
    try:
        return parse_period(name, window, cutoff_day)
    except ReportError:
        raise ReportAsk("sr_bad_period", 400, period=name) from None


def _choice(settings: Settings, name: str, agency: Agency | None) -> Choice:
    """The period named, cut by the agency's own report window, with the agency's bands (the
    server's window and the schema's bands for all agencies together), as `hailong report` does."""
    window, cutoff_day, bands = report_rules_of(agency.settings if agency is not None else None, settings)
    return Choice(_parse_period(name, window, cutoff_day), agency, cutoff_day, bands)


async def choose(db: Database, settings: Settings, who: Principal, *, period: str | None, agency: str | None,
                 today: date) -> Choice:
    """The period and agency asked for (defaults: the current quarter; all agencies for an admin, else
    the user's own agency). ReportAsk: a bad period or an unknown agency (400), an agency the user
    does not see or "all" for anyone but an admin (403)."""
    name = period if period and period.strip() else default_period(settings, today)
    _parse_period(name, *_window(settings))  # a bad name is a 400 before any agency is looked at
    code = (agency or "").strip()
    if len(code) > MAX_PARAM:
        raise ReportAsk("sr_bad_agency", 400, agency=code[:MAX_PARAM])
    if not code:
        code = ALL if who.agencies is None else ""
    if code == ALL:
        if who.agencies is not None:
            raise ReportAsk("sr_all_admin_only", 403)
        return _choice(settings, name, None)
    async with db.transaction() as s:
        found = await find_agency(s, code) if code else None
        if not code:  # a manager or viewer without an agency parameter: its own agency
            mine = [a for a in await list_agencies(s) if who.sees(a.id)]
            found = next((a for a in mine if a.id == who.agency_id), mine[0] if mine else None)
            if found is None:
                raise ReportAsk("forbidden", 403)
    if found is None:
        raise ReportAsk("sr_bad_agency", 400, agency=code)
    if not who.sees(found.id):
        raise ReportAsk("forbidden", 403)
    return _choice(settings, name, found)


def _guard(who: Principal, choice: Choice) -> None:
    """The scope rule once more where data is produced: no caller can skip it."""
    if (who.agencies is not None and choice.agency is None) or (
            choice.agency is not None and not who.sees(choice.agency.id)):
        raise ReportAsk("forbidden", 403)


async def report_results(db: Database, settings: Settings, who: Principal, choice: Choice, *,
                         now: datetime) -> Results:
    """Every figure of the chosen period and agency, as `hailong report` computes them."""
    _guard(who, choice)
    async with db.transaction() as s:
        return await build_results(s, choice.period, bands=choice.bands, now=now,
                                   agency_id=choice.agency.id if choice.agency else None,
                                   cutoff_day=choice.cutoff_day)


async def report_scales(db: Database, who: Principal, choice: Choice, results: Results) -> tuple[ScaleCounts, ...]:
    """The chosen report's satisfaction answers per raw value (reports.scales); call it after report_results,
    which brings the facts up to date."""
    _guard(who, choice)
    async with db.transaction() as s:
        return (await report_extras(s, results)).scales or ()


async def report_trend(db: Database, settings: Settings, who: Principal, choice: Choice, *,
                       quarters: int = 6) -> list[tuple[str, float | None]]:
    """(quarter, satisfaction rate) of the `quarters` quarters up to the chosen period's last one, in the
    agency's own report window, counting every evaluation (staff see groups under 5 too). Call it after
    report_results, which brings the facts up to date."""
    _guard(who, choice)
    window, _, _ = report_rules_of(choice.agency.settings if choice.agency is not None else None, settings)
    async with db.transaction() as s:
        return await quarter_rates(s, choice.period.name, agency_id=choice.agency.id if choice.agency else None,
                                   window=window, cutoff_day=choice.cutoff_day, count=quarters, min_group=1)


async def export_report(db: Database, settings: Settings, who: Principal, choice: Choice, fmt: Format, *,
                        now: datetime) -> bytes:
    """The export file; its audit entry ("report.export": period, agency, format) is committed before
    the bytes are returned, so no file leaves without its trace."""
    _guard(who, choice)
    if fmt not in EXPORT_FORMATS:
        raise ReportAsk("sr_bad_format", 400, format=fmt.value)
    agency_id = choice.agency.id if choice.agency else None
    async with db.transaction() as s:
        if fmt is Format.DATASET:
            data = await dataset(s, choice.period, agency_id, choice.cutoff_day)
        else:
            results = await build_results(s, choice.period, bands=choice.bands, now=now,
                                          agency_id=agency_id, cutoff_day=choice.cutoff_day)
            extras = await report_extras(s, results)
    if fmt is not Format.DATASET:
        data = await asyncio.to_thread(render, results, fmt, extras)  # a large workbook must not stall the server
    async with db.transaction() as s:
        await audit(s, actor=who.actor, action="report.export", subject=f"agency:{choice.agency_code}", now=now,
                    detail={"period": choice.period.name, "agency": choice.agency_code, "format": fmt.value,
                            "bytes": len(data)})
    return data


def parse_format(value: str | None) -> Format:
    """An export format from a query value; ReportAsk (400) for anything else."""
    text = (value or "").strip().lower()
    for fmt in EXPORT_FORMATS:
        if text == fmt.value:
            return fmt
    raise ReportAsk("sr_bad_format", 400, format=text[:MAX_PARAM])
