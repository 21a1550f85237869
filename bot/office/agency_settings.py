"""An agency's own settings as the settings page edits them: the values in force, and saving a change.

Every value lives under the key the rest of the code already reads in `agencies.settings`
(unknown keys such as `api_keys` or `kiosk_desks` are never touched):

- scheduler (bot.schedule_rules.ContactRules): `channel_plan`, `contact_hours`, `contact_days`,
  `holidays`, `survey_delay_minutes`, `reminder_hours`;
- expiry: `survey_ttl_hours` (bot.surveys, bot.schedule_bulk; the server's HAILONG_SURVEY_TTL_HOURS otherwise);
- SMS: `sms_unicode` (None: the server's setting); Zalo: `zalo_zns_template_id`;
- reports: `rating_bands` (the schema's band form), `report_window`, `report_cutoff_day`
  (read by `report_rules_of`), `alerts` (reports.alerts.AlertRule: rule, days, telegram_chat, email);
- retention (bot.conversation.retention): `retention_contact_days`, `retention_comment_days`,
  `retention_delivery_days`;
- the agency's public contact, shown on the public results page (`public_contact`): `address`,
  `phone`, `email` (each optional, "" when not set);
- the official report (reports.official): `report_form_code`, `report_receiving_unit` (the controlling
  office the report goes to), `report_place` (the place of its date line); "" when not set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.common.contact_rules import DEFAULT_HOURS, DEFAULT_PLAN, DEFAULT_REMINDER_HOURS
from bot.common.settings import Settings
from bot.conversation.alerts import DEFAULT_DAYS, DEFAULT_RULE
from bot.conversation.retention import DEFAULTS as RETENTION_DEFAULTS
from reports.official import SETTING_KEYS as OFFICIAL_KEYS
from reports.periods import Window
from storage import Database, audit, get_agency, update_agency_settings
from survey_flows import Band, load_schema
from survey_flows.i18n import Localized

#: Keys the settings page owns, in the order of the page.
KEYS = ("channel_plan", "contact_hours", "contact_days", "holidays", "survey_delay_minutes", "reminder_hours",
        "survey_ttl_hours", "zalo_zns_template_id", "sms_unicode", "rating_bands", "report_window",
        "report_cutoff_day", "alerts", "retention_contact_days", "retention_comment_days", "retention_delivery_days",
        "address", "phone", "email", *OFFICIAL_KEYS)
#: The agency's own contact for citizens: public, unlike the alert recipients.
CONTACT_KEYS = ("address", "phone", "email")
#: Alert recipients are addresses of people: the audit records that they changed, not what to.
PRIVATE_ALERT_KEYS = ("telegram_chat", "email")


def band_dicts(bands: tuple[Band, ...]) -> list[dict[str, Any]]:
    """Bands in their stored form: ``{"code", "from", "to", "name": {"vi", "en"}}``."""
    return [{"code": b.code, "from": b.low, "to": b.high, "name": {"vi": b.name.get("vi"), "en": b.name.get("en")}}
            for b in bands]


def current_values(stored: dict[str, Any] | None, settings: Settings) -> dict[str, Any]:
    """The value of every key the page owns as the code reads it now (defaults filled in)."""
    stored = stored or {}
    alerts = stored.get("alerts") or {}
    sms = stored.get("sms_unicode")
    return {
        "channel_plan": list(stored.get("channel_plan") or DEFAULT_PLAN),
        "contact_hours": list(stored.get("contact_hours") or DEFAULT_HOURS),
        "contact_days": sorted(int(d) for d in stored.get("contact_days") or range(1, 6)),
        "holidays": sorted(stored.get("holidays") or ()),
        "survey_delay_minutes": int(stored.get("survey_delay_minutes", 0)),
        "reminder_hours": int(float(stored.get("reminder_hours", DEFAULT_REMINDER_HOURS))),
        "survey_ttl_hours": int(stored.get("survey_ttl_hours") or settings.survey_ttl_hours),
        "zalo_zns_template_id": str(stored.get("zalo_zns_template_id") or ""),
        "sms_unicode": None if sms is None else bool(sms),
        "rating_bands": list(stored.get("rating_bands") or band_dicts(load_schema().bands)),
        "report_window": str(stored.get("report_window") or settings.report_window),
        "report_cutoff_day": int(stored.get("report_cutoff_day") or settings.report_cutoff_day),
        "alerts": {"rule": str(alerts.get("rule") or DEFAULT_RULE), "days": int(alerts.get("days") or DEFAULT_DAYS),
                   "telegram_chat": str(alerts.get("telegram_chat") or ""), "email": str(alerts.get("email") or "")},
    } | {k: int(stored.get(k) or v) for k, v in RETENTION_DEFAULTS.items()} | {
        k: str(stored.get(k) or "") for k in (*CONTACT_KEYS, *OFFICIAL_KEYS)}


def public_contact(stored: dict[str, Any] | None) -> dict[str, str]:
    """The address, phone and e-mail an agency publishes (only those set), and `tel`: the phone as a
    tel: link dials it (digits and a leading +)."""
    contact = {k: str((stored or {}).get(k) or "").strip() for k in CONTACT_KEYS}
    contact = {k: v for k, v in contact.items() if v}
    if "phone" in contact:
        contact["tel"] = ("+" if contact["phone"].startswith("+") else "") + "".join(
            c for c in contact["phone"] if c.isdigit())
    return contact


def report_rules_of(stored: dict[str, Any] | None, settings: Settings) -> tuple[Window, int, tuple[Band, ...]]:
    """An agency's report window, cut-off day and rating bands (the server's and the schema's otherwise)."""
    values = current_values(stored, settings)
    bands = tuple(Band(str(b["code"]), float(b["from"]), float(b["to"]), Localized.of(b["name"]))
                  for b in values["rating_bands"])
    return Window(values["report_window"]), values["report_cutoff_day"], bands


def _shown(key: str, value: Any) -> Any:
    """A value as the audit may record it."""
    if key == "alerts" and isinstance(value, dict):
        return {k: ("***" if k in PRIVATE_ALERT_KEYS and v else v) for k, v in value.items()}
    return value


async def save_settings(db: Database, agency_id: int, values: dict[str, Any], *, settings: Settings, actor: str,
                        now: datetime) -> list[str]:
    """Write the keys whose value differs from the one in force; audit them (before/after); the changed keys."""
    async with db.transaction() as s:
        agency = await get_agency(s, agency_id)
        if agency is None:
            return []
        stored = dict(agency.settings or {})
        before = current_values(stored, settings)
        changes = {k: v for k, v in values.items() if k in KEYS and v != before[k]}
        if "alerts" in changes:  # keep sub-keys this page does not edit
            changes["alerts"] = {**(stored.get("alerts") or {}), **changes["alerts"]}
        if not changes:
            return []
        await update_agency_settings(s, agency_id, changes)
        detail = {k: {"before": _shown(k, before[k]), "after": _shown(k, values[k])} for k in sorted(changes)}
        await audit(s, actor=actor, action="settings.update", subject=f"agency:{agency.code}", now=now,
                    detail={"changed": detail})
    return sorted(changes)
