"""The public disclosure page `/public/results`: no login, no person, groups under 5 suppressed."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.office.agency_settings import public_contact, report_rules_of
from bot.web.home import page_language
from bot.web.keys import DATABASE, SETTINGS, TEMPLATES
from bot.web.texts import translate
from reports import formats
from reports.errors import ReportError
from reports.periods import DEFAULT_TZ, current_quarter, quarters_up_to, recent_periods
from reports.public import TREND_QUARTERS, public_page
from reports.tables import DIMENSION_NAMES
from storage import find_agency, list_agencies

routes = web.RouteTableDef()


@routes.get("/public/results", name="public_results")
async def public_results(request: web.Request) -> web.Response:
    """Results of a period per agency (or one agency with its drill-downs), printable."""
    settings, lang = request.app[SETTINGS], page_language(request)
    now = datetime.now(timezone.utc)
    today = now.astimezone(ZoneInfo(DEFAULT_TZ)).date()
    async with request.app[DATABASE].transaction() as s:
        agencies = await list_agencies(s)
        chosen = await find_agency(s, request.query["agency"][:64]) if request.query.get("agency") else None
        # One agency is published with its own report window and bands (its settings page).
        window, cutoff, bands = report_rules_of(chosen.settings if chosen else None, settings)
        period = request.query.get("period") or current_quarter(today, window, cutoff)
        words = {"trend_title": translate("public_trend_caption", lang),
                 "levels_title": translate("public_levels_caption", lang),
                 "missing": translate("public_trend_missing", lang),
                 "withheld": translate("public_chart_withheld", lang)}
        try:
            page = await public_page(s, period, bands=bands, now=now, lang=lang, words=words,
                                     agency_id=chosen.id if chosen else None, window=window, cutoff_day=cutoff)
        except ReportError as exc:
            raise web.HTTPBadRequest(text=f"{exc.vi}\n{exc.en}") from None
    html = request.app[TEMPLATES].get_template("public_results.html").render(
        lang=lang, page=page, scores={a.code: a.score for a in page.results.agencies}, agencies=agencies,
        chosen=chosen, periods=recent_periods(today, window, cutoff),
        period=page.results.period, fmt=formats, dimensions=DIMENSION_NAMES,
        trend=Markup(page.trend_svg), levels=Markup(page.levels_svg),
        trend_quarters=TREND_QUARTERS, trend_last=quarters_up_to(page.results.period.name, 1)[0],
        contact=public_contact(chosen.settings) if chosen else {},
        as_of=page.results.generated_at.astimezone(ZoneInfo(DEFAULT_TZ)).date(),
        t=lambda key, **v: translate(key, lang, **v),
    )
    return web.Response(text=html, content_type="text/html")
