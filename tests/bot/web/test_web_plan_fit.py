"""A plan that cannot fit the expiry is refused by API v1 with Vietnamese and English reasons, and
nothing is written (issue 14); the settings page's refusal is in test_web_admin_settings.BAD."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

from live import run_async, serve_app
from surveykit import AGENCY, seed

from bot.office.apikeys import create_api_key
from storage import find_agency, find_dossier, open_database, update_agency_settings

NEW = f"{AGENCY}-261120-0042"


def call(base: str, method: str, path: str, key: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_returned_is_refused_when_the_invitation_would_come_after_the_expiry(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)

    async def prepare() -> str:
        async with open_database(live_db_url) as db:
            async with db.transaction() as s:
                agency = await find_agency(s, AGENCY)
                await update_agency_settings(s, agency.id, {"survey_delay_minutes": 180, "survey_ttl_hours": 2})
            return await create_api_key(db, AGENCY, label="test", now=datetime.now(timezone.utc))

    async def stored() -> tuple[int, object]:
        async with open_database(live_db_url) as db, db.transaction() as s:
            dossier = await find_dossier(s, NEW)
            return dossier.status, dossier.returned_on

    key = run_async(prepare())
    with serve_app(seeded.settings) as base:
        status, body = call(base, "PUT", f"/api/v1/dossiers/{NEW}", key, {"status": 4, "received_on": "2026-11-20"})
        assert status == 201
        status, body = call(base, "POST", f"/api/v1/dossiers/{NEW}/returned", key, {})
    assert status == 400 and body["error"]["code"] == "plan_cannot_fit"
    message = body["error"]["message"]
    assert "sau khi khảo sát hết hạn" in message["vi"] and "after the survey expires" in message["en"]
    assert run_async(stored()) == (4, None)  # nothing written: still in progress, no survey, no timers


def test_the_desk_warns_when_the_agencys_plan_cannot_fit(live_db_url) -> None:
    from urllib.parse import quote

    from staffkit import AGENCY_A, CODES_A, seed_staff, signed_in

    seeded = seed_staff(live_db_url)
    page_of = f"/staff/desk/{quote(CODES_A[0], safe='')}"
    with serve_app(seeded.settings) as base:
        client, _ = signed_in(base, "manager_a")
        status, page = client.get(page_of)
        assert status == 200 and "data-plan-warning" not in page  # the defaults fit (Friday → Monday: 63 h < 72 h)

        async def monday_to_wednesday() -> None:
            async with open_database(live_db_url) as db, db.transaction() as s:
                agency = await find_agency(s, AGENCY_A)
                await update_agency_settings(s, agency.id, {"contact_days": [1, 2, 3]})

        run_async(monday_to_wednesday())
        status, page = client.get(page_of)
        status_en, page_en = client.get(page_of + "?lang=en")
    assert status == 200 and "data-plan-warning" in page and "tới 111 giờ, quá thời hạn khảo sát 72 giờ" in page
    assert status_en == 200 and "up to 111 hours, longer than the survey's 72 hours" in page_en.replace("&#39;", "'")
