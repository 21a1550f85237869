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

from bot.accounts import create_user
from bot.settings import load_settings
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
