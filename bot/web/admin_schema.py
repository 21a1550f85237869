"""Scoring schema versions at /admin/schema (admin only): the versions with their effective dates,
and a form to paste or upload a new one, check it (problems by line, Vietnamese first) and load it.

The same rules as `hailong schema check|load` (bot/office/schema_versions.py); a load is audited.
Works without JavaScript: the form posts the whole text and the page comes back with the findings.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.web_request import FileField

from bot.office.schema_versions import (
    Checked,
    SchemaRefused,
    check_version,
    load_version,
    today_in_vietnam,
    version_lines,
)
from bot.web.auth import current, read_staff_form, require, staff_render
from bot.web.keys import DATABASE
from bot.web.texts import translate
from reports import formats
from reports.periods import DEFAULT_TZ
from survey_flows.schema_loader import schema_template_path

routes = web.RouteTableDef()
LOCAL = ZoneInfo(DEFAULT_TZ)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _when(at: datetime) -> str:
    return at.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


async def _page(request: web.Request, *, source: str = "", status: int = 200, **context: Any) -> web.Response:
    now = _now()
    rows = await version_lines(request.app[DATABASE], today=today_in_vietnam(now))
    loaded, unchanged = request.query.get("loaded", ""), request.query.get("unchanged", "")
    return staff_render(request, "admin_schema.html", status=status, rows=rows, source=source, fmt=formats,
                        when=_when, today=today_in_vietnam(now),
                        loaded=loaded if any(r.version == loaded for r in rows) else "",
                        unchanged=unchanged if any(r.version == unchanged for r in rows) else "",
                        template=schema_template_path().name, **context)


@routes.get("/admin/schema", name="admin_schema")
@require()
async def schema_page(request: web.Request) -> web.Response:
    """Every version, the one in force today marked, and the form for a new one."""
    return await _page(request)


@routes.get("/admin/schema/template.yaml", name="admin_schema_template")
@require()
async def template(request: web.Request) -> web.Response:
    """The commented template to write the next version from."""
    return web.Response(text=schema_template_path().read_text(encoding="utf-8"), content_type="text/plain",
                        charset="utf-8", headers={"Content-Disposition": 'attachment; filename="schema-template.yaml"'})


def _source(form: Any) -> str | None:
    """The uploaded file's text when one was chosen, else the pasted text; None when not UTF-8."""
    upload = form.get("file")
    if isinstance(upload, FileField) and upload.filename:
        try:
            return str(upload.file.read().decode("utf-8"))
        except UnicodeDecodeError:
            return None
    return str(form.get("source", "")).replace("\r\n", "\n")


def _pair(key: str, **values: object) -> tuple[str, str]:
    return translate(key, "vi", **values), translate(key, "en", **values)


@routes.post("/admin/schema")
@require()
async def schema_post(request: web.Request) -> web.Response:
    """`do=check`: the findings, nothing stored; `do=load`: check, store and audit, then back to the list."""
    form = await read_staff_form(request)
    source = _source(form)
    if source is None:
        return await _page(request, status=400, error=_pair("schema_unreadable", file="schema.yaml"))
    if not source.strip():
        return await _page(request, status=400, error=_pair("schema_empty"))
    db, name = request.app[DATABASE], "schema.yaml"
    try:
        if form.get("do") == "load":
            who = current(request)
            assert who is not None
            checked: Checked = await load_version(db, source, name, actor=who.actor, now=_now())
            asked = "unchanged" if checked.unchanged else "loaded"
            raise web.HTTPSeeOther(f"/admin/schema?{urlencode({asked: checked.schema.version})}")
        checked = await check_version(db, source, name)
    except SchemaRefused as refusal:
        return await _page(request, source=source, status=400, error=_pair(refusal.key, **refusal.values),
                           problems=refusal.problems)
    since = checked.schema.effective_from
    key = "schema_already" if checked.unchanged else "schema_valid"
    return await _page(request, source=source, ok=_pair(key, version=checked.schema.version,
                                                        day=formats.day(since) if since else "…"))
