"""The staff desk: /staff/desk looks a dossier up by code (typed, scanned, pasted link), then shows it,
triggers its survey on a channel and prints its QR slip. Staff see their agency; managers its units too.

Thin views over bot.office.desk; another agency's dossier gets exactly the answer of a code that does
not exist (404, the same page), whether typed, scanned, reached by URL or posted to: its existence is
never told.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy

from bot.common.errors import HailongError
from bot.conversation.surveys import survey_link
from bot.office.desk import (
    CHANNELS,
    DeskRefused,
    Triggered,
    channel_options,
    dossier_problem,
    find_card,
    mask,
    plan_warning,
    record_dossier_exceptions,
    slip,
    trigger,
)
from bot.office.slips import qr_svg
from bot.web.auth import read_staff_form, require, signed_in_user, staff_render
from bot.web.keys import DATABASE, SCHEDULER, SENDERS, SETTINGS
from bot.web.pages import page_lang
from bot.web.texts import TEXTS, translate
from channels.contract import Sender
from storage import DossierCard
from survey_flows.indicators import DossierExceptions

ROLES = ("manager", "staff")
STATUS_OF = {"bad_code": 400, "bad_channel": 400, "unknown": 404}  # every other refusal: 409
routes = web.RouteTableDef()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _both(key: str, **values: object) -> tuple[str, str]:
    """The refusal in Vietnamese, then English (a channel named in words of each)."""
    def say(lang: str) -> str:
        named = {k: _worder(lang)("desk_channel", v) if k == "channel" and v else v for k, v in values.items()}
        return translate(key, lang, **named)
    return say("vi"), say("en")


def _worder(lang: str) -> Callable[[str, object], str]:
    """A status or channel in words, or the raw value when the catalog has no word for it."""
    return lambda prefix, value: translate(f"{prefix}_{value}", lang) if f"{prefix}_{value}" in TEXTS else str(value)


def _qr(link: str, label: str) -> Markup:
    """The link's QR code as inline SVG that scales with the page."""
    svg = qr_svg(link).decode()
    size = re.search(r'width="(\d+)"', svg)
    side = size.group(1) if size else "148"
    # segno writes a generated, fixed SVG (no user text): safe to inline.
    return Markup(svg.replace("<svg ", f'<svg viewBox="0 0 {side} {side}" role="img" aria-label="{label}" ', 1))


def _desk_page(request: web.Request, *, card: DossierCard | None = None, entered: str = "",
               refusal: DeskRefused | None = None, done: Triggered | None = None, status: int = 200,
               warning: dict[str, int] | None = None, saved: bool = False) -> web.Response:
    settings = request.app[SETTINGS]
    senders = request.app.get(SENDERS, {})
    error = _both(f"desk_refused_{refusal.reason}", **refusal.values) if refusal else None
    context = {"card": card, "entered": entered, "error": error, "done": done, "mask": mask, "plan_warning": warning,
               "exceptions_saved": saved,
               "word": _worder(page_lang(request)),
               "problem": dossier_problem(card, _now()) if card else None,
               "options": channel_options(card, settings, senders) if card else [],
               "link": survey_link(settings, card.survey_token) if card and card.survey_token else None}
    if done is not None:
        context["qr"] = _qr(done.link, translate("desk_qr_label", page_lang(request)))
        context["deep_qr"] = _qr(done.deep_link, "Telegram") if done.deep_link else None
    return staff_render(request, "staff_desk.html", status=status, **context)


def _dossier_path(request: web.Request, code: str) -> str:
    lang = page_lang(request)
    return f"/staff/desk/{quote(code, safe='')}" + ("?lang=en" if lang == "en" else "")


@routes.get("/staff/desk", name="staff_desk")
@require(*ROLES)
async def desk_page(request: web.Request) -> web.Response:
    """The code field (a scanner types into it and presses Enter); with `?code=` the look-up."""
    entered = request.query.get("code", "")
    if not entered.strip():
        return _desk_page(request)
    try:
        card = await find_card(request.app[DATABASE], entered, signed_in_user(request))
    except DeskRefused as refusal:
        return _desk_page(request, entered=entered[:300], refusal=refusal, status=STATUS_OF.get(refusal.reason, 409))
    raise web.HTTPSeeOther(_dossier_path(request, card.code))


