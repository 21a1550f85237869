"""/demo: the demo's landing page, linking open surveys, their QR codes, the kiosk and the API document.

Lists only agencies flagged ``{"demo": true}`` (set by `hailong demo`); elsewhere it is a 404.
"""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from bot.common.errors import BadInput
from bot.demo.links import DEMO_PASSWORD, DEMO_USERS
from bot.office.kiosks import enrolment_link
from bot.web.keys import DATABASE
from bot.web.pages import message_page, render
from storage import list_agencies, open_survey_tokens

routes = web.RouteTableDef()


@routes.get("/demo", name="demo")
async def demo(request: web.Request) -> web.Response:
    """Links into the demo: a few open surveys, the kiosk desks, the API document."""
    async with request.app[DATABASE].transaction() as s:
        agencies = [a for a in await list_agencies(s) if (a.settings or {}).get("demo")]
        rows = [(a, await open_survey_tokens(s, a.id, limit=4)) for a in agencies]
    if not rows:
        return message_page(request, "unknown", status=404)
    entries = [{"agency": a.name, "surveys": surveys, "desks": sorted((a.settings or {}).get("kiosk_desks", {}))}
               for a, surveys in rows]
    return render(request, "demo.html", entries=entries, users=DEMO_USERS, password=DEMO_PASSWORD)


@routes.get("/demo/kiosk/{desk}", name="demo_kiosk")
async def demo_kiosk(request: web.Request) -> web.Response:
    """A demo desk's tablet page: this browser gets a fresh enrolment link (demo agencies only)."""
    desk = request.match_info["desk"]
    async with request.app[DATABASE].transaction() as s:
        demo = frozenset(a.id for a in await list_agencies(s) if (a.settings or {}).get("demo"))
    if not demo:
        return message_page(request, "unknown", status=404)
    try:
        path = await enrolment_link(request.app[DATABASE], desk, actor="demo", now=datetime.now(timezone.utc),
                                    agencies=demo)
    except BadInput:
        return message_page(request, "unknown", status=404)
    return web.Response(status=303, headers={"Location": path})
