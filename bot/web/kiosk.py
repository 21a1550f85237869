"""Kiosk mode for a counter tablet: /kiosk/{desk} asks for the dossier code, then runs the survey.

The survey screens are the web survey's (bot/web/survey.py) with channel "kiosk"; every page
refreshes back to the desk after the desk's timeout, so an abandoned tablet resets itself.
"""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from bot.common.errors import BadInput, DossierAlreadyEvaluated, DossierNotReturned, DossierUnknown
from bot.office.kiosks import Desk, find_desk, survey_at_desk
from bot.web.keys import CONVERSATIONS, DATABASE, SETTINGS
from bot.web.pages import FormRefused, message_page, page_lang, read_form, render
from bot.web.survey import Place, answer, ended_page, show, visit
from storage import get_dossier

MAX_CODE = 200  # a scanned QR is the whole survey link (portal address + token), as the input's maxlength
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "-", "H", "DEL", "CLR")
REFUSALS = {DossierUnknown: "kiosk_bad_code", BadInput: "kiosk_bad_code",
            DossierNotReturned: "kiosk_not_returned", DossierAlreadyEvaluated: "evaluated"}
routes = web.RouteTableDef()


def _place(desk: Desk, token: str) -> Place:
    return Place(base=f"/kiosk/{desk.id}/s/{token}", channel="kiosk", home=f"/kiosk/{desk.id}",
                 timeout=desk.timeout)


def _desk_page(request: web.Request, desk: Desk, code: str = "", error: str | None = None,
               status: int = 200) -> web.Response:
    return render(request, "kiosk_desk.html", status=status, desk=desk, code=code, error=error,
                  keys=KEYS, kiosk=True)


@routes.get("/kiosk/{desk}", name="kiosk")
async def kiosk_page(request: web.Request) -> web.Response:
    """The desk's code screen: officer, code field and keypad."""
    desk = await find_desk(request.app[DATABASE], request.match_info["desk"])
    if desk is None:
        return message_page(request, "kiosk_unknown_desk", status=404)
    return _desk_page(request, desk)


@routes.post("/kiosk/{desk}")
async def kiosk_post(request: web.Request) -> web.Response:
    """A keypad press (without JavaScript) or the code to rate."""
    desk = await find_desk(request.app[DATABASE], request.match_info["desk"])
    if desk is None:
        return message_page(request, "kiosk_unknown_desk", status=404)
    try:
        form = await read_form(request)
    except FormRefused as refused:
        return message_page(request, refused.key, status=refused.status, kiosk=True)
    code = str(form.get("code", ""))[:MAX_CODE + 1]
    if len(code) > MAX_CODE:
        return _desk_page(request, desk, error="kiosk_bad_code", status=400)
    key = str(form.get("key", ""))
    if key in KEYS:
        code = "" if key == "CLR" else code[:-1] if key == "DEL" else code + key
        return _desk_page(request, desk, code=code)
    return await _open(request, desk, code)


async def _open(request: web.Request, desk: Desk, code: str) -> web.Response:
    """Find the dossier's survey for this desk and start it on the kiosk, or say why not."""
    try:
        survey = await survey_at_desk(request.app[DATABASE], request.app[SETTINGS], desk, code,
                                      now=datetime.now(timezone.utc))
    except tuple(REFUSALS) as refused:
        return _desk_page(request, desk, code=code, error=REFUSALS[type(refused)], status=400)
    if survey is None:
        return _desk_page(request, desk, code=code, error="kiosk_bad_code", status=400)
    place = _place(desk, survey.token)
    v = await visit(request, survey.token)
    page = ended_page(request, v, place) if v is not None else None
    if page is not None:
        return page
    # A visit to the counter starts afresh on the kiosk, even over a half-done web session.
    await request.app[CONVERSATIONS].begin(survey, channel="kiosk", lang=page_lang(request))
    return web.Response(status=303, headers={"Location": place.base})


async def _kiosk_survey(request: web.Request) -> tuple[Desk, str] | web.Response:
    """The desk and token of a kiosk survey address, or the page that refuses it."""
    desk = await find_desk(request.app[DATABASE], request.match_info["desk"])
    if desk is None:
        return message_page(request, "kiosk_unknown_desk", status=404)
    token = request.match_info["token"]
    v = await visit(request, token)
    if v is None:
        return message_page(request, "unknown", status=404, refresh=f"5;url=/kiosk/{desk.id}", kiosk=True)
    async with request.app[DATABASE].transaction() as s:
        if (await get_dossier(s, v.survey.dossier_id)).agency_id != desk.agency_id:
            return message_page(request, "unknown", status=404, refresh=f"5;url=/kiosk/{desk.id}", kiosk=True)
    return desk, token


@routes.get("/kiosk/{desk}/s/{token}", name="kiosk_survey")
async def kiosk_survey_page(request: web.Request) -> web.Response:
    """The current question on the tablet."""
    found = await _kiosk_survey(request)
    if isinstance(found, web.Response):
        return found
    desk, token = found
    return await show(request, token, _place(desk, token))


@routes.post("/kiosk/{desk}/s/{token}")
async def kiosk_survey_post(request: web.Request) -> web.Response:
    """An answer given on the tablet."""
    found = await _kiosk_survey(request)
    if isinstance(found, web.Response):
        return found
    desk, token = found
    return await answer(request, token, _place(desk, token))
