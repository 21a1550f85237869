"""`/admin/settings`: one agency's settings (channels, contact hours, reminder, expiry, bands, reports, alerts).

Admins pick any agency, managers the agencies they see (another one by URL is 403). The form is read
and checked by bot.agency_form; nothing is stored while any field has a problem; bot.agency_config
writes only what changed, under the keys the scheduler and the reports read, and audits it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.office.agency_form import (
    MAX_BANDS,
    MAX_OFFICIAL,
    OFFICIAL_KEYS,
    PLAN_CHANNELS,
    PLAN_NONE,
    PLAN_SLOTS,
    read_settings_form,
)
from bot.office.agency_settings import current_values, save_settings
from bot.office.users import visible_agencies
from bot.web.auth import current, ensure_sees, read_staff_form, refused, require, signed_in_user, staff_render
from bot.web.keys import DATABASE, SETTINGS
from bot.web.texts import translate
from storage import Agency

routes = web.RouteTableDef()
RETENTION_FIELDS = ("retention_contact_days", "retention_comment_days", "retention_delivery_days")
TEXT_FIELDS = ("survey_delay_minutes", "reminder_hours", "survey_ttl_hours", "zalo_zns_template_id",
               "report_window", "report_cutoff_day", "alert_rule", "alert_days", "alert_telegram_chat", "alert_email",
               *RETENTION_FIELDS, "address", "phone", "email", *OFFICIAL_KEYS)


def _shown_values(values: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for the values in force."""
    alerts = values["alerts"]
    bands = [{"code": b["code"], "vi": b["name"]["vi"], "en": b["name"]["en"], "from": f"{float(b['from']):g}",
              "to": f"{float(b['to']):g}"} for b in values["rating_bands"]]
    shown = {k: str(values[k]) for k in ("survey_delay_minutes", "reminder_hours", "survey_ttl_hours",
                                         "zalo_zns_template_id", "report_window", "report_cutoff_day",
                                         *RETENTION_FIELDS, "address", "phone", "email", *OFFICIAL_KEYS)}
    return shown | {
        "plan": list(values["channel_plan"]), "contact_hours": ", ".join(values["contact_hours"]),
        "contact_days": {str(d) for d in values["contact_days"]}, "holidays": "\n".join(values["holidays"]),
        "sms_unicode": {None: "", True: "1", False: "0"}[values["sms_unicode"]], "bands": bands,
        "alert_rule": alerts["rule"], "alert_days": str(alerts["days"]),
        "alert_telegram_chat": alerts["telegram_chat"], "alert_email": alerts["email"],
    }


def _shown_form(form: dict[str, list[str]]) -> dict[str, Any]:
    """What the form shows again after a problem: what was typed."""
    def one(name: str) -> str:
        return (form.get(name) or [""])[0][:2000]
    bands = [{k: one(f"band_{i}_{k}")[:64] for k in ("code", "vi", "en", "from", "to")} for i in range(MAX_BANDS)]
    return {k: one(k) for k in TEXT_FIELDS} | {
        "plan": [one(f"plan_{i}") for i in range(1, PLAN_SLOTS + 1)], "contact_hours": one("contact_hours"),
        "contact_days": set(form.get("contact_days", [])), "holidays": one("holidays"),
        "sms_unicode": one("sms_unicode"), "bands": bands,
    }


async def chosen_agency(request: web.Request, code: str) -> tuple[Agency | None, list[Agency]]:
    """The agency asked for (the first visible one by default); 403 for one this user does not see."""
    who = signed_in_user(request)
    agencies = await visible_agencies(request.app[DATABASE], who)
    if code:
        chosen = next((a for a in agencies if a.code == code), None)
        if chosen is None:
            ensure_sees(request, -1)  # unknown or not this user's: the same 403, nothing told
        return chosen, agencies
    own = next((a for a in agencies if a.id == who.agency_id), None)
    return own or (agencies[0] if agencies else None), agencies


def _page(request: web.Request, agency: Agency | None, agencies: list[Agency], shown: dict[str, Any], *,
          status: int = 200, problems: dict[str, tuple[str, dict[str, Any]]] | None = None,
          done: str | None = None) -> web.Response:
    said = {k: (translate(key, "vi", **v), translate(key, "en", **v)) for k, (key, v) in (problems or {}).items()}
    bands = list(shown["bands"])
    bands += [{"code": "", "vi": "", "en": "", "from": "", "to": ""}] * (min(MAX_BANDS, len(bands) + 2) - len(bands))
    return staff_render(request, "admin_settings.html", status=status, agency=agency, agencies=agencies,
                        shown=shown | {"bands": bands[:MAX_BANDS]}, problems=said, done=done,
                        channels=(*PLAN_CHANNELS, PLAN_NONE), slots=PLAN_SLOTS, official_max=MAX_OFFICIAL,
                        summary=tuple(translate("admin_settings_not_saved", lang) for lang in ("vi", "en")))


@routes.get("/admin/settings", name="admin_settings")
@require("manager")
async def settings_page(request: web.Request) -> web.Response:
    """The settings form of one agency, with the values in force."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64])
    if agency is None:
        return refused(request, "forbidden", 403)
    done = {"saved": "admin_done_settings_saved", "nothing": "admin_done_nothing"}.get(request.query.get("done", ""))
    shown = _shown_values(current_values(agency.settings, request.app[SETTINGS]))
    return _page(request, agency, agencies, shown, done=done)


@routes.post("/admin/settings")
@require("manager")
async def settings_save(request: web.Request) -> web.Response:
    """Check the whole form; store the changes only when every field is right."""
    agency, agencies = await chosen_agency(request, request.query.get("agency", "")[:64] or "-")
    form = await read_staff_form(request, max_body=64 * 1024)
    who = current(request)
    assert who is not None and agency is not None
    raw = {k: [str(v) for v in form.getall(k)] for k in set(form.keys())}
    values, problems = read_settings_form(raw)
    if problems:
        return _page(request, agency, agencies, _shown_form(raw), status=400, problems=problems)
    changed = await save_settings(request.app[DATABASE], agency.id, values, settings=request.app[SETTINGS],
                                  actor=who.actor, now=datetime.now(timezone.utc))
    raise web.HTTPSeeOther(f"/admin/settings?agency={quote(agency.code)}&done={'saved' if changed else 'nothing'}")
