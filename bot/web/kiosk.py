"""Kiosk mode for a counter tablet: /kiosk/{desk} asks for the dossier code, then runs the survey.

The survey screens are the web survey's (bot/web/survey.py) with channel "kiosk"; every page
refreshes back to the desk after the desk's timeout, so an abandoned tablet resets itself.

Only the desk's enrolled tablet (its device secret in the `hl_kiosk_<desk>` cookie, set by the
one-time link at /kiosk/{desk}/enrol/{token}) gets anything past the "not enrolled" page; an unknown
desk answers the same. Every refused code gets one message (`kiosk_refused`), whatever the
dossier's state; the staff desk shows the reason.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from aiohttp import web

from bot.common.errors import BadInput
from bot.office.kiosks import (
    ENROL_HOURS,
    Desk,
    KioskRefused,
    desks_for,
    enrol_device,
    enrolment_link,
    find_desk,
    open_at_desk,
)
from bot.office.photos import MAX_BYTES, PhotoRefused, keep_photo, photo_file, set_photo
from bot.office.slips import qr_svg
from bot.web.auth import check_csrf, read_staff_form, refused, require, signed_in_user, staff_render
from bot.web.keys import CONVERSATIONS, DATABASE, SETTINGS
from bot.web.pages import FormRefused, message_page, multipart_fields, page_lang, read_form, render
from bot.web.security import client_address
from bot.web.survey import Place, answer, show, visit
from bot.web.texts import translate
from storage import get_dossier

MAX_CODE = 200  # a scanned QR is the whole survey link (portal address + token), as the input's maxlength
DEVICE_COOKIE = "hl_kiosk_"  # + desk id; holds the tablet's device secret
DEVICE_YEARS = 5
PHOTO_CHUNK, MB = 64 * 1024, 1024 * 1024
routes = web.RouteTableDef()


async def _enrolled_desk(request: web.Request) -> Desk | web.Response:
    """The desk of the address when this browser is its enrolled tablet, else the one refusal page
    (an unknown desk and a desk this browser is not enrolled to look the same)."""
    desk = await find_desk(request.app[DATABASE], request.match_info["desk"])
    if desk is None or not desk.admits(request.cookies.get(DEVICE_COOKIE + desk.id)):
        return message_page(request, "kiosk_not_enrolled", status=403, kiosk=True)
    return desk


def _place(desk: Desk, token: str) -> Place:
    return Place(base=f"/kiosk/{desk.id}/s/{token}", channel="kiosk", home=f"/kiosk/{desk.id}",
                 timeout=desk.timeout, officer_name=desk.officer_name, officer_photo=desk.officer_photo,
                 agency_name=desk.agency_name)


def _desk_page(request: web.Request, desk: Desk, code: str = "", error: str | None = None,
               status: int = 200) -> web.Response:
    return render(request, "kiosk_desk.html", status=status, desk=desk, code=code, error=error,
                  keypad=desk.keypad, kiosk=True)


@routes.get("/kiosk/{desk}", name="kiosk")
async def kiosk_page(request: web.Request) -> web.Response:
    """The desk's code screen: officer, code field and keypad."""
    desk = await _enrolled_desk(request)
    if isinstance(desk, web.Response):
        return desk
    return _desk_page(request, desk)


@routes.post("/kiosk/{desk}")
async def kiosk_post(request: web.Request) -> web.Response:
    """A keypad press (without JavaScript) or the code to rate."""
    desk = await _enrolled_desk(request)
    if isinstance(desk, web.Response):
        return desk
    try:
        form = await read_form(request)
    except FormRefused as refused:
        return message_page(request, refused.key, status=refused.status, kiosk=True)
    code = str(form.get("code", ""))[:MAX_CODE + 1]
    if len(code) > MAX_CODE:
        return _desk_page(request, desk, error="kiosk_refused", status=400)
    key = str(form.get("key", ""))
    if desk.keypad.allows(key):
        code = "" if key == "CLR" else code[:-1] if key == "DEL" else code + key
        return _desk_page(request, desk, code=code[:MAX_CODE])
    return await _open(request, desk, code)


async def _open(request: web.Request, desk: Desk, code: str) -> web.Response:
    """Find the dossier's survey for this desk and start it on the kiosk; one refusal for any reason."""
    try:
        survey = await open_at_desk(request.app[DATABASE], request.app[SETTINGS], desk, code,
                                    address=client_address(request), now=datetime.now(timezone.utc))
    except KioskRefused as refused:
        if refused.reason == "throttled":
            return _desk_page(request, desk, error="kiosk_throttled", status=429)
        return _desk_page(request, desk, error="kiosk_refused", status=400)
    place = _place(desk, survey.token)
    # A visit to the counter starts afresh on the kiosk, even over a half-done web session.
    await request.app[CONVERSATIONS].begin(survey, channel="kiosk", lang=page_lang(request))
    return web.Response(status=303, headers={"Location": place.base})


async def _kiosk_survey(request: web.Request) -> tuple[Desk, str] | web.Response:
    """The desk and token of a kiosk survey address, or the page that refuses it."""
    desk = await _enrolled_desk(request)
    if isinstance(desk, web.Response):
        return desk
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


@routes.get("/kiosk/{desk}/enrol/{token}", name="kiosk_enrol")
async def kiosk_enrol_page(request: web.Request) -> web.Response:
    """The enrolment link opened on the tablet: a button, so a link preview cannot use it up."""
    return render(request, "kiosk_enrol.html", desk_id=request.match_info["desk"], kiosk=True,
                  action=request.path)


