"""The flow editor at /admin/flows (admin only): edit a flow's YAML with validation as you type,
preview it per channel, chat with it, save drafts, compare and publish revisions, roll back.

Every page works without JavaScript: the forms post the whole text and the page comes back with
the problems, the previews and the simulator; web/static/flows.js only adds checking as you type.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.conversation.flows import MAX_SOURCE, check_source
from bot.office.flow_editor import (
    EditorRefused,
    NeedsConfirmation,
    diff,
    exists,
    list_flows,
    normalised,
    publish,
    revisions,
    save_draft,
    source_of,
)
from bot.office.flow_preview import MAX_REPLY, SIM_CHANNELS, preview_session, previews, simulate
from bot.web.auth import (
    MAX_FORM,
    check_csrf,
    current,
    read_staff_form,
    refused,
    require,
    signed_in_user,
    staff_render,
)
from bot.web.keys import DATABASE, SETTINGS
from bot.web.pages import FormRefused, page_lang
from bot.web.screens import screen_of
from bot.web.texts import both
from reports.periods import DEFAULT_TZ
from survey_flows import Flow, Problem, Schema, load_schema

routes = web.RouteTableDef()
FLOW = "{flow_id:[a-z0-9][a-z0-9_.-]{0,63}}"
NEW_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
RESERVED_IDS = frozenset({"new"})  # /admin/flows/new is the page that makes a flow
CSRF_HEADER = "X-CSRF-Token"
LOCAL = ZoneInfo(DEFAULT_TZ)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@cache
def _shipped_schema() -> Schema:
    return load_schema()


def _schema(request: web.Request) -> Schema:
    """The scoring schema flows are checked against (the shipped file, read once)."""
    return _shipped_schema()


async def _flow_id(request: web.Request, *, new: bool = False) -> str:
    """The flow of the URL; 404 for a flow that cannot be edited here. With `new` (a form of a flow
    made in the form and not saved yet), any id a new flow may take."""
    flow_id = request.match_info["flow_id"]
    if new and NEW_ID.fullmatch(flow_id) and flow_id not in RESERVED_IDS:
        return flow_id
    if not await exists(request.app[DATABASE], flow_id):
        raise web.HTTPNotFound(text=refused(request, "flows_unknown", 404).text, content_type="text/html")
    return flow_id


def _revision(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 9 else None


@routes.get("/admin/flows", name="admin_flows")
@require()
async def flow_list(request: web.Request) -> web.Response:
    """Every flow with its current revision."""
    flows = await list_flows(request.app[DATABASE], _schema(request))
    return staff_render(request, "admin_flows.html", flows=flows)


@routes.get("/admin/flows/" + FLOW, name="admin_flow")
@require()
async def editor(request: web.Request) -> web.Response:
    """The editor, starting from the published text (or `?from=N`)."""
    flow_id, revision, source = await opened(request)
    return editor_page(request, flow_id, source, base=revision)


async def opened(request: web.Request) -> tuple[str, int, str]:
    """(flow, revision, text) an editor opens: the flow of the URL at `?from=N` or as published; 404 otherwise."""
    flow_id = await _flow_id(request)
    try:
        revision, source = await source_of(request.app[DATABASE], flow_id, _revision(request.query.get("from")))
    except EditorRefused as refusal:
        raise web.HTTPNotFound(text=refused(request, refusal.key, 404).text, content_type="text/html") from None
    return flow_id, revision, source


@routes.post("/admin/flows/" + FLOW)
@require()
async def editor_post(request: web.Request) -> web.Response:
    """Check, preview or save the posted text; or take one turn of the simulator."""
    form = await read_staff_form(request)
    new = form.get("new") == "1"
    flow_id = await _flow_id(request, new=new)
    source = normalised(str(form.get("source", "")))
    do, base = str(form.get("do", "check")), _revision(str(form.get("base", ""))) or 0
    if "restart" in form:
        do = "restart"
    options: dict[str, Any] = {"plang": str(form.get("plang", "")), "channel": str(form.get("channel", "web")),
               "note": str(form.get("note", ""))[:500], "base": base, "new": new}
    if do == "save":
        who = current(request)
        assert who is not None
        try:
            revision = await save_draft(request.app[DATABASE], _schema(request), flow_id=flow_id, source=source,
                                        note=options["note"], who=who, now=_now())
        except EditorRefused as refusal:
            return editor_page(request, flow_id, source, error=refusal.key, status=400, **options)
        raise web.HTTPSeeOther(f"/admin/flows/{flow_id}/versions?saved={revision}")
    if do in ("simulate", "restart"):
        sim = {"state": str(form.get("sim", "")) if do == "simulate" else "",
               "reply": str(form.get("reply", ""))[:MAX_REPLY], "press": str(form.get("press", ""))[:4]}
        return editor_page(request, flow_id, source, sim=sim, **options)
    return editor_page(request, flow_id, source, checked=True, **options)


def editor_page(request: web.Request, flow_id: str, source: str, *, base: int = 0, note: str = "",
                plang: str = "", channel: str = "web", sim: dict[str, Any] | None = None, error: str | None = None,
                checked: bool = False, new: bool = False, status: int = 200) -> web.Response:
    """The editor page for a text: its problems, or its previews and a simulator turn."""
    flow, problems = check_source(flow_id, source, _schema(request))
    plang = plang if plang in ("vi", "en") else page_lang(request)
    channel = channel if channel in SIM_CHANNELS else "web"
    context: dict[str, Any] = {"flow_id": flow_id, "source": source, "base": base, "note": note, "plang": plang,
                     "channel": channel, "channels": SIM_CHANNELS, "problems": problems, "checked": checked,
                     "error": both(error) if error else None, "max_source": MAX_SOURCE, "csrf_header": CSRF_HEADER,
                     "new": new}
    context.update(previewed(request, flow, plang, channel, sim))
    if problems and status == 200 and checked:
        status = 400
    return staff_render(request, "admin_flow_edit.html", status=status, **context)


def previewed(request: web.Request, flow: Flow | None, plang: str, channel: str,
              sim: dict[str, Any] | None) -> dict[str, Any]:
    """A valid flow's previews per channel, its web screens and a simulator turn (none for an invalid one)."""
    if flow is None:
        return {}
    now, sim = _now(), sim or {}
    return {"previews": previews(flow, lang=plang, sms_price=request.app[SETTINGS].sms_segment_price),
            "screens": _screens(flow, plang, now),
            "sim": simulate(flow, state=sim.get("state", ""), reply=sim.get("reply", ""), press=sim.get("press", ""),
                            lang=plang, channel=channel, now=now)}


