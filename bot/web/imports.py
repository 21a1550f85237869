"""Dossier imports for managers: upload the one-stop system's CSV/XLSX export → preview (nothing
written) → "Import" → progress (large files, a page that refreshes itself) → result.

The upload is streamed to var/imports/<random id>/ with its size counted as it arrives (20 MB at
most); the multipart form's CSRF field is checked before anything is previewed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from aiohttp import BodyPartReader, web

from bot.office.uploads import (
    BACKGROUND_ROWS,
    MAX_UPLOAD,
    Upload,
    UploadRefused,
    find_upload,
    new_upload,
    preview,
    run_import,
)
from bot.web.auth import check_csrf, read_staff_form, refused, require, signed_in_user, staff_render
from bot.web.keys import DATABASE
from bot.web.pages import CSRF_FIELD, FormRefused, page_lang
from bot.web.texts import translate
from storage import Database

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
DRAIN_LIMIT = 4 * MAX_UPLOAD  # past this an oversized upload is cut off rather than read to its end
RUNNING = web.AppKey("import_tasks", set[asyncio.Task[None]])
STATUS_OF = {"too_big": 413, "wrong_type": 415, "unreadable": 415, "empty": 400, "no_file": 400}
routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """Background imports of this app, stopped (and marked interrupted) when it shuts down."""
    app[RUNNING] = set()
    app.on_shutdown.append(_stop_imports)


async def _stop_imports(app: web.Application) -> None:
    running: set[asyncio.Task[None]] = app[RUNNING]
    for task in list(running):
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


def _form(request: web.Request, *, refusal: UploadRefused | None = None, status: int = 200) -> web.Response:
    error: tuple[str, str] | None = None
    if refusal is not None:
        error = (refusal.vi, refusal.en) if refusal.reason == "unreadable" else None
        error = error or _both(f"import_refused_{refusal.reason}")
    return staff_render(request, "staff_imports.html", status=status, error=error, max_mb=MAX_UPLOAD // 2**20)


def _both(key: str) -> tuple[str, str]:
    return translate(key, "vi", mb=MAX_UPLOAD // 2**20), translate(key, "en", mb=MAX_UPLOAD // 2**20)


def _path(request: web.Request, upload_id: str) -> str:
    return f"/staff/imports/{upload_id}" + ("?lang=en" if page_lang(request) == "en" else "")


@routes.get("/staff/imports", name="staff_imports")
@require("manager")
async def imports_page(request: web.Request) -> web.Response:
    """The upload form and what the file must hold."""
    return _form(request)


@routes.post("/staff/imports")
@require("manager")
async def upload_post(request: web.Request) -> web.Response:
    """Keep the uploaded file, check it, and show the preview (nothing written to the database)."""
    who = signed_in_user(request)
    if request.content_length is not None and request.content_length > DRAIN_LIMIT:
        return _form(request, refusal=UploadRefused("too_big"), status=413)
    if not request.content_type.startswith("multipart/"):
        return _form(request, refusal=UploadRefused("no_file"), status=400)
    try:
        csrf, upload, problem = await _receive(request, who.user_id)
    except ValueError:  # a broken multipart body
        return _form(request, refusal=UploadRefused("no_file"), status=400)
    try:
        check_csrf(request, csrf)
    except FormRefused as bad_form:
        if upload is not None:
            upload.discard()
        return refused(request, bad_form.key, bad_form.status)
    if problem is not None or upload is None:
        if upload is not None:
            upload.discard()
        refusal = UploadRefused(problem or "no_file")
        return _form(request, refusal=refusal, status=STATUS_OF[refusal.reason])
    try:
        await preview(request.app[DATABASE], upload, who.agencies)
    except UploadRefused as refusal:
        upload.discard()
        return _form(request, refusal=refusal, status=STATUS_OF[refusal.reason])
    raise web.HTTPSeeOther(_path(request, upload.id))


async def _receive(request: web.Request, user_id: int) -> tuple[str, Upload | None, str | None]:
    """(CSRF token, the saved upload, why it was not kept) from the multipart body, read to its end."""
    reader = await request.multipart()
    csrf, upload, problem, size = "", None, None, 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            await part.release()
            continue
        if part.name == CSRF_FIELD:
            csrf = (await part.read_chunk(512)).decode("utf-8", "replace")
            await part.release()
        elif part.name == "file" and upload is None and problem is None and part.filename:
            try:
                upload = new_upload(user_id, part.filename)
            except UploadRefused as refusal:
                problem = refusal.reason
                await part.release()
                continue
            with upload.data.open("wb") as out:
                while chunk := await part.read_chunk(CHUNK):
                    size += len(chunk)
                    if size > MAX_UPLOAD:
                        problem = "too_big"
                        break
                    out.write(chunk)
            if problem == "too_big":
                await _drain(part, size)
        else:
            await part.release()
    return csrf, upload, problem


async def _drain(part: BodyPartReader, size: int) -> None:
    """Read and drop the rest of an oversized file, so the browser gets the answer (up to a limit)."""
    while size < DRAIN_LIMIT and (chunk := await part.read_chunk(CHUNK)):
        size += len(chunk)


async def _upload(request: web.Request) -> Upload | web.Response:
    who = signed_in_user(request)
    upload = find_upload(request.match_info["id"], who.user_id)
    return upload if upload is not None else refused(request, "import_unknown", 404)


@routes.get("/staff/imports/{id}", name="staff_import")
@require("manager")
async def import_page(request: web.Request) -> web.Response:
    """The preview, the progress (refreshing itself every 2 seconds) or the result of an upload."""
    found = await _upload(request)
    if isinstance(found, web.Response):
        return found
    state = found.state()
    if state.get("state") not in ("preview", "running", "done", "interrupted", "failed"):
        return refused(request, "import_unknown", 404)
    refresh = "2" if state["state"] == "running" else None
    return staff_render(request, "staff_import.html", upload=found, s=state, refresh=refresh,
                        background=BACKGROUND_ROWS, both=lambda key: (translate(key, "vi"), translate(key, "en")))


@routes.post("/staff/imports/{id}/confirm")
@require("manager")
async def confirm_post(request: web.Request) -> web.Response:
    """Run the import once (a second click, or a second process, finds it claimed and just looks)."""
    await read_staff_form(request, max_body=4096)
    found = await _upload(request)
    if isinstance(found, web.Response):
        return found
    who = signed_in_user(request)
    state = found.state()
    if state.get("state") != "preview" or not found.claim():
        raise web.HTTPSeeOther(_path(request, found.id))
    found.save_state(**{**state, "state": "running", "done": 0})
    work = _import(request.app[DATABASE], found, who.agencies, who.actor)
    if int(state.get("total", 0)) > BACKGROUND_ROWS:
        task = asyncio.create_task(work, name=f"import {found.id}")
        request.app[RUNNING].add(task)
        task.add_done_callback(request.app[RUNNING].discard)
    else:
        await work
    raise web.HTTPSeeOther(_path(request, found.id))


async def _import(db: Database, upload: Upload, agencies: frozenset[int] | None, actor: str) -> None:
    """The import itself; whatever stops it is written to the state (rows written so far stay)."""
    try:
        await run_import(db, upload, agencies, actor=actor, now=datetime.now(timezone.utc))
    except asyncio.CancelledError:
        upload.save_state(**{**upload.state(), "state": "interrupted"})
        raise
    except UploadRefused as refusal:
        upload.save_state(**{**upload.state(), "state": "failed", "reason": [refusal.vi, refusal.en]})
    except Exception:  # noqa: BLE001 - recorded for the page; the rows written so far are kept
        log.exception("import %s failed", upload.id)
        upload.save_state(**{**upload.state(), "state": "failed"})


@routes.post("/staff/imports/{id}/cancel")
@require("manager")
async def cancel_post(request: web.Request) -> web.Response:
    """Drop a previewed upload without importing it."""
    await read_staff_form(request, max_body=4096)
    found = await _upload(request)
    if isinstance(found, web.Response):
        return found
    if found.state().get("state") == "preview" and found.claim():
        found.discard()
    raise web.HTTPSeeOther("/staff/imports" + ("?lang=en" if page_lang(request) == "en" else ""))
