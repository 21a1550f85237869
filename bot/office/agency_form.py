"""The agency settings form read and checked: the values to store, or per-field problems (nothing stored).

Pure: the form arrives as ``{name: [values]}``; problems are ``{field: (text key, values)}`` that the page
shows in Vietnamese and English next to the field.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from math import ceil
from typing import Any

from bot.common.contact_rules import ContactRules
from bot.conversation.alerts import parse_conditions
from bot.conversation.retention import BOUNDS as RETENTION_BOUNDS
from bot.conversation.retention import DEFAULTS as RETENTION_DEFAULTS
from channels.registry import names
from reports.errors import ReportError
from reports.official import FORM_CODE, PLACE, RECEIVING_UNIT
from reports.official import SETTING_KEYS as OFFICIAL_SETTING_KEYS
from survey_flows import load_schema
from survey_flows.schema_loader import tenths

#: Channels an invitation may go out on (channels.contract names; e-mail only reaches supervisors).
#: The channels an invitation can take, in the order the form offers them (the registry's).
PLAN_CHANNELS = names(lambda spec: spec.invites)
PLAN_NONE = "none"  # no invitation at all: surveys only at the desk, kiosk or by link
PLAN_SLOTS = 4
MAX_BANDS = 8
WINDOW = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$")
TEMPLATE_ID = re.compile(r"^[0-9]{1,20}$")
TELEGRAM_CHAT = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
EMAIL = re.compile(r"^[^@\s,;]{1,64}@[^@\s,;]{1,190}\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{4,28}[0-9]$")  # an office number as people write it: 028 3930 1234
MAX_ADDRESS = 300
#: The official report's settings (reports.official) and their longest values.
OFFICIAL_KEYS = OFFICIAL_SETTING_KEYS
MAX_OFFICIAL = {FORM_CODE: 40, RECEIVING_UNIT: 200, PLACE: 80}
Problems = dict[str, tuple[str, dict[str, Any]]]
Form = dict[str, list[str]]


def _one(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _int(form: Form, name: str, low: int, high: int, problems: Problems) -> int | None:
    text = _one(form, name)
    if not re.fullmatch(r"[0-9]{1,6}", text) or not low <= int(text) <= high:
        problems[name] = ("admin_err_number", {"low": low, "high": high})
        return None
    return int(text)


def _plan(form: Form, problems: Problems) -> list[str]:
    chosen = [v for v in (_one(form, f"plan_{i}") for i in range(1, PLAN_SLOTS + 1)) if v]
    if any(c not in (*PLAN_CHANNELS, PLAN_NONE) for c in chosen) or not chosen:
        problems["channel_plan"] = ("admin_err_plan_empty", {})
    elif len(set(chosen)) != len(chosen):
        problems["channel_plan"] = ("admin_err_plan_twice", {})
    elif PLAN_NONE in chosen and len(chosen) > 1:
        problems["channel_plan"] = ("admin_err_plan_none", {})
    return chosen


def _hours(form: Form, problems: Problems) -> list[str]:
    parts = [p.strip() for p in re.split(r"[,;\n]+", _one(form, "contact_hours")) if p.strip()]
    windows = []
    for part in parts:
        found = WINDOW.match(part)
        if found is None:
            problems["contact_hours"] = ("admin_err_hours_format", {"text": part[:20]})
            return []
        start, end = time(int(found[1]), int(found[2])), time(int(found[3]), int(found[4]))
        if start >= end:
            problems["contact_hours"] = ("admin_err_hours_order", {"text": part[:20]})
            return []
        windows.append((start, end))
    if not windows or len(windows) > 6:
        problems["contact_hours"] = ("admin_err_hours_count", {})
        return []
    windows.sort()
    if any(b[0] < a[1] for a, b in zip(windows, windows[1:])):
        problems["contact_hours"] = ("admin_err_hours_overlap", {})
        return []
    return [f"{a:%H:%M}-{b:%H:%M}" for a, b in windows]


def _days(form: Form, problems: Problems) -> list[int]:
    days = sorted({int(d) for d in form.get("contact_days", []) if d in {"1", "2", "3", "4", "5", "6", "7"}})
    if not days:
        problems["contact_days"] = ("admin_err_days", {})
    return days


def _holidays(form: Form, problems: Problems) -> list[str]:
    out = set()
    for line in filter(None, (x.strip() for x in re.split(r"[\n,;]+", _one(form, "holidays")))):
        try:
            day = (datetime.strptime(line, "%d/%m/%Y") if "/" in line else datetime.strptime(line, "%Y-%m-%d")).date()
        except ValueError:
            problems["holidays"] = ("admin_err_holiday", {"text": line[:20]})
            return []
        out.add(day.isoformat())
    if len(out) > 200:
        problems["holidays"] = ("admin_err_holiday_many", {})
    return sorted(out)


def _bands(form: Form, problems: Problems) -> list[dict[str, Any]]:
    """Rows of the bands table; closed intervals on the 0.1 grid covering 0..max exactly once."""
    rows: list[tuple[int, int, int, dict[str, Any]]] = []
    for i in range(MAX_BANDS):
        cells = [_one(form, f"band_{i}_{k}") for k in ("code", "vi", "en", "from", "to")]
        if not any(cells):
            continue
        code, vi, en, low, high = cells
        try:
            lo_f, hi_f = float(low.replace(",", ".")), float(high.replace(",", "."))
        except ValueError:
            problems[f"band_{i}"] = ("admin_err_band_number", {})
            continue
        lo, hi = tenths(lo_f), tenths(hi_f)
        if not re.fullmatch(r"[a-z0-9_]{1,32}", code) or not vi or not en:
            problems[f"band_{i}"] = ("admin_err_band_names", {})
        elif lo is None or hi is None or lo < 0:
            problems[f"band_{i}"] = ("admin_err_band_grid", {})
        elif lo > hi:
            problems[f"band_{i}"] = ("admin_err_band_order", {})
        else:
            band = {"code": code, "from": lo / 10, "to": hi / 10, "name": {"vi": vi[:64], "en": en[:64]}}
            rows.append((lo, hi, i, band))
    if problems.keys() & {f"band_{i}" for i in range(MAX_BANDS)}:
        return []
    top = load_schema().max_score * 10
    expect = 0
    for lo, hi, i, band in sorted(rows, key=lambda r: (r[0], r[1])):
        if lo > expect:
            problems[f"band_{i}"] = ("admin_err_band_gap", {"low": expect / 10, "high": (lo - 1) / 10})
        elif lo < expect:
            problems[f"band_{i}"] = ("admin_err_band_overlap", {"code": band["code"]})
        expect = max(expect, hi + 1)
    if not rows:
        problems["rating_bands"] = ("admin_err_band_none", {})
    elif expect != top + 1 and not any(k.startswith("band_") for k in problems):
        problems["rating_bands"] = ("admin_err_band_cover", {"top": top // 10})
    if len({r[3]["code"] for r in rows}) != len(rows):
        problems["rating_bands"] = ("admin_err_band_codes", {})
    return [r[3] for r in sorted(rows, key=lambda r: -r[0])]


def _alerts(form: Form, problems: Problems) -> dict[str, Any]:
    rule = _one(form, "alert_rule")[:500]
    fields = {f.name for f in load_schema().fields}
    try:
        unknown = [f for f, _ in parse_conditions(rule) if f not in fields]
        if unknown or not rule:
            problems["alert_rule"] = ("admin_err_alert_field", {"text": ", ".join(unknown)[:80]})
    except ReportError:
        problems["alert_rule"] = ("admin_err_alert_rule", {})
    days = _int(form, "alert_days", 1, 60, problems)
    chat, email = _one(form, "alert_telegram_chat"), _one(form, "alert_email")
    if chat and not TELEGRAM_CHAT.match(chat):
        problems["alert_telegram_chat"] = ("admin_err_telegram_chat", {})
    if email and not EMAIL.match(email):
        problems["alert_email"] = ("admin_err_email", {})
    return {"rule": rule, "days": days, "telegram_chat": chat, "email": email}


def _contact(form: Form, problems: Problems) -> dict[str, str]:
    """The agency's public address, phone and e-mail (each may be empty); a form without one keeps it."""
    values: dict[str, str] = {k: " ".join(_one(form, k).split()) for k in ("address", "phone", "email") if k in form}
    if len(values.get("address", "")) > MAX_ADDRESS:
        problems["address"] = ("admin_err_address", {"n": MAX_ADDRESS})
    if values.get("phone") and not PHONE.match(values["phone"]):
        problems["phone"] = ("admin_err_phone", {})
    if values.get("email") and not EMAIL.match(values["email"]):
        problems["email"] = ("admin_err_email", {})
    return values


