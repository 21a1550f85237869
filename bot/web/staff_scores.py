"""`/staff/scores` (indicator self-scores and appraisals) and `/staff/complaints` (the register of complaints).

Who may do what: a manager enters its own agency's self-scores; the controlling office appraises —
an admin, or a manager of a parent agency for the units it sees (never its own agency). Managers and
desk staff keep the register of the agencies they see. Every change goes through bot.office.scores
(checked, one transaction, audited); a bad form shows its problem in both languages, nothing stored.
"""

from __future__ import annotations

from datetime import datetime, timezone
from fractions import Fraction
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.common.errors import HailongError
from bot.office import scores as office
from bot.office.accounts import Principal
from bot.web.admin_settings import chosen_agency
from bot.web.auth import current, read_staff_form, refused, require, signed_in_user, staff_render
from bot.web.keys import DATABASE, SETTINGS
from bot.web.pages import page_lang
from reports import formats
from reports.periods import DEFAULT_TZ, Window, current_quarter
from storage import Agency
from survey_flows import load_schema

routes = web.RouteTableDef()
MAX_FORM = 16 * 1024


def _now() -> datetime:
    return datetime.now(timezone.utc)


def points_text(value: Fraction | None, lang: str) -> str:
    """1.83 as "1,83" (Vietnamese) or "1.83"; "—" for none."""
    if value is None:
        return "—"
    return formats.number(float(round(value, 2)), lang, 2).rstrip("0").rstrip(",.")


def may_enter(who: Principal, agency: Agency) -> tuple[str, ...]:
    """Which figures this user may enter for this agency: "self" (its own manager), "appraisal" (the office above)."""
    if who.role == "admin":
        return office.BY
    if who.role != "manager":
        return ()
    return ("self",) if agency.id == who.agency_id else ("appraisal",)


def _period(request: web.Request) -> str:
    today = _now().astimezone(ZoneInfo(DEFAULT_TZ)).date()
    settings = request.app[SETTINGS]
    return (request.query.get("period", "")[:16].strip().upper()
            or current_quarter(today, Window(settings.report_window), settings.report_cutoff_day))


async def _scores_page(request: web.Request, agency: Agency, agencies: list[Agency], period: str, *,
                       status: int = 200, error: tuple[str, str] | None = None, typed: dict[str, str] | None = None,
                       done: str | None = None) -> web.Response:
    who = signed_in_user(request)
    db = request.app[DATABASE]
    try:
        score, chosen = await office.agency_score_of(db, request.app[SETTINGS], agency=agency.id, period=period,
                                                     now=_now())
    except HailongError as exc:
        return staff_render(request, "staff_scores.html", status=400, agency=agency, agencies=agencies,
                            period=period, score=None, error=(exc.vi, exc.en), kinds=(), indicators=(),
                            typed={}, done=None, names={})
    names = {i.id: i.name for i in load_schema().indicators}
    lang = page_lang(request)
    return staff_render(request, "staff_scores.html", status=status, agency=agency, agencies=agencies,
                        period=chosen.name, window=chosen, score=score, error=error, kinds=may_enter(who, agency),
                        indicators=office.enterable(), typed=typed or {}, done=done, names=names,
                        fmt_points=lambda value: points_text(value, lang))


@routes.get("/staff/scores", name="staff_scores")
@require("manager", "viewer")
async def scores_page(request: web.Request) -> web.Response:
    """An agency's total for a period, indicator by indicator, and the form to enter 5, 6 and 9."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64])
    if agency is None:
        return refused(request, "forbidden", 403)
    done = "scores_saved" if request.query.get("done") == "saved" else None
    return await _scores_page(request, agency, agencies, _period(request), done=done)


@routes.post("/staff/scores")
@require("manager")
async def scores_save(request: web.Request) -> web.Response:
    """Record one indicator's self-score or appraisal with its note."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64] or "-")
    form = await read_staff_form(request, max_body=MAX_FORM)
    who = current(request)
    assert who is not None and agency is not None
    typed = {k: str(form.get(k, ""))[:500] for k in ("indicator", "points", "by", "note")}
    period = str(form.get("period", ""))[:16] or _period(request)
    if typed["by"] not in may_enter(who, agency):
        return refused(request, "forbidden", 403)
    try:
        indicator = int(typed["indicator"]) if typed["indicator"].isdigit() else -1
        await office.set_score(request.app[DATABASE], agency=agency.id, period=period, indicator=indicator,
                               points=typed["points"], by=typed["by"], note=typed["note"], actor=who.actor,
                               now=_now())
    except HailongError as exc:
        return await _scores_page(request, agency, agencies, period, status=400, error=(exc.vi, exc.en), typed=typed)
    raise web.HTTPSeeOther("/staff/scores?" + urlencode({"agency": agency.code, "period": period.strip().upper(),
                                                         "done": "saved"}))


async def _register_page(request: web.Request, agency: Agency, agencies: list[Agency], *, status: int = 200,
                         error: tuple[str, str] | None = None, typed: dict[str, str] | None = None,
                         done: str | None = None) -> web.Response:
    rows = await office.list_complaints(request.app[DATABASE], agency=agency.id)
    return staff_render(request, "staff_complaints.html", status=status, agency=agency, agencies=agencies,
                        rows=rows, error=error, typed=typed or {}, done=done)


@routes.get("/staff/complaints", name="staff_complaints")
@require("manager", "staff", "viewer")
async def complaints_page(request: web.Request) -> web.Response:
    """The register of one agency: every entry with its dates, and the forms to add and record."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64])
    if agency is None:
        return refused(request, "forbidden", 403)
    done = {"added": "complaints_added", "changed": "complaints_changed"}.get(request.query.get("done", ""))
    return await _register_page(request, agency, agencies, done=done)


@routes.post("/staff/complaints")
@require("manager", "staff")
async def complaints_add(request: web.Request) -> web.Response:
    """Open a register entry."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64] or "-")
    form = await read_staff_form(request, max_body=MAX_FORM)
    who = current(request)
    assert who is not None and agency is not None
    typed = {k: str(form.get(k, ""))[:500] for k in ("received_on", "due_on", "dossier_code", "note")}
    entry = office.ComplaintIn(typed["received_on"], typed["due_on"], typed["dossier_code"][:64],
                               about_conduct=form.get("about_conduct") == "1", note=typed["note"])
    try:
        await office.add_complaint(request.app[DATABASE], agency=agency.id, entry=entry, actor=who.actor, now=_now())
    except HailongError as exc:
        return await _register_page(request, agency, agencies, status=400, error=(exc.vi, exc.en), typed=typed)
    raise web.HTTPSeeOther("/staff/complaints?" + urlencode({"agency": agency.code, "done": "added"}))


@routes.post("/staff/complaints/{code}")
@require("manager", "staff")
async def complaints_change(request: web.Request) -> web.Response:
    """Record on an entry: handled, protracted, verified untrue or confirmed (with the day and a note)."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64] or "-")
    form = await read_staff_form(request, max_body=MAX_FORM)
    who = current(request)
    assert who is not None and agency is not None
    try:
        await office.change_complaint(request.app[DATABASE], request.match_info["code"][:32],
                                      action=str(form.get("action", ""))[:16], on=str(form.get("on", ""))[:32],
                                      note=str(form.get("note", ""))[:500], actor=who.actor, now=_now(),
                                      agency_ids=frozenset({agency.id}))
    except HailongError as exc:
        return await _register_page(request, agency, agencies, status=400, error=(exc.vi, exc.en))
    raise web.HTTPSeeOther("/staff/complaints?" + urlencode({"agency": agency.code, "done": "changed"}))
