"""The demo's web side: a few open surveys, a kiosk desk and an API key, linked from /demo.

Only an agency flagged ``{"demo": true}`` in its settings is listed on /demo, so a real
installation never shows survey links to passers-by.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import exists, select

from bot.common.settings import Settings
from bot.conversation.surveys import send_survey
from bot.office.accounts import create_user
from bot.office.apikeys import create_api_key
from bot.office.kiosks import set_desk
from storage import (
    Agency,
    Database,
    Dossier,
    Survey,
    find_agency,
    find_dossier,
    has_evaluation,
    update_agency_settings,
)

DEMO_AGENCY, DEMO_DESK, OPEN_SURVEYS = "000.32.31.H29", "quay-1", 4
#: Staff accounts of the demo (a demo database only; a real installation starts with `hailong users add`).
DEMO_PASSWORD = "demo-phuong-1-2026"  # passes the password rule (zxcvbn score 3+)
DEMO_USERS = (  # username, role, agency, officer, display name
    ("admin", "admin", None, None, "Quản trị hệ thống"),
    ("quanly", "manager", DEMO_AGENCY, None, "Lãnh đạo UBND Phường 1"),
    ("tiepnhan", "staff", DEMO_AGENCY, "CB20", "Cán bộ tiếp nhận Phường 1"),
    ("xem", "viewer", DEMO_AGENCY, None, "Xem báo cáo Phường 1"),
)


async def open_demo_links(db: Database, settings: Settings, codes: list[str]) -> str:
    """Leave a few surveys of the demo ward open, add its desk and an API key; returns the key."""
    now = datetime.now(timezone.utc)
    opened = 0
    for code in (c for c in codes if c.startswith(DEMO_AGENCY)):
        async with db.transaction() as s:
            dossier = await find_dossier(s, code)
            if dossier is None or await has_evaluation(s, dossier.id):
                continue
        await send_survey(db, settings, code, now=now, actor="demo")
        opened += 1
        if opened == OPEN_SURVEYS:
            break
    await set_desk(db, DEMO_AGENCY, DEMO_DESK, officer_code="CB20", timeout=90)
    async with db.transaction() as s:
        agency = await find_agency(s, DEMO_AGENCY)
        assert agency is not None  # seeded with the directory
        await update_agency_settings(s, agency.id, {"demo": True})
    for username, role, agency_code, officer, name in DEMO_USERS:
        await create_user(db, username=username, password=DEMO_PASSWORD, role=role, agency_code=agency_code,
                          officer_code=officer, display_name=name, actor="demo", now=now)
    return await create_api_key(db, DEMO_AGENCY, label="demo", now=now)


async def code_to_try(db: Database) -> str | None:
    """A returned dossier of the demo ward with no survey yet: the code the demo suggests trying."""
    async with db.transaction() as s:
        return await s.scalar(
            select(Dossier.code).join(Agency, Agency.id == Dossier.agency_id)
            .where(Agency.code == DEMO_AGENCY, Dossier.status == 10,
                   ~exists().where(Survey.dossier_id == Dossier.id))
            .order_by(Dossier.code).limit(1))