def _screens(flow: Flow, lang: str, now: datetime) -> dict[str, Any]:
    """Each question as the web survey shows it (bot/web/screens.py)."""
    return {step.id: screen_of(flow, preview_session(flow, step.id, lang, now), lang)
            for step in flow.steps if step.asks}


@routes.post("/admin/flows/" + FLOW + "/check")
@require()
async def check(request: web.Request) -> web.Response:
    """JSON for the page's script: `{"source": "…"}` in, `{"ok": bool, "problems": [{"line", "message", "vi"}]}`
    out (`message` in English, `vi` in Vietnamese)."""
    flow_id = await _flow_id(request, new=True)  # only checks a text: a new flow's too
    try:
        check_csrf(request, request.headers.get(CSRF_HEADER, ""))
        if request.content_length is None or request.content_length > MAX_FORM:
            raise FormRefused("too_big", 413)
        data = json.loads(await request.text())
        source = data["source"] if isinstance(data, dict) and isinstance(data.get("source"), str) else None
        if source is None:
            raise FormRefused("flows_bad_request", 400)
    except FormRefused as refusal:
        vi, en = both(refusal.key)
        return web.json_response({"error": {"code": refusal.key, "message": {"vi": vi, "en": en}}},
                                 status=refusal.status)
    except (ValueError, UnicodeDecodeError):
        vi, en = both("flows_bad_request")
        return web.json_response({"error": {"code": "flows_bad_request", "message": {"vi": vi, "en": en}}},
                                 status=400)
    _, problems = check_source(flow_id, normalised(source), _schema(request))
    return web.json_response({"ok": not problems, "problems": [_problem(p) for p in problems]},
                             headers={"Cache-Control": "no-store"})


