"""The flow editor's form at /admin/flows/{id}/form and new flows at /admin/flows/new (admin only).

The form shows a flow's questions with menus (kind, scale, field, condition) and the texts per
language and channel; every button posts the whole form, the page comes back with the new text's
problems (each with its place), the previews and the simulator. The text travels in the page (a
hidden field): nothing is stored until "Save draft", which goes through the same draft path as the
YAML view (bot/office/flow_editor.py). web/static/flowform.js adds live counts and shows only the
inputs of the chosen kind; the page works without it.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.conversation.flows import check_source
from bot.office.flow_editor import EditorRefused, exists, list_flows, normalised, save_draft, source_of
from bot.office.flow_form import FormUnusable, apply, form_of, new_flow, parse, place_of
from bot.office.flow_preview import MAX_REPLY, SIM_CHANNELS
from bot.web.auth import current, read_staff_form, require, staff_render
from bot.web.flows import FLOW, NEW_ID, RESERVED_IDS, _flow_id, _now, _revision, _schema, editor_page, opened, previewed
from bot.web.keys import DATABASE
from bot.web.pages import page_lang
from bot.web.texts import both, translate
from channels.sms import GSM7_BASIC, GSM7_EXTENSION, size_of
from survey_flows import Problem

routes = web.RouteTableDef()
GSM_BASIC, GSM_EXTENSION = json.dumps(sorted(GSM7_BASIC)), json.dumps(sorted(GSM7_EXTENSION))  # for the counts' script
PLACE_KEYS = frozenset({"id", "kind", "scale", "options", "writes", "min", "max", "yes", "no", "optional", "when",
                        "text", "screen", "sms"})


@routes.get("/admin/flows/new", name="admin_flow_new")
@require()
async def new_page(request: web.Request) -> web.Response:
    """The form that names a new flow and chooses what it starts from."""
    return await _new(request)


async def _new(request: web.Request, *, error: str | None = None, values: dict[str, str] | None = None,
               status: int = 200) -> web.Response:
    flows = await list_flows(request.app[DATABASE], _schema(request))
    return staff_render(request, "admin_flow_new.html", status=status, flows=flows, values=values or {},
                        error=both(error) if error else None)


@routes.post("/admin/flows/new")
@require()
async def new_post(request: web.Request) -> web.Response:
    """A new flow's first text, shown in the form (nothing is stored before "Save draft")."""
    form = await read_staff_form(request)
    values = {key: str(form.get(key, "")).strip()[:200] for key in ("flow_id", "name_vi", "name_en", "start")}
    flow_id, start = values["flow_id"], values["start"]
    if not NEW_ID.fullmatch(flow_id) or flow_id in RESERVED_IDS:
        return await _new(request, error="flowform_bad_id", values=values, status=400)
    if await exists(request.app[DATABASE], flow_id):
        return await _new(request, error="flowform_id_taken", values=values, status=409)
    if not values["name_vi"]:
        return await _new(request, error="flowform_name_missing", values=values, status=400)
    copy_of = None
    if start:
        if not await exists(request.app[DATABASE], start):
            return await _new(request, error="flowform_bad_start", values=values, status=400)
        _, copy_of = await source_of(request.app[DATABASE], start)
    source = new_flow(flow_id, {"vi": values["name_vi"], "en": values["name_en"]}, copy_of)
    return _form_page(request, flow_id, source, base=0, new=True)


@routes.get("/admin/flows/" + FLOW + "/form", name="admin_flow_form")
@require()
async def form_page(request: web.Request) -> web.Response:
    """The form, starting from the published text (or `?from=N`)."""
    flow_id, revision, source = await opened(request)
    return _form_page(request, flow_id, source, base=revision)