async def _card(request: web.Request) -> DossierCard | web.Response:
    """The dossier of the URL, when this user may see it (else the page of a code that does not exist)."""
    try:
        card = await find_card(request.app[DATABASE], request.match_info["code"], signed_in_user(request))
    except DeskRefused as refusal:
        return _desk_page(request, entered=request.match_info["code"][:300], refusal=refusal,
                          status=STATUS_OF.get(refusal.reason, 409))
    return card


async def _posted(request: web.Request, max_body: int) -> tuple[MultiDictProxy[str], DossierCard] | web.Response:
    """A posted form (size and CSRF checked) and the dossier of the URL, or the page refusing it."""
    form = await read_staff_form(request, max_body=max_body)
    found = await _card(request)
    return found if isinstance(found, web.Response) else (form, found)


@routes.get("/staff/desk/{code}", name="staff_desk_dossier")
@require(*ROLES)
async def dossier_page(request: web.Request) -> web.Response:
    """One dossier: names, dates, status, survey, evaluation, masked contacts, channels to trigger."""
    found = await _card(request)
    if isinstance(found, web.Response):
        return found
    warning = await plan_warning(request.app[DATABASE], request.app[SETTINGS], found.agency_id, now=_now())
    return _desk_page(request, card=found, warning=warning)


@routes.post("/staff/desk/{code}/trigger")
@require(*ROLES)
async def trigger_post(request: web.Request) -> web.Response:
    """Open the survey and invite on the chosen channel; the page then shows its QR code and link."""
    posted = await _posted(request, 4096)
    if isinstance(posted, web.Response):
        return posted
    form, found = posted
    who = signed_in_user(request)
    channel = str(form.get("channel", ""))[:16]
    senders: dict[str, Sender] = request.app[SENDERS] if SENDERS in request.app else {}
    try:
        done = await trigger(request.app[DATABASE], request.app[SETTINGS], request.app.get(SCHEDULER), found,
                             channel if channel in CHANNELS else "?", senders=senders,
                             actor=who.actor, now=_now())
    except DeskRefused as refusal:
        return _desk_page(request, card=found, refusal=refusal, status=STATUS_OF.get(refusal.reason, 409))
    card = await find_card(request.app[DATABASE], found.code)
    return _desk_page(request, card=card, done=done)


@routes.post("/staff/desk/{code}/exceptions")
@require(*ROLES)
async def exceptions_post(request: web.Request) -> web.Response:
    """Record the legal exceptions (indicators 3 and 4) with a note; the dossier's evaluation is re-scored."""
    posted = await _posted(request, 8192)
    if isinstance(posted, web.Response):
        return posted
    form, found = posted
    exceptions = DossierExceptions(form.get("applicant_fault") == "1", form.get("appraisal_body") == "1",
                                   str(form.get("note", "")))
    try:
        await record_dossier_exceptions(request.app[DATABASE], found, exceptions,
                                        actor=signed_in_user(request).actor, now=_now())
    except DeskRefused as refusal:
        return _desk_page(request, card=found, refusal=refusal, status=400)
    card = await find_card(request.app[DATABASE], found.code)
    return _desk_page(request, card=card, saved=True)


@routes.post("/staff/desk/{code}/slip")
@require(*ROLES)
async def slip_post(request: web.Request) -> web.StreamResponse:
    """The printable return slip (PDF or PNG) with the survey's QR code and link, as a download."""
    posted = await _posted(request, 4096)
    if isinstance(posted, web.Response):
        return posted
    form, found = posted
    who = signed_in_user(request)
    fmt = str(form.get("format", ""))[:8]
    try:
        data = await slip(request.app[DATABASE], request.app[SETTINGS], found, fmt, actor=who.actor, now=_now())
    except DeskRefused as refusal:
        return _desk_page(request, card=found, refusal=refusal, status=STATUS_OF.get(refusal.reason, 409))
    except HailongError as exc:  # no font with Vietnamese letters on this server
        return _desk_page(request, card=found, refusal=DeskRefused("slip_failed", reason=str(exc)), status=503)
    name = "phieu-" + re.sub(r"[^A-Za-z0-9.-]", "_", found.code) + "." + fmt
    return web.Response(body=data, content_type="application/pdf" if fmt == "pdf" else "image/png",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