def _problem(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line, "message": problem.message, "vi": problem.vi or problem.message}


@routes.get("/admin/flows/" + FLOW + "/versions", name="admin_flow_versions")
@require()
async def versions(request: web.Request) -> web.Response:
    """Every revision with who/when/note, publish and rollback buttons, and the diff picker."""
    flow_id = await _flow_id(request)
    current_revision, rows = await revisions(request.app[DATABASE], flow_id)
    saved = _revision(request.query.get("saved"))
    published = _revision(request.query.get("published"))
    return staff_render(request, "admin_flow_versions.html", flow_id=flow_id, rows=rows,
                        current=current_revision, saved=saved, published=published,
                        latest=rows[0].revision if rows else 0, when=_when)


def _when(at: datetime) -> str:
    """A stored instant as the local time an admin reads (stored naive values are UTC)."""
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


@routes.get("/admin/flows/" + FLOW + "/versions/{revision:[0-9]{1,8}}", name="admin_flow_revision")
@require()
async def revision_source(request: web.Request) -> web.Response:
    """The YAML text of one revision, read-only."""
    flow_id = await _flow_id(request)
    try:
        revision, source = await source_of(request.app[DATABASE], flow_id, int(request.match_info["revision"]))
    except EditorRefused as refusal:
        return refused(request, refusal.key, 404)
    return staff_render(request, "admin_flow_source.html", flow_id=flow_id, revision=revision, source=source)


@routes.get("/admin/flows/" + FLOW + "/diff", name="admin_flow_diff")
@require()
async def diff_page(request: web.Request) -> web.Response:
    """The lines that differ between two revisions (`?old=N&new=M`)."""
    flow_id = await _flow_id(request)
    db = request.app[DATABASE]
    current_revision, rows = await revisions(db, flow_id)
    old, new = _revision(request.query.get("old")), _revision(request.query.get("new"))
    old = current_revision if old is None else old
    new = (rows[0].revision if rows else 0) if new is None else new
    try:
        lines = await diff(db, flow_id, old, new)
    except EditorRefused as refusal:
        return refused(request, refusal.key, 404)
    return staff_render(request, "admin_flow_diff.html", flow_id=flow_id, rows=rows, old=old, new=new,
                        lines=lines, current=current_revision)


@routes.post("/admin/flows/" + FLOW + "/publish")
@require()
async def publish_post(request: web.Request) -> web.Response:
    """Publish (or roll back to) a revision; a scored change during a period asks first."""
    flow_id = await _flow_id(request)
    form = await read_staff_form(request)
    revision = _revision(str(form.get("revision", "")))
    if revision is None:
        return refused(request, "flows_bad_request", 400)
    who = signed_in_user(request)
    settings = request.app[SETTINGS]
    try:
        await publish(request.app[DATABASE], _schema(request), settings, flow_id=flow_id, revision=revision,
                      who=who, now=_now(), confirmed=form.get("confirm") == "1")
    except NeedsConfirmation as ask:
        return staff_render(request, "admin_flow_confirm.html", status=409, flow_id=flow_id,
                            revision=revision, period=ask.period, again="asked" in form)
    except EditorRefused as refusal:
        return refused(request, refusal.key, 409 if refusal.key == "flows_already_current" else 404)
    raise web.HTTPSeeOther(f"/admin/flows/{flow_id}/versions?published={revision}")