@routes.post("/admin/flows/" + FLOW + "/form")
@require()
async def form_post(request: web.Request) -> web.Response:
    """Apply the posted form (and a move, delete or add), then show it, simulate, or save a draft."""
    form = await read_staff_form(request)
    new = form.get("new") == "1"
    flow_id = await _flow_id(request, new=new)
    base_source = normalised(str(form.get("source", "")))
    do = str(form.get("do", "apply"))[:20]
    options: dict[str, Any] = {"plang": str(form.get("plang", "")), "channel": str(form.get("channel", "web")),
                               "note": str(form.get("note", ""))[:500], "base": _revision(str(form.get("base", ""))) or 0,
                               "new": new}
    if "steps" in form:
        try:
            source = normalised(apply(base_source, form, _schema(request), do))
        except FormUnusable:
            return _form_page(request, flow_id, base_source, error="flowform_unusable", status=400, **options)
    else:
        source = base_source
    if do == "yaml":
        return editor_page(request, flow_id, source, **options)
    if do == "save":
        who = current(request)
        assert who is not None
        if new and await exists(request.app[DATABASE], flow_id):
            return _form_page(request, flow_id, source, error="flowform_id_taken", status=409, **options)
        try:
            revision = await save_draft(request.app[DATABASE], _schema(request), flow_id=flow_id, source=source,
                                        note=options["note"], who=who, now=_now())
        except EditorRefused as refusal:
            return _form_page(request, flow_id, source, error=refusal.key, status=400, checked=True, **options)
        raise web.HTTPSeeOther(f"/admin/flows/{flow_id}/versions?saved={revision}")
    sim = None
    if do in ("simulate", "restart") or "restart" in form:
        sim = {"state": str(form.get("sim", "")) if do == "simulate" and "restart" not in form else "",
               "reply": str(form.get("reply", ""))[:MAX_REPLY], "press": str(form.get("press", ""))[:4]}
    return _form_page(request, flow_id, source, sim=sim, checked=True, **options)


def _form_page(request: web.Request, flow_id: str, source: str, *, base: int = 0, note: str = "", plang: str = "",
               channel: str = "web", sim: dict[str, Any] | None = None, error: str | None = None,
               checked: bool = False, new: bool = False, status: int = 200) -> web.Response:
    """The form for a text, with its problems (and where), previews and a simulator turn."""
    schema = _schema(request)
    lang = page_lang(request)
    flow, problems = check_source(flow_id, source, schema)
    plang = plang if plang in ("vi", "en") else lang
    channel = channel if channel in SIM_CHANNELS else "web"
    form = form_of(source, schema, lang)
    context: dict[str, Any] = {
        "flow_id": flow_id, "source": source, "base": base, "note": note, "plang": plang, "channel": channel,
        "channels": SIM_CHANNELS, "form": form, "problems": placed(source, problems), "checked": checked,
        "error": both(error) if error else None, "new": new, "sizes": _sizes(form, lang),
        "sim_action": f"/admin/flows/{flow_id}/form", "gsm_basic": GSM_BASIC, "gsm_extension": GSM_EXTENSION,
    }
    context.update(previewed(request, flow, plang, channel, sim))
    if problems and status == 200 and checked:
        status = 400
    return staff_render(request, "admin_flow_form.html", status=status, **context)


def placed(source: str, problems: list[Problem]) -> list[dict[str, Any]]:
    """Each problem in Vietnamese and English with the place it refers to: the question's number and
    id and the input (or the flow's header), and its line in the YAML view."""
    located = parse(source)
    steps = located.data.get("steps") if located is not None and isinstance(located.data, dict) else None
    steps = steps if isinstance(steps, list) and all(isinstance(s, dict) for s in steps) else None
    out = []
    for problem in problems:
        where = place_of(located, problem.line, steps)
        place = {}
        for lang in ("vi", "en"):
            if where is None:
                place[lang] = translate("flowform_place_header", lang, line=problem.line)
                continue
            number, step_id, key = where
            text = translate("flowform_place_step", lang, n=number, id=step_id or "?")
            if key in PLACE_KEYS:
                text += " · " + translate(f"flowform_field_{key}", lang)
            place[lang] = text
        out.append({"line": problem.line, "step": where[0] if where else 0, "place": place,
                    "vi": problem.vi or problem.message, "en": problem.message})
    return out


def _sizes(form: Any, lang: str) -> dict[str, str]:
    """The length (and for SMS texts the encoding and segments) of every text input, as first shown."""
    out: dict[str, str] = {}
    if form is None:
        return out
    for step in form.steps:
        for variant, langs in step.texts.items():
            for lang, text in langs.items():
                key = f"s{step.index}.{variant}.{lang}"
                if variant == "sms":
                    size = size_of(text)
                    out[key] = translate("flowform_count_sms", lang, chars=len(text),
                                         encoding=str(size.encoding), segments=size.segments)
                else:
                    out[key] = translate("flowform_count", lang, chars=len(text))
    return out

