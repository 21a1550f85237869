"""The landing page: evaluations and satisfaction rate per agency; never a person.

Like the public results page, an agency with fewer than 5 evaluations is listed without figures,
and the overall rate counts only the agencies that are shown, so no hidden figure can be worked
out from the others.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.web.keys import DATABASE, TEMPLATES
from bot.web.texts import translate
from reports import formats
from reports.periods import DEFAULT_TZ
from reports.results import MIN_PUBLIC_GROUP
from storage import Agency, level_counts, list_agencies
from storage.evaluations import level_span
from survey_flows import load_schema
from survey_flows.scoring import satisfaction_rate_from_counts

LANGUAGES = ("vi", "en")
routes = web.RouteTableDef()


def page_language(request: web.Request) -> str:
    """The page language from `?lang=`: Vietnamese unless English is asked for."""
    lang = request.query.get("lang", "vi")
    return lang if lang in LANGUAGES else "vi"


@routes.get("/", name="home")
async def home(request: web.Request) -> web.Response:
    """Public overview of every agency's satisfaction rate."""
    lang = page_language(request)
    async with request.app[DATABASE].transaction() as s:
        agencies = await list_agencies(s)
        counts = await level_counts(s, field="satisfaction.overall")
        span = await level_span(s, field="satisfaction.overall")
    rows = [_agency_row(a, counts) for a in agencies]
    shown: dict[int, int] = {}
    for row in rows:
        if not row["suppressed"]:
            for level, n in row["by_level"].items():
                shown[level] = shown.get(level, 0) + n
    page = request.app[TEMPLATES].get_template("home.html").render(
        lang=lang, rows=rows, total=sum(shown.values()), rate=satisfaction_rate_from_counts(shown),
        schema=load_schema(), fmt=formats, min_group=MIN_PUBLIC_GROUP,
        # Every evaluation so far: the figures name the days they span (Vietnam time).
        span=tuple(at.astimezone(ZoneInfo(DEFAULT_TZ)).date() for at in span) if span else None,
        t=lambda key, **v: translate(key, lang, **v),
    )
    return web.Response(text=page, content_type="text/html")


def _agency_row(agency: Agency, counts: list[tuple[int, int, int]]) -> dict[str, Any]:
    by_level = {level: n for agency_id, level, n in counts if agency_id == agency.id}
    responses = sum(by_level.values())
    return {"name": agency.name, "responses": responses, "by_level": by_level,
            "rate": satisfaction_rate_from_counts(by_level), "suppressed": responses < MIN_PUBLIC_GROUP}
