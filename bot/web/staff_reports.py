"""Reports for signed-in managers and viewers (and admins): `/staff/reports` and its exports.

A manager or viewer sees only its own agency and that agency's units, by the picker and by URL
alike (403 otherwise); "all agencies" is for admins. The figures and files are the report engine's,
through bot.staff_reports; every export is audited before it is sent.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup, escape

from bot.office.staff_reports import (
    ALL,
    EXPORT_FORMATS,
    Choice,
    ReportAsk,
    choose,
    export_report,
    parse_format,
    period_choices,
    report_agencies,
    report_results,
    report_scales,
    report_trend,
)
from bot.web.auth import ensure_sees, refused, require, signed_in_user, staff_render
from bot.web.keys import DATABASE, SETTINGS
from bot.web.pages import page_lang
from bot.web.texts import translate
from reports import formats
from reports.charts import trend_svg
from reports.export import Format
from reports.html import cell, groups
from reports.periods import DEFAULT_TZ, Period, quarters_up_to
from reports.results import Row
from reports.tables import all_tables, header_lines, scale_table
from survey_flows.totals import AgencyTotal

routes = web.RouteTableDef()
TREND_QUARTERS = 6
READERS = ("manager", "viewer")  # admin always may
CONTENT_TYPES = {
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.CSV: "text/csv",
    Format.CSV_VI: "text/csv",
    Format.DATASET: "text/csv",
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _asked(request: web.Request, ask: ReportAsk) -> web.Response:
    """Why the report was not given, Vietnamese then English; nothing else on the page."""
    if ask.key == "forbidden":
        return refused(request, "forbidden", ask.status)
    title = "sr_forbidden_title" if ask.status == 403 else "sr_refused_title"
    return staff_render(request, "staff_message.html", status=ask.status, key=ask.key,
                        title=(translate(title, "vi"), translate(title, "en")),
                        text=(translate(ask.key, "vi", **ask.values), translate(ask.key, "en", **ask.values)))


async def _choice(request: web.Request) -> Choice:
    """The period and agency of the query string; ReportAsk for a bad or forbidden one."""
    who = signed_in_user(request)
    today = _now().astimezone(ZoneInfo(DEFAULT_TZ)).date()
    choice = await choose(request.app[DATABASE], request.app[SETTINGS], who, period=request.query.get("period"),
                          agency=request.query.get("agency"), today=today)
    if choice.agency is not None:
        ensure_sees(request, choice.agency.id)
    return choice


@routes.get("/staff/reports", name="staff_reports")
@require(*READERS)
async def reports_page(request: web.Request) -> web.Response:
    """The chosen period's report for one agency (or all, for an admin), with its download links."""
    who = signed_in_user(request)
    try:
        choice = await _choice(request)
    except ReportAsk as ask:
        return _asked(request, ask)
    db, settings, lang = request.app[DATABASE], request.app[SETTINGS], page_lang(request)
    results = await report_results(db, settings, who, choice, now=_now())
    agencies = await report_agencies(db, who)
    today = _now().astimezone(ZoneInfo(DEFAULT_TZ)).date()
    periods = period_choices(settings, today)
    if choice.period.name not in periods:
        periods.insert(0, choice.period.name)
    summary = results.agencies[0].summary if choice.agency is not None and results.agencies else results.total
    score = results.agencies[0].score if choice.agency is not None and results.agencies else None
    agency_name = choice.agency.name if choice.agency is not None else translate("sr_all", lang)
    scales = await report_scales(db, who, choice, results)
    trend = await report_trend(db, settings, who, choice, quarters=TREND_QUARTERS)
    chart = trend_svg(trend, lang, translate("sr_trend_title", lang), translate("sr_trend_missing", lang))
    exports = [(fmt.value, "/staff/reports/export?" + urlencode(
        {"period": choice.period.name, "agency": choice.agency_code, "format": fmt.value})) for fmt in EXPORT_FORMATS]
    return staff_render(
        request, "staff_reports.html", choice=choice, results=results, summary=summary, score=score,
        header=header_lines(results, results.agencies[0] if choice.agency is not None and results.agencies else None),
        tables=(*all_tables(results), scale_table(results, scales)), cell=cell, groups=groups, fmt=formats, agencies=agencies, periods=periods,
        all_value=ALL, may_all=who.agencies is None, exports=exports, agency_name=agency_name,
        said=summary_words(lang, agency_name, choice.period, summary, trend, score), trend=Markup(chart),
        trend_quarters=TREND_QUARTERS, trend_last=quarters_up_to(choice.period.name, 1)[0],
        generated_on=results.generated_at.astimezone(ZoneInfo(DEFAULT_TZ)).date(),
    )


def summary_words(lang: str, agency: str, period: Period, summary: Row,
                  trend: list[tuple[str, float | None]], score: AgencyTotal | None = None) -> list[Markup]:
    """The chosen period in a few sentences: how many evaluations, the rate and band, how many were not
    satisfied, and the change from the quarter before (a quarter's report only). Period names and
    figures never break across lines ("2026-" / "Q3")."""
    def whole(text: str) -> Markup:
        return Markup('<span class="nowrap">{}</span>').format(text)

    def said(key: str, **values: str | Markup) -> Markup:
        return Markup(translate(key, lang, **{k: escape(v) for k, v in values.items()}))

    def pct(x: float | None) -> Markup:
        return whole(formats.percent(x, lang))
    words = [said("sr_said_count", agency=agency, period=whole(period.name), first=formats.day(period.first, lang),
                  last=formats.day(period.last, lang), n=formats.number(summary.evaluations, lang))]
    if not summary.evaluations:
        return words
    if summary.total is None:  # every agency pooled: a score is a verdict on one agency (see the table)
        words.append(said("sr_said_rate_only", rate=pct(summary.rate)))
    elif summary.band is not None:
        words.append(said("sr_said_rate", rate=pct(summary.rate), total=formats.number(summary.total, lang, 1),
                          band=summary.band.name.get(lang)))
    else:
        words.append(said("sr_said_rate_partial", rate=pct(summary.rate),
                          phrase=score.phrase(lang) if score else translate("sr_not_rated", lang)))
    if summary.levels is not None and summary.shares is not None:
        words.append(said("sr_said_not_satisfied", n=formats.number(summary.levels[2], lang),
                          share=pct(summary.shares[2])))
    before = trend[-2] if len(trend) >= 2 and "-Q" in period.name else None
    if before is not None and before[1] is not None and summary.rate is not None:
        diff = round(summary.rate - before[1], 1)
        key = "sr_said_up" if diff > 0 else "sr_said_down" if diff < 0 else "sr_said_same"
        words.append(said(key, diff=formats.number(abs(diff), lang, 1), quarter=whole(before[0]),
                          rate=pct(before[1])))
    return words


@routes.get("/staff/reports/export", name="staff_reports_export", allow_head=False)  # a HEAD would be audited as an export
@require(*READERS)
async def export(request: web.Request) -> web.Response:
    """An XLSX, CSV or anonymous-answers download of the chosen period and agency (audited)."""
    who = signed_in_user(request)
    try:
        choice = await _choice(request)
        fmt = parse_format(request.query.get("format"))
        data = await export_report(request.app[DATABASE], request.app[SETTINGS], who, choice, fmt, now=_now())
    except ReportAsk as ask:
        return _asked(request, ask)
    response = web.Response(body=data, content_type=CONTENT_TYPES[fmt],
                            charset="utf-8" if fmt is not Format.XLSX else None)
    response.headers["Content-Disposition"] = f'attachment; filename="{choice.file_name(fmt)}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
