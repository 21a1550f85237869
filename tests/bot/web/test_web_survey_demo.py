"""/demo: links into open surveys, the kiosk and the API document, only for an agency flagged as demo."""

from __future__ import annotations

import re

from live import run_async, serve_app
from surveykit import AGENCY, CODES, DESK, Client, hidden, seed

from storage import find_agency, open_database, update_agency_settings


def flag_demo(url: str) -> None:
    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY)
            await update_agency_settings(s, agency.id, {"demo": True})

    run_async(run())


def test_demo_page_links_surveys_kiosk_and_api_only_when_flagged(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=2)
    with serve_app(seeded.settings) as base:
        status, _ = Client(base).get("/demo")
        assert status == 404  # a real installation lists no survey links
        flag_demo(live_db_url)
        status, page = Client(base).get("/demo")
        tablet = Client(base)  # the demo's desk link enrols the browser that opens it
        _, enrol = tablet.get(f"/demo/kiosk/{DESK}")
        _, desk = tablet.post(re.search(r'action="([^"]+)"', enrol).group(1), {"_csrf": hidden(enrol, "_csrf")})
        assert "data-officer" in desk
    assert status == 200
    for code in CODES[:2]:
        assert f'/s/{seeded.tokens[code]}"' in page and f"/s/{seeded.tokens[code]}/qr.svg" in page
    assert f"/kiosk/{DESK}" in page and "/api/v1/openapi.json" in page
