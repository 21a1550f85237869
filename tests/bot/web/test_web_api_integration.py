"""API v1 for a one-stop system over real HTTP: keys bound to their agency and units, the document made from
the handlers' models, malformed bodies and headers, results out (one evaluation, a cursor over all) and
batch in."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from apikit import OTHER, UNIT, agencies_and_keys, answer_quick, call, stored_agency
from live import run_async, serve_app
from surveykit import AGENCY, CODES, seed

from bot.office.api_models import ERROR_STATUS, BatchIn, DossierIn, ErrorBody
from bot.office.apikeys import create_api_key
from storage import open_database

BODY = {"status": 4, "received_on": "2026-11-20", "due_on": "2026-11-25"}


def test_a_key_reaches_its_agency_and_units_only(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    keys = agencies_and_keys(live_db_url)
    mine, unit, theirs = f"{AGENCY}-261120-0042", f"{UNIT}-261120-0001", f"{OTHER}-261120-0001"
    with serve_app(seeded.settings) as base:
        # A's key may not create B's dossier: 403 with the reason, nothing written ...
        status, body = call(base, "PUT", f"/api/v1/dossiers/{theirs}", keys[AGENCY], BODY)
        assert status == 403 and body["error"]["code"] == "agency_forbidden"
        assert OTHER in body["error"]["message"]["vi"] and OTHER in body["error"]["message"]["en"]
        assert stored_agency(live_db_url, theirs) is None
        # ... so B's own key creates and then finds it.
        assert call(base, "PUT", f"/api/v1/dossiers/{theirs}", keys[OTHER], BODY)[0] == 201
        assert call(base, "GET", f"/api/v1/dossiers/{theirs}/survey", keys[OTHER])[0] == 200
        # Every route refuses another agency's code the same way (the code alone says so; nothing leaks).
        for method, path in (("GET", "/survey"), ("POST", "/survey"), ("POST", "/returned"), ("GET", "/evaluation")):
            status, body = call(base, method, f"/api/v1/dossiers/{theirs}{path}", keys[AGENCY],
                                None if method == "GET" else {})
            assert (status, body["error"]["code"]) == (403, "agency_forbidden"), path
        # A unit's code goes under the unit; the parent's key reaches it, the unit's key does not reach the parent.
        assert call(base, "PUT", f"/api/v1/dossiers/{unit}", keys[AGENCY], BODY)[0] == 201
        assert stored_agency(live_db_url, unit) == UNIT
        assert call(base, "GET", f"/api/v1/dossiers/{unit}/survey", keys[UNIT])[0] == 200
        assert call(base, "PUT", f"/api/v1/dossiers/{mine}", keys[AGENCY], BODY)[0] == 201
        assert call(base, "PUT", f"/api/v1/dossiers/{mine}", keys[UNIT], BODY)[0] == 403
        # Lower-case codes are normalised before the agency check.
        assert call(base, "GET", f"/api/v1/dossiers/{mine.lower()}/survey", keys[AGENCY])[0] == 200


def test_the_error_list_is_complete_and_wrong_methods_get_405(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        _, doc = call(base, "GET", "/api/v1/openapi.json", None)
        status, body = call(base, "DELETE", f"/api/v1/dossiers/{CODES[0]}", None)
        assert status == 405 and body["error"]["code"] == "method_not_allowed"
        status, body = call(base, "POST", "/api/v1/evaluations", None, {})
        assert status == 405 and body["error"]["code"] == "method_not_allowed"
    documented = set(doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"])
    assert documented == set(ERROR_STATUS) == set(ErrorBody.model_fields["code"].annotation.__args__)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if path.endswith("openapi.json"):
                continue
            assert {"400", "401", "403", "404", "503"} <= set(op["responses"]), (method, path)


def test_the_document_is_made_from_the_models_the_handlers_use(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        status, doc = call(base, "GET", "/api/v1/openapi.json", None)
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/api/v1/dossiers:batch", "/api/v1/dossiers/{code}", "/api/v1/dossiers/{code}/returned",
                                 "/api/v1/dossiers/{code}/survey", "/api/v1/dossiers/{code}/evaluation",
                                 "/api/v1/evaluations", "/api/v1/results", "/api/v1/openapi.json"}
    schemas = doc["components"]["schemas"]
    own = DossierIn.model_json_schema(ref_template="#/components/schemas/{model}")
    assert schemas["DossierIn"] == {k: v for k, v in own.items() if k != "$defs"}
    assert schemas["DossierIn"]["additionalProperties"] is False
    assert schemas["BatchIn"]["properties"]["dossiers"]["maxItems"] == 500
    assert BatchIn.model_fields["dossiers"].metadata  # the same limit the handler applies
    code = doc["paths"]["/api/v1/dossiers/{code}"]["put"]["parameters"][0]["schema"]
    assert re.fullmatch(code["pattern"], CODES[0]) and code["maxLength"] == 64
    assert not re.fullmatch(code["pattern"], "000.32.31.H29-2611-0001")


def test_malformed_bodies_and_headers_get_clear_4xx(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    key = agencies_and_keys(live_db_url)[AGENCY]
    new = f"{AGENCY}-261120-0042"
    put = f"/api/v1/dossiers/{new}"
    cases = [
        # (method, path, key, body, extra headers, status, code)
        ("PUT", put, None, BODY, {}, 401, "unauthorized"),
        ("PUT", put, "hl_1_" + "x" * 43, BODY, {}, 401, "unauthorized"),
        ("PUT", put, "Bearer", BODY, {}, 401, "unauthorized"),
        ("PUT", put, "hl_99999999999999_" + "x" * 43, BODY, {}, 401, "unauthorized"),
        ("PUT", put, key, b"{not json", {}, 400, "bad_input"),
        ("PUT", put, key, b"\xff\xfe\x00", {}, 400, "bad_input"),
        ("PUT", put, key, b"[]", {}, 400, "bad_input"),
        ("PUT", put, key, b"null", {}, 400, "bad_input"),
        ("PUT", put, key, b"", {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "status": "4"}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "status": True}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "status": 11}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "received_on": "hôm qua"}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "received_on": "2026-02-30"}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "received_on": 1700000000}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "note": "x"}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "officer_name": "a\x00b"}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "officer_name": "x" * 256}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "phone": "not a phone"}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "status": 10}, {}, 400, "bad_input"),
        ("PUT", put, key, {**BODY, "due_on": "2026-11-01"}, {}, 400, "bad_input"),
        ("PUT", put, key, {"note": "x" * 70_000}, {}, 413, "too_big"),
        ("PUT", "/api/v1/dossiers/" + "A" * 60 + "-261120-0001", key, BODY, {}, 400, "bad_input"),
        ("PUT", f"/api/v1/dossiers/{AGENCY}-261340-0001", key, BODY, {}, 400, "bad_input"),
        ("PUT", f"/api/v1/dossiers/{AGENCY}%20-261120-0001", key, BODY, {}, 400, "bad_input"),
        ("POST", f"/api/v1/dossiers/{CODES[0]}/returned", key, {"returned_on": "yesterday"}, {}, 400, "bad_input"),
        ("POST", f"/api/v1/dossiers/{CODES[0]}/survey", key, {"x": 1}, {}, 400, "bad_input"),
        ("POST", "/api/v1/dossiers:batch", key, {"dossiers": []}, {}, 400, "bad_input"),
        ("POST", "/api/v1/dossiers:batch", key, {"dossiers": "x"}, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?since=yesterday", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?since=2026-11-20T00:00:00", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?limit=0", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?limit=1e3", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?cursor=-1", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?cursor=069653252942", key, None, {}, 400, "bad_input"),  # found by the fuzz test
        ("GET", "/api/v1/evaluations?limit=1&limit=2", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/evaluations?page=2", key, None, {}, 400, "bad_input"),
        ("GET", "/api/v1/dossiers/000.99.99.H29-261118-0001/survey", key, None, {}, 403, "agency_forbidden"),
        ("GET", f"/api/v1/dossiers/{AGENCY}-261118-0099/survey", key, None, {}, 404, "dossier_unknown"),
        ("GET", f"/api/v1/dossiers/{CODES[0]}/evaluation", key, None, {}, 404, "not_evaluated"),
        ("GET", "/api/v1/nothing", key, None, {}, 404, "not_found"),
        ("PATCH", put, key, BODY, {}, 405, "method_not_allowed"),
    ]
    with serve_app(seeded.settings) as base:
        for method, path, k, body, headers, expected, code in cases:
            status, answer = call(base, method, path, k if k != "Bearer" else None, body,
                                  {"Authorization": "Bearer"} if k == "Bearer" else headers)
            assert (status, answer.get("error", {}).get("code")) == (expected, code), (method, path, answer)
            assert answer["error"]["message"]["vi"] and answer["error"]["message"]["en"]
        # The X-API-Key header works like the bearer token; a wrong content type does not matter for valid JSON.
        status, _ = call(base, "PUT", put, None, BODY, {"X-API-Key": key, "Content-Type": "text/plain"})
        assert status == 201
    assert stored_agency(live_db_url, new) == AGENCY


def test_results_out_one_evaluation_and_a_cursor_over_all(live_db_url) -> None:
    seeded = seed(live_db_url, flow="quick", surveys=3)
    keys = agencies_and_keys(live_db_url, free_text=True)
    plain = run_async(_plain_key(live_db_url))
    with serve_app(seeded.settings) as base:
        for code in CODES[:3]:
            answer_quick(base, seeded.tokens[code], stars="5", officer="1", comment="Cán bộ nhiệt tình 0912345678")
        status, ev = call(base, "GET", f"/api/v1/dossiers/{CODES[0]}/evaluation", plain)
        assert status == 200, ev
        assert ev["dossier_code"] == CODES[0] and ev["agency_code"] == AGENCY and ev["channel"] == "web"
        assert ev["schema_version"] and ev["flow_id"] == "quick" and ev["flow_revision"] is not None
        assert datetime.fromisoformat(ev["completed_at"]).tzinfo is not None
        answers = {a["field"]: a for a in ev["answers"]}
        overall = answers["satisfaction.overall"]
        assert overall["scale"] == "stars5" and overall["level"] is not None and overall["level_label"]["vi"]
        assert answers["satisfaction.officer_attitude"]["scale"] == "sat3"
        assert all(a["text"] is None for a in ev["answers"])  # no free text for this key
        assert ev["portal"]["overall"] == overall["level"] and ev["portal"]["convenience"] is None
        assert ev["portal"]["sources"]["overall"] == "satisfaction.overall"
        assert ev["portal"]["staff_attitude"] == answers["satisfaction.officer_attitude"]["level"]
        if "indicator.1" in answers:  # computed from the dossier's dates
            assert ev["portal"]["timeliness"] == answers["indicator.1"]["value"]
        assert [i["indicator"] for i in ev["indicators"]] == sorted(i["indicator"] for i in ev["indicators"])
        status, full = call(base, "GET", f"/api/v1/dossiers/{CODES[0]}/evaluation", keys[AGENCY])
        assert {a["field"]: a["text"] for a in full["answers"]}["comment"].startswith("Cán bộ nhiệt tình")
        # The list: three, one per page, by a cursor that resumes right after the last one.
        seen, cursor = [], None
        for _ in range(5):
            query = "?limit=1&since=2020-01-01T00:00:00%2B07:00" + (f"&cursor={cursor}" if cursor else "")
            status, page = call(base, "GET", "/api/v1/evaluations" + query, plain)
            assert status == 200
            seen += [item["dossier_code"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        assert sorted(seen) == sorted(CODES[:3]) and len(seen) == 3
        status, page = call(base, "GET", f"/api/v1/evaluations?cursor={cursor}", plain)
        assert page == {"items": [], "next_cursor": cursor, "has_more": False}
        status, page = call(base, "GET", "/api/v1/evaluations", plain)
        assert [i["id"] for i in page["items"]] == sorted(i["id"] for i in page["items"])
        assert page["items"][0] == ev  # the list and the single read agree
        status, page = call(base, "GET", "/api/v1/evaluations?since=2099-01-01T00:00:00Z", plain)
        assert page["items"] == []
        # Another agency's key sees none of them.
        status, page = call(base, "GET", "/api/v1/evaluations", keys[OTHER])
        assert status == 200 and page["items"] == []


async def _plain_key(url: str) -> str:
    async with open_database(url) as db:
        return await create_api_key(db, AGENCY, label="portal sync", now=datetime.now(timezone.utc))


def test_batch_in_per_item_results_idempotent_by_code(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    keys = agencies_and_keys(live_db_url)
    items = [
        {"code": f"{AGENCY}-261120-0101", **BODY, "procedure_code": "HT-01", "phone": "0912345678"},
        {"code": f"{UNIT}-261120-0102", **BODY},
        {"code": f"{OTHER}-261120-0103", **BODY},
        {"code": f"{AGENCY}-261120-0104", **BODY, "status": 10},  # returned without returned_on
        {"code": f"{AGENCY}-261120-0101".lower(), **BODY},  # the first one again
        {"code": f"{AGENCY}-261340-0105", **BODY},  # no 40th day
    ]
    with serve_app(seeded.settings) as base:
        status, body = call(base, "POST", "/api/v1/dossiers:batch", keys[AGENCY], {"dossiers": items})
        assert status == 200, body
        results = [(r["index"], r["result"], (r.get("error") or {}).get("code")) for r in body["results"]]
        assert results == [(0, "created", None), (1, "created", None), (2, "error", "agency_forbidden"),
                           (3, "error", "bad_input"), (4, "error", "bad_input"), (5, "error", "bad_input")]
        assert (body["created"], body["updated"], body["errors"]) == (2, 0, 4)
        assert "0912345678" not in json.dumps(body)
        status, again = call(base, "POST", "/api/v1/dossiers:batch", keys[AGENCY], {"dossiers": items[:2]})
        assert [r["result"] for r in again["results"]] == ["updated", "updated"]
        status, dossier = call(base, "GET", f"/api/v1/dossiers/{AGENCY}-261120-0101/survey", keys[AGENCY])
        assert status == 200
        too_many = {"dossiers": [{"code": f"{AGENCY}-261121-{n:04d}", **BODY} for n in range(501)]}
        status, body = call(base, "POST", "/api/v1/dossiers:batch", keys[AGENCY], too_many)
        assert status == 400 and body["error"]["code"] == "bad_input"
        status, body = call(base, "POST", "/api/v1/dossiers:batch", keys[AGENCY], {"dossiers": too_many["dossiers"][:500]})
        assert status == 200 and body["created"] == 500
    assert stored_agency(live_db_url, f"{UNIT}-261120-0102") == UNIT
    assert stored_agency(live_db_url, f"{OTHER}-261120-0103") is None


def test_the_portal_mapping_prefers_the_question_then_the_indicators() -> None:
    from bot.office.results_api import portal_levels

    answers, sources = portal_levels({"satisfaction.overall": 2, "indicator.3": 1, "indicator.4": 2,
                                      "indicator.1": 0, "indicator.7": 2, "satisfaction.officer_attitude": 1})
    assert answers == {"overall": 2, "convenience": 1, "timeliness": 0, "staff_attitude": 1}
    assert sources == {"overall": "satisfaction.overall", "convenience": "indicator.3+indicator.4",
                       "timeliness": "indicator.1", "staff_attitude": "satisfaction.officer_attitude"}
    assert portal_levels({})[0] == dict.fromkeys(("overall", "convenience", "timeliness", "staff_attitude"))
