"""Shared set-up of the staff and admin page tests: two agencies (a ward A with a unit, a ward B),
their dossiers, and one user per role; sign-in helpers for urllib and for Playwright.

Agency A = "000.32.31.H29" (UBND Phường 1) with unit "000.32.31.H29.01"; agency B = "000.32.32.H29".
Users (password PASSWORD for all): admin, manager_a, staff_a, viewer_a, staff_b, manager_b.
Dossiers: CODES_A (A, returned), CODES_B (B, returned), PENDING_A
(A, received, not returned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from live import run_async
from surveykit import Client, hidden

from bot.common.settings import load_settings
from bot.office.accounts import create_user
from storage import open_database, upsert_agency, upsert_dossier, upsert_officer, upsert_procedure

AGENCY_A, UNIT_A, AGENCY_B = "000.32.31.H29", "000.32.31.H29.01", "000.32.32.H29"
CODES_A = tuple(f"{AGENCY_A}-261118-000{n}" for n in range(1, 4))
CODES_B = tuple(f"{AGENCY_B}-261118-000{n}" for n in range(1, 4))
PENDING_A = f"{AGENCY_A}-261120-0009"
PASSWORD = "mật khẩu đủ dài 2026"
USERS = {  # username -> (role, agency code, officer code)
    "admin": ("admin", None, None),
    "manager_a": ("manager", AGENCY_A, None),
    "staff_a": ("staff", AGENCY_A, "CB01"),
    "viewer_a": ("viewer", AGENCY_A, None),
    "staff_b": ("staff", AGENCY_B, "CB01"),
    "manager_b": ("manager", AGENCY_B, None),
}


@dataclass(frozen=True)
class StaffSeed:
    url: str

    @property
    def settings(self):
        return load_settings(env_file=None, database_url=self.url)


def seed_staff(url: str) -> StaffSeed:
    """Agencies, officers, a procedure, dossiers and the users above."""
    now = datetime.now(timezone.utc)

    async def run() -> None:
        async with open_database(url) as db:
            async with db.transaction() as s:
                procedure = await upsert_procedure(s, code="HT-01", name="Đăng ký khai sinh")
                for code, name, codes in ((AGENCY_A, "UBND Phường 1", CODES_A), (AGENCY_B, "UBND Phường 2", CODES_B)):
                    agency = await upsert_agency(s, code=code, name=name, now=now)
                    officer = await upsert_officer(s, agency_id=agency.id, code="CB01", name=f"Cán bộ {name}")
                    for dossier in codes:
                        await upsert_dossier(s, code=dossier, agency_id=agency.id, status=10,
                                             received_on=date(2026, 11, 18), due_on=date(2026, 11, 19),
                                             returned_on=date(2026, 11, 19), procedure_id=procedure.id,
                                             officer_id=officer.id, now=now)
                    if code == AGENCY_A:
                        await upsert_dossier(s, code=PENDING_A, agency_id=agency.id, status=2,
                                             received_on=date(2026, 11, 20), due_on=date(2026, 11, 27),
                                             returned_on=None, procedure_id=procedure.id, officer_id=officer.id,
                                             now=now)
                await upsert_agency(s, code=UNIT_A, name="Bộ phận một cửa Phường 1", parent_code=AGENCY_A, now=now)
            for username, (role, agency, officer) in USERS.items():
                await create_user(db, username=username, password=PASSWORD, role=role, agency_code=agency,
                                  officer_code=officer, display_name=username.replace("_", " ").title(),
                                  actor="test", now=now)

    run_async(run())
    return StaffSeed(url)


def signed_in(base: str, username: str) -> tuple[Client, str]:
    """A urllib client signed in as this user, and the session's CSRF token (read off /staff)."""
    client = Client(base)
    status, page = client.get("/staff/login")
    assert status == 200
    status, page = client.post("/staff/login", {"_csrf": hidden(page, "_csrf"), "username": username,
                                                "password": PASSWORD, "next": "/staff"})
    assert status == 200 and f'data-user="{username}"' in page, (status, page[:500])
    return client, hidden(page, "_csrf")


