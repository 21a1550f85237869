"""The landing page: evaluations and satisfaction rate per agency; never a person."""

from __future__ import annotations

from aiohttp import web

from bot.keys import DATABASE, TEMPLATES
from storage import level_counts, list_agencies
from survey_flows import load_schema, satisfaction_rate

LANGUAGES = ("vi", "en")
routes = web.RouteTableDef()


def page_language(request: web.Request) -> str:
    """The page language from `?lang=`: Vietnamese unless English is asked for."""
    lang = request.query.get("lang", "vi")
    return lang if lang in LANGUAGES else "vi"


@routes.get("/", name="home")
async def home(request: web.Request) -> web.Response:
    """Public overview of every agency's satisfaction rate."""
    async with request.app[DATABASE].transaction() as s:
        agencies = await list_agencies(s)
        counts = await level_counts(s, field="satisfaction.overall")
    rows = [_agency_row(a, counts) for a in agencies]
    levels = [level for _, level, n in counts for _ in range(n)]
    page = request.app[TEMPLATES].get_template("home.html").render(
        lang=page_language(request), rows=rows, total=len(levels),
        rate=satisfaction_rate(levels), schema=load_schema(),
    )
    return web.Response(text=page, content_type="text/html")


def _agency_row(agency, counts: list[tuple[int, int, int]]) -> dict:
    by_level = {level: n for agency_id, level, n in counts if agency_id == agency.id}
    levels = [level for level, n in by_level.items() for _ in range(n)]
    return {"name": agency.name, "responses": len(levels), "by_level": by_level,
            "rate": satisfaction_rate(levels)}
