"""API v1 over real HTTP: keys, dossiers, returned, surveys, status, OpenAPI, and JSON errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

from live import run_async, serve_app
from surveykit import AGENCY, CODES, seed

from bot.office.apikeys import create_api_key
from storage import open_database

NEW = f"{AGENCY}-261120-0042"


def call(base: str, method: str, path: str, key: str | None, body: object = None) -> tuple[int, dict]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def new_key(url: str) -> str:
    async def run() -> str:
        async with open_database(url) as db:
            return await create_api_key(db, AGENCY, label="test", now=datetime.now(timezone.utc))

    return run_async(run())


def test_an_agency_system_drives_a_dossier_to_its_survey(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    key = new_key(live_db_url)
    with serve_app(seeded.settings) as base:
        status, body = call(base, "PUT", f"/api/v1/dossiers/{NEW}", key,
                            {"status": 4, "received_on": "2026-11-20", "due_on": "2026-11-25",
                             "procedure_code": "HT-01", "officer_code": "CB01"})
        assert status == 201 and body["status"] == 4
        status, body = call(base, "POST", f"/api/v1/dossiers/{NEW}/survey", key, {})
        assert status == 409 and body["error"]["code"] == "dossier_not_returned"
        status, body = call(base, "POST", f"/api/v1/dossiers/{NEW}/returned", key, {"returned_on": "2026-11-24"})
        assert status == 200 and body["link"].startswith("http") and "/s/" in body["link"] and body["send_at"]
        status, body = call(base, "GET", f"/api/v1/dossiers/{NEW}/survey", key)
        assert status == 200 and body["status"] == "invited" and body["evaluated"] is False
        status, again = call(base, "POST", f"/api/v1/dossiers/{NEW}/survey", key, {})
        assert status == 200 and again["created"] is False
        with urllib.request.urlopen(again["qr_png"].replace(seeded.settings.public_url, base)) as qr:
            assert qr.read(8) == b"\x89PNG\r\n\x1a\n"


def test_errors_are_json_with_a_code_and_two_languages(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    key = new_key(live_db_url)
    with serve_app(seeded.settings) as base:
        cases = [
            ("GET", f"/api/v1/dossiers/{CODES[0]}/survey", None, None, 401, "unauthorized"),
            ("GET", f"/api/v1/dossiers/{CODES[0]}/survey", "hl_1_" + "x" * 43, None, 401, "unauthorized"),
            ("PUT", f"/api/v1/dossiers/{NEW}", key, b"{not json", 400, "bad_input"),
            ("PUT", f"/api/v1/dossiers/{NEW}", key, {"status": 10, "received_on": "hôm qua"}, 400, "bad_input"),
            ("PUT", f"/api/v1/dossiers/{NEW}", key, {"note": "x" * 70_000}, 413, "too_big"),
            ("GET", "/api/v1/dossiers/000.99.99.H29-261118-0001/survey", key, None, 403, "agency_forbidden"),
            ("GET", f"/api/v1/dossiers/{AGENCY}-261118-0099/survey", key, None, 404, "dossier_unknown"),
            ("GET", "/api/v1/nothing", key, None, 404, "not_found"),
        ]
        for method, path, k, body, expected, code in cases:
            status, answer = call(base, method, path, k, body)
            assert (status, answer["error"]["code"]) == (expected, code), path
            assert answer["error"]["message"]["vi"] and answer["error"]["message"]["en"]


def test_the_openapi_document_lists_every_route(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        status, doc = call(base, "GET", "/api/v1/openapi.json", None)
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert {"/api/v1/dossiers/{code}", "/api/v1/dossiers/{code}/returned",
            "/api/v1/dossiers/{code}/survey"} <= set(doc["paths"])