def browser_sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form in a Playwright page."""
    page.goto(f"{base}/staff/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector(f'[data-user="{username}"]')


# --- Reports (tests/bot/web/test_web_staff_reports.py) ---
REPORT_PERIOD = "2026-Q4"  # the cut-off window 15/09–14/12/2026 holds EVALUATED_AT
EVALUATED_AT = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
LEVELS_A, LEVELS_B = (2, 1, 0), (2, 2)  # overall level of each evaluated dossier of A and of B


def seed_evaluations(url: str) -> None:
    """Evaluations of CODES_A (levels LEVELS_A) and of the first CODES_B (LEVELS_B), through
    storage.record_evaluation like the report tests' district."""
    from storage import AnswerIn, find_dossier, record_evaluation

    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            for codes, levels in ((CODES_A, LEVELS_A), (CODES_B, LEVELS_B)):
                for code, level in zip(codes, levels):
                    dossier = await find_dossier(s, code)
                    points = [AnswerIn(f"indicator.{i}", value=min(2, level + (i % 2))) for i in (1, 3, 4, 6, 7)]
                    await record_evaluation(s, dossier_id=dossier.id, agency_id=dossier.agency_id,
                                            officer_id=dossier.officer_id, channel="web", schema_version="t",
                                            completed_at=EVALUATED_AT,
                                            answers=[AnswerIn("satisfaction.overall", level=level), *points])

    run_async(run())


def get_bytes(client: Client, path: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET as raw bytes (downloads), with the client's cookies."""
    import urllib.error
    import urllib.request

    try:
        with client.opener.open(urllib.request.Request(client.base + path), timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- admin pages (users, settings, audit): read back what the pages stored -------------------


def stored_agency_settings(url: str, code: str) -> dict:
    """The settings JSON of an agency as stored now."""
    from storage import find_agency

    async def run() -> dict:
        async with open_database(url) as db, db.transaction() as s:
            return dict((await find_agency(s, code)).settings or {})

    return run_async(run())


def stored_user(url: str, username: str):
    """The users row of a username (None when there is none)."""
    from storage import find_user

    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return await find_user(s, username)

    return run_async(run())


def stored_audit(url: str, prefix: str = "") -> list[tuple[str, str, str, dict]]:
    """(actor, action, subject, detail) of the audit entries whose action starts with `prefix`, oldest first."""
    from storage import audit_entries

    async def run():
        async with open_database(url) as db, db.transaction() as s:
            rows = await audit_entries(s, action_prefix=prefix or None, limit=100_000)
        return [(e.actor, e.action, e.subject, e.detail) for e in reversed(rows)]

    return run_async(run())


def database_text(url: str) -> str:
    """Every value of every table as one text (to prove a secret is nowhere in it)."""
    from sqlalchemy import select

    from storage.tables import Base

    async def run() -> str:
        parts = []
        async with open_database(url) as db, db.transaction() as s:
            for table in Base.metadata.sorted_tables:
                for row in await s.execute(select(table)):
                    parts.append(repr(tuple(row)))
        return "\n".join(parts)

    return run_async(run())


def settings_form(csrf: str, **changes: object) -> list[tuple[str, str]]:
    """The whole settings form with the values in force by default (as the page shows them), then `changes`."""
    fields: dict[str, object] = {
        "plan_1": "zalo_zns", "plan_2": "sms", "plan_3": "telegram", "plan_4": "",
        "contact_hours": "08:00-17:00", "contact_days": ["1", "2", "3", "4", "5"], "holidays": "",
        "survey_delay_minutes": "0", "reminder_hours": "24", "survey_ttl_hours": "72", "zalo_zns_template_id": "",
        "sms_unicode": "", "report_window": "cutoff", "report_cutoff_day": "15",
        "alert_rule": "satisfaction.overall=0,satisfaction.officer_attitude=0,indicator.7=0", "alert_days": "5",
        "alert_telegram_chat": "", "alert_email": "", "address": "", "phone": "", "email": "",
        "report_form_code": "", "report_receiving_unit": "", "report_place": "",
    }
    from bot.office.agency_settings import band_dicts
    from survey_flows import load_schema

    for i, band in enumerate(band_dicts(load_schema().bands)):
        fields |= {f"band_{i}_code": band["code"], f"band_{i}_vi": band["name"]["vi"],
                   f"band_{i}_en": band["name"]["en"], f"band_{i}_from": f"{band['from']:g}",
                   f"band_{i}_to": f"{band['to']:g}"}
    fields |= changes
    out = [("_csrf", csrf)]
    for name, value in fields.items():
        out += [(name, v) for v in value] if isinstance(value, list) else [(name, str(value))]
    return out


def staff_desk(url: str, desk: str = "quay-1", officer: str = "CB01") -> None:
    """A kiosk desk of agency A whose receiving officer is `officer` (as `hailong kiosk desk` makes it)."""
    from bot.office.kiosks import set_desk

    async def run() -> None:
        async with open_database(url) as db:
            await set_desk(db, AGENCY_A, desk, officer_code=officer)

    run_async(run())