def _official(form: Form, problems: Problems) -> dict[str, str]:
    """The official report's form code, receiving unit and place (each may be empty: the sheet then shows a
    dotted blank); a form without one keeps it."""
    values = {k: " ".join(_one(form, k).split()) for k in OFFICIAL_KEYS if k in form}
    for key, text in values.items():
        if len(text) > MAX_OFFICIAL[key]:
            problems[key] = ("admin_err_too_long", {"n": MAX_OFFICIAL[key]})
        elif any(ord(c) < 32 or c == "\x7f" for c in text):
            problems[key] = ("admin_err_control", {})
    return values


def read_settings_form(form: Form, now: datetime | None = None) -> tuple[dict[str, Any], Problems]:
    """The values the form asks for, and the problems (store nothing unless there are none)."""
    problems: Problems = {}
    values: dict[str, Any] = {
        "channel_plan": _plan(form, problems), "contact_hours": _hours(form, problems),
        "contact_days": _days(form, problems), "holidays": _holidays(form, problems),
        "survey_delay_minutes": _int(form, "survey_delay_minutes", 0, 7 * 24 * 60, problems),
        "reminder_hours": _int(form, "reminder_hours", 1, 30 * 24, problems),
        "survey_ttl_hours": _int(form, "survey_ttl_hours", 1, 90 * 24, problems),
        "zalo_zns_template_id": _one(form, "zalo_zns_template_id"),
        "sms_unicode": {"1": True, "0": False}.get(_one(form, "sms_unicode")),
        "rating_bands": _bands(form, problems),
        "report_window": _one(form, "report_window"),
        "report_cutoff_day": _int(form, "report_cutoff_day", 1, 28, problems),
        "alerts": _alerts(form, problems),
    }
    values |= _contact(form, problems)
    values |= _official(form, problems)
    for name, (low, high) in RETENTION_BOUNDS.items():  # a form without them keeps the defaults
        values[name] = _int(form, name, low, high, problems) if name in form else RETENTION_DEFAULTS[name]
    if values["zalo_zns_template_id"] and not TEMPLATE_ID.match(values["zalo_zns_template_id"]):
        problems["zalo_zns_template_id"] = ("admin_err_template", {})
    if values["report_window"] not in ("cutoff", "calendar"):
        problems["report_window"] = ("admin_err_window", {})
    ttl, remind = values["survey_ttl_hours"], values["reminder_hours"]
    if ttl is not None and remind is not None and remind >= ttl:
        problems["reminder_hours"] = ("admin_err_reminder_after_expiry", {})
    if not problems.keys() & {"contact_hours", "contact_days", "holidays", "survey_delay_minutes"}:
        rules = ContactRules.of({k: values[k] for k in ("contact_hours", "contact_days", "holidays",
                                                         "survey_delay_minutes")})
        now = now or datetime.now(timezone.utc)
        try:
            rules.next_open(now)
            wait = rules.longest_wait(now)
        except ValueError:
            problems["holidays"] = ("admin_err_no_window", {})
        else:
            # A dossier returned at the worst moment of the next four weeks must still be invited
            # before its survey expires; otherwise the expiry would run first and nobody be told.
            if ttl is not None and wait >= timedelta(hours=ttl) and PLAN_NONE not in values["channel_plan"]:
                problems["survey_ttl_hours"] = ("admin_err_plan_cannot_fit",
                                                {"hours": ceil(wait.total_seconds() / 3600), "ttl": ttl})
    return values, problems
