"""The web survey at /s/{token}: one question per screen, plain forms, the chat channels' one path.

The kiosk (bot/web/kiosk.py) runs the same views under its own address with channel "kiosk".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.conversation.surveys import survey_link
from bot.office.slips import qr_png, qr_svg
from bot.web.keys import CONVERSATIONS, DATABASE, SETTINGS
from bot.web.pages import FormRefused, message_page, page_lang, read_form, render
from bot.web.screens import MAX_TEXT, intro_of, reply_of, screen_of
from storage import (
    NotFound,
    StaleSession,
    Survey,
    dossier_names,
    find_survey,
    has_evaluation,
    load_session,
)
from survey_flows import Session

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ENDED_OK = frozenset({"completed", "duplicate"})
routes = web.RouteTableDef()


@dataclass(frozen=True, slots=True)
class Place:
    """Where a survey page runs: its address, its channel, and (kiosk) where it returns to and the
    receiving officer the tablet shows all through the survey."""

    base: str
    channel: str = "web"
    home: str | None = None
    timeout: int | None = None
    officer_name: str | None = None
    officer_photo: str | None = None
    agency_name: str | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    """A survey as a page sees it: the row, its session (if started) and the session version."""

    survey: Survey
    session: Session | None
    version: int
    evaluated: bool


async def visit(request: web.Request, token: str) -> Visit | None:
    """The survey of a token with its session, or None for a token that names none."""
    if not TOKEN.match(token):
        return None
    async with request.app[DATABASE].transaction() as s:
        survey = await find_survey(s, token=token)
        if survey is None:
            return None
        row = await load_session(s, survey.id)
        evaluated = await has_evaluation(s, survey.dossier_id)
    session = Session.from_json(row.state) if row is not None else None
    return Visit(survey, session, row.version if row is not None else 0, evaluated)


def ended_page(request: web.Request, v: Visit, place: Place) -> web.Response | None:
    """The page of a survey that takes no more answers, or None when it is open."""
    refresh = f"8;url={place.home}" if place.home else None
    kiosk = place.home is not None
    if v.survey.status in ENDED_OK or (v.session is not None and v.session.status == "completed"):
        return message_page(request, "thanks_kiosk" if kiosk else "thanks", refresh=refresh, kiosk=kiosk,
                            home=place.home)
    if v.evaluated:
        return message_page(request, "evaluated", refresh=refresh, kiosk=kiosk)
    expired = v.survey.expires_at <= datetime.now(timezone.utc)
    if v.survey.status not in ("invited", "active") or expired or (v.session and not v.session.active):
        return message_page(request, "closed", status=410, refresh=refresh, kiosk=kiosk)
    return None


async def show(request: web.Request, token: str, place: Place) -> web.Response:
    """GET: the welcome page, the current question, or the page of an ended survey."""
    v = await visit(request, token)
    if v is None:
        return message_page(request, "unknown", status=404)
    page = ended_page(request, v, place)
    if page is not None:
        return page
    lang = page_lang(request)
    flow = await request.app[CONVERSATIONS].flow_for(v.survey, started=v.session is not None)
    common: dict[str, Any] = {"place": place, "version": v.version, "notice": request.query.get("n"),
              "kiosk": place.home is not None,
              "refresh": f"{place.timeout};url={place.home}" if place.home else None}
    if v.session is None:
        async with request.app[DATABASE].transaction() as s:
            names = await dossier_names(s, v.survey.dossier_id)
        return render(request, "survey_welcome.html", names=names, intro=intro_of(flow, names, lang, place.channel), **common)
    return render(request, "survey_question.html", screen=screen_of(flow, v.session, lang), **common)


async def answer(request: web.Request, token: str, place: Place) -> web.Response:
    """POST: start the session or apply one answer, then show the next screen (post/redirect/get)."""
    try:
        form = await read_form(request)
    except FormRefused as refused:
        return message_page(request, refused.key, status=refused.status)
    v = await visit(request, token)
    if v is None:
        return message_page(request, "unknown", status=404)
    page = ended_page(request, v, place)
    if page is not None:
        return page
    if len(str(form.get("value", ""))) > MAX_TEXT:
        return message_page(request, "too_big", status=413)
    return await _apply(request, v, form, place)


async def _apply(request: web.Request, v: Visit, form: MultiMapping[Any], place: Place) -> web.Response:
    conversations = request.app[CONVERSATIONS]
    sent_version = str(form.get("v", ""))
    if not sent_version.isdigit() or int(sent_version) != v.version:
        return _again(place, "replayed")  # an old or repeated form: the session moved on
    try:
        if v.session is None:
            await conversations.begin(v.survey, channel=place.channel, lang=page_lang(request))
            return _again(place)
        if str(form.get("step", "")) != v.session.step_id:
            return _again(place, "replayed")
        flow = await conversations.flow_for(v.survey)
        fields = {k: str(form.get(k, "")) for k in ("action", "choice", "value")}
        reply = reply_of(flow, str(v.session.step_id), fields, [str(c) for c in form.getall("choices", [])])
        if reply is None:
            return _again(place, "invalid")
        await conversations.reply(v.survey, reply, expected_version=v.version)
    except (StaleSession, NotFound):
        return _again(place, "replayed")
    return _again(place)


def _again(place: Place, notice: str | None = None) -> web.Response:
    """303 back to the survey page, with a notice key to show there."""
    location = place.base + (f"?n={notice}" if notice else "")
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


@routes.get("/s/{token}", name="survey")
async def survey_page(request: web.Request) -> web.Response:
    """The survey page of a token."""
    token = request.match_info["token"]
    return await show(request, token, Place(base=f"/s/{token}"))


@routes.post("/s/{token}")
async def survey_post(request: web.Request) -> web.Response:
    """An answer posted from the survey page."""
    token = request.match_info["token"]
    return await answer(request, token, Place(base=f"/s/{token}"))


@routes.get(r"/s/{token}/qr.{fmt:svg|png}", name="survey_qr")
async def survey_qr(request: web.Request) -> web.Response:
    """The QR code of a survey's link (for the return slip), SVG or PNG."""
    v = await visit(request, request.match_info["token"])
    if v is None:
        return message_page(request, "unknown", status=404)
    link = survey_link(request.app[SETTINGS], v.survey.token)
    if request.match_info["fmt"] == "svg":
        return web.Response(body=qr_svg(link), content_type="image/svg+xml")
    return web.Response(body=qr_png(link), content_type="image/png")
