"""Report commands: exports of a period, self-score and appraisal, alert settings, follow-ups."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.database import open_configured
from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.alerts import AlertRule, parse_conditions
from bot.office.agency_settings import report_rules_of
from reports.errors import ReportError
from reports.export import Format, dataset, render, report_extras
from reports.periods import Period, Window, parse_period
from reports.results import build_results
from storage import find_agency, update_agency_settings
from storage import results as store


class AgencyUnknown(HailongError):
    code = "agency_unknown"

    def __init__(self, code: str) -> None:
        super().__init__(f"không có cơ quan mã {code!r}", f"no agency with code {code!r}")


def _period(settings: Settings, name: str) -> Period:
    try:
        return parse_period(name, Window(settings.report_window), settings.report_cutoff_day)
    except ReportError as exc:
        raise HailongError(exc.vi, exc.en) from None


async def _agency_id(s: AsyncSession, code: str | None) -> int | None:
    return None if code is None else await _agency_id_of(s, code)


async def _agency_id_of(s: AsyncSession, code: str) -> int:
    agency = await find_agency(s, code)
    if agency is None:
        raise AgencyUnknown(code)
    return agency.id


async def export_report(
    settings: Settings, *, period: str, agency: str | None, fmt: Format, output: Path, now: datetime,
    say: Callable[[str], None],
) -> None:
    """Compute a period's report and write it to `output`, telling `say` how far it got.

    One agency's report uses that agency's window, cut-off day and bands (its settings page)."""
    started = time.monotonic()
    async with open_configured(settings) as db, db.transaction() as s:
        agency_id = await _agency_id(s, agency)
        own = await store.agency_settings(s, agency_id) if agency_id is not None else None
        kind, cutoff_day, bands = report_rules_of(own, settings)
        window = _period(settings.model_copy(update={"report_window": kind.value, "report_cutoff_day": cutoff_day}),
                         period)
        say(f"Kỳ / period {window.name}: {window.first:%d/%m/%Y} – {window.last:%d/%m/%Y}")
        say("Đang tổng hợp số liệu… / Aggregating…")
        if fmt is Format.DATASET:
            data = await dataset(s, window, agency_id, cutoff_day)
        else:
            results = await build_results(s, window, bands=bands, now=now, agency_id=agency_id,
                                            cutoff_day=cutoff_day)
            extras = await report_extras(s, results)
            say(f"Đang ghi {fmt.value}… / Writing {fmt.value}…")
            data = render(results, fmt, extras)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    say(f"Đã ghi {output} ({len(data):,} byte) trong {time.monotonic() - started:.1f} s / "
        f"Wrote {output} in {time.monotonic() - started:.1f} s")


async def set_score(settings: Settings, *, agency: str, period: str, self_score: float | None,
                    appraisal: float | None, now: datetime) -> None:
    """Record an agency's self-score and/or the supervisor's appraisal for a period."""
    name = _period(settings, period).name
    for value in (self_score, appraisal):
        if value is not None and not 0 <= value <= 18:
            raise HailongError("điểm phải từ 0 đến 18", "a score must be between 0 and 18")
    async with open_configured(settings) as db, db.transaction() as s:
        await store.set_agency_score(s, agency_id=await _agency_id_of(s, agency), period=name, now=now,
                                     self_score=self_score, appraisal_score=appraisal)


async def set_alerts(settings: Settings, *, agency: str, rule: str | None, telegram_chat: str | None,
                     email: str | None, days: int | None) -> AlertRule:
    """Change an agency's alert rule and recipients (options not given are kept)."""
    try:
        if rule is not None:
            parse_conditions(rule)
    except ReportError as exc:
        raise HailongError(exc.vi, exc.en) from None
    async with open_configured(settings) as db, db.transaction() as s:
        agency_id = await _agency_id_of(s, agency)
        current = (await store.agency_settings(s, agency_id)).get("alerts") or {}
        given = {"rule": rule, "telegram_chat": telegram_chat, "email": email, "days": days}
        merged = {**current, **{k: v for k, v in given.items() if v is not None}}
        await update_agency_settings(s, agency_id, {"alerts": merged})
    return AlertRule.from_settings(merged)


async def close_follow_up(settings: Settings, *, code: str, note: str | None, now: datetime) -> None:
    """Mark the follow-up of a dossier handled."""
    async with open_configured(settings) as db, db.transaction() as s:
        if not await store.close_follow_up(s, dossier_code=code, now=now, note=note):
            raise HailongError(f"hồ sơ {code} không có việc cần xử lý đang mở",
                               f"dossier {code} has no open follow-up")