@routes.post("/kiosk/{desk}/enrol/{token}")
async def kiosk_enrol(request: web.Request) -> web.Response:
    """Enrol this browser as the desk's tablet: the device secret goes into its cookie."""
    try:
        await read_form(request)
    except FormRefused as refused:
        return message_page(request, refused.key, status=refused.status, kiosk=True)
    desk_id = request.match_info["desk"]
    secret = await enrol_device(request.app[DATABASE], desk_id, request.match_info["token"],
                                now=datetime.now(timezone.utc), address=client_address(request))
    if secret is None:
        return message_page(request, "kiosk_enrol_bad", status=403, kiosk=True)
    response = web.Response(status=303, headers={"Location": f"/kiosk/{desk_id}"})
    response.set_cookie(DEVICE_COOKIE + desk_id, secret, path=f"/kiosk/{desk_id}", httponly=True,
                        samesite="Strict", max_age=DEVICE_YEARS * 366 * 86400,
                        secure=request.app[SETTINGS].public_url.startswith("https://"))
    return response


@routes.get("/staff/kiosks", name="staff_kiosks")
@require("manager")
async def kiosks_page(request: web.Request) -> web.Response:
    """A manager's desks: which have an enrolled tablet, and a button for a one-time enrolment link."""
    who = signed_in_user(request)
    return staff_render(request, "staff_kiosks.html", desks=await desks_for(request.app[DATABASE], who.agencies),
                        link=None, qr=None, hours=ENROL_HOURS, max_photo_mb=MAX_BYTES // MB)


@routes.post("/staff/kiosks/{desk}/enrol")
@require("manager")
async def kiosk_enrol_link(request: web.Request) -> web.Response:
    """A fresh enrolment link for one desk, shown once with its QR code to open on the tablet."""
    await read_staff_form(request, max_body=4096)
    who, db = signed_in_user(request), request.app[DATABASE]
    try:
        path = await enrolment_link(db, request.match_info["desk"], actor=who.actor,
                                    now=datetime.now(timezone.utc), agencies=who.agencies)
    except BadInput:
        raise web.HTTPNotFound() from None
    link = request.app[SETTINGS].public_url + path
    qr = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(link)).decode()
    return staff_render(request, "staff_kiosks.html", desks=await desks_for(db, who.agencies), link=link, qr=qr,
                        hours=ENROL_HOURS, chosen=request.match_info["desk"], max_photo_mb=MAX_BYTES // MB)


async def _photo_upload(request: web.Request) -> tuple[str, bytes | None, str | None]:
    """(CSRF token, the photo's bytes, why it was not read) from a multipart body, read to its end."""
    csrf, data, problem = "", None, None
    async for part, token in multipart_fields(request):
        if token is not None:
            csrf = token
        elif part.name == "photo" and data is None and part.filename:
            chunks, size = [], 0
            while chunk := await part.read_chunk(PHOTO_CHUNK):
                size += len(chunk)
                if size > MAX_BYTES:
                    problem = "photo_too_big"
                    break
                chunks.append(chunk)
            data = b"".join(chunks) if problem is None else None
    return csrf, data, problem


@routes.post("/staff/kiosks/{desk}/photo")
@require("manager")
async def officer_photo_post(request: web.Request) -> web.Response:
    """A manager uploads the photo of a desk's receiving officer (checked and re-encoded, never kept as sent)."""
    who, db = signed_in_user(request), request.app[DATABASE]
    problem: str | None
    if not request.content_type.startswith("multipart/"):
        await read_staff_form(request, max_body=4096)  # the CSRF check; then: no photo in it
        data, problem = None, "photo_none"
    elif request.content_length is None or request.content_length > 2 * MAX_BYTES:
        return refused(request, "too_big", 413)  # not read: nothing done
    else:
        try:
            csrf, data, problem = await _photo_upload(request)
        except ValueError:  # a broken multipart body
            return refused(request, "bad_form", 400)
        try:
            check_csrf(request, csrf)
        except FormRefused as bad_form:
            return refused(request, bad_form.key, bad_form.status)
    desk = await find_desk(db, request.match_info["desk"])
    if desk is None or (who.agencies is not None and desk.agency_id not in who.agencies):
        raise web.HTTPNotFound()
    if problem is None and desk.officer_code is None:
        problem = "photo_no_officer"
    if problem is None:
        try:
            name = keep_photo(data or b"")
        except PhotoRefused as refusal:
            problem = refusal.key
        else:
            await set_photo(db, desk.agency_id, str(desk.officer_code), name, actor=who.actor,
                            now=datetime.now(timezone.utc))
    status = 200 if problem is None else 413 if problem == "photo_too_big" else 400
    return staff_render(request, "staff_kiosks.html", status=status, desks=await desks_for(db, who.agencies),
                        link=None, qr=None, hours=ENROL_HOURS, chosen=desk.id, photo_problem=problem,
                        photo_saved=problem is None, max_photo_mb=MAX_BYTES // MB,
                        problem_words=[translate(problem, lang, mb=MAX_BYTES // MB) for lang in ("vi", "en")]
                        if problem else [])


@routes.get("/kiosk-photos/{name}", name="kiosk_photo")
async def officer_photo(request: web.Request) -> web.StreamResponse:
    """A stored officer photo (a JPEG written by keep_photo; its name is its content's hash)."""
    path = photo_file(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "image/jpeg", "Cache-Control": "public, max-age=31536000, immutable",
                                           "X-Content-Type-Options": "nosniff"})
