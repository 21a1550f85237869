"""Over real HTTP: the API takes each unit's steps and the online flag (bad values refused in two languages,
nothing written), and staff record the legal exceptions on the desk; the evaluation's report changes."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from apikit import call
from live import run_async, serve_app
from staffkit import AGENCY_A, CODES_A, CODES_B, seed_staff, signed_in, stored_audit
from surveykit import AGENCY, seed

from bot.office.apikeys import create_api_key
from reports.periods import Window, parse_period
from reports.results import build_results
from storage import AnswerIn, find_agency, find_dossier, open_database, record_evaluation
from survey_flows import load_schema

NEW = f"{AGENCY}-261120-0042"
STEPS = [{"unit": "STP", "due_on": "2026-11-22", "done_on": "2026-11-21"},
         {"unit": "UBND xã", "due_on": "2026-11-24", "done_on": "2026-11-24"}]


def new_key(url: str) -> str:
    async def run() -> str:
        async with open_database(url) as db:
            return await create_api_key(db, AGENCY, label="test", now=datetime.now(timezone.utc))

    return run_async(run())


def stored(url: str, code: str) -> tuple | None:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            dossier = await find_dossier(s, code)
            return None if dossier is None else (dossier.status, dossier.unit_steps, dossier.online)

    return run_async(run())


def test_the_api_takes_unit_steps_and_the_online_flag(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    key = new_key(live_db_url)
    body = {"status": 4, "received_on": "2026-11-20", "due_on": "2026-11-25", "unit_steps": STEPS, "online": True}
    with serve_app(seeded.settings) as base:
        status, answer = call(base, "PUT", f"/api/v1/dossiers/{NEW}", key, body)
        assert status == 201, answer
        assert (answer["unit_steps"], answer["online"]) == (STEPS, True)
        assert stored(live_db_url, NEW) == (4, STEPS, True)
        bad = [
            ({**body, "status": 9, "unit_steps": [{**STEPS[0], "unit": "a:b"}]}, "unit"),
            ({**body, "status": 9, "unit_steps": [{**STEPS[0], "done_on": "2026-11-19"}]}, "received_on"),
            ({**body, "status": 9, "unit_steps": [{**STEPS[0], "done_on": "hôm qua"}]}, "done_on"),
            ({**body, "status": 9, "unit_steps": "STP:2026-11-22:2026-11-21"}, "unit_steps"),
            ({**body, "status": 9, "online": "có"}, "online"),
            ({**body, "status": 9, "unit_steps": [{"unit": "STP", "due_on": "2026-11-22"}]}, "done_on"),
        ]
        for wrong, named in bad:
            status, answer = call(base, "PUT", f"/api/v1/dossiers/{NEW}", key, wrong)
            assert (status, answer["error"]["code"]) == (400, "bad_input"), wrong
            message = answer["error"]["message"]
            assert message["vi"] and message["en"] and named in message["en"], message
            assert stored(live_db_url, NEW) == (4, STEPS, True)  # nothing written, not even the status
        # A batch: the good item is written, the bad one reported by its position.
        status, answer = call(base, "POST", "/api/v1/dossiers:batch", key, {"dossiers": [
            {"code": f"{AGENCY}-261120-0043", "status": 4, "received_on": "2026-11-20", "online": False},
            {"code": f"{AGENCY}-261120-0044", "status": 4, "received_on": "2026-11-20",
             "unit_steps": [{**STEPS[0], "due_on": "2026-11-01"}]},
        ]})
        assert status == 200 and [r["result"] for r in answer["results"]] == ["created", "error"]
        assert "bước 1" in answer["results"][1]["error"]["message"]["vi"]
        assert stored(live_db_url, f"{AGENCY}-261120-0043") == (4, None, False)
        assert stored(live_db_url, f"{AGENCY}-261120-0044") is None
        # Sent again without steps: the dossier says so (indicator 2 not measured), not the old steps.
        status, answer = call(base, "PUT", f"/api/v1/dossiers/{NEW}", key, {"status": 4, "received_on": "2026-11-20"})
        assert status == 200 and (answer["unit_steps"], answer["online"]) == (None, None)


def evaluate_a(url: str) -> None:
    """CODES_A[0] evaluated with 'contacted the desk more than once' (i3 0) and 'other bodies' (i4 0)."""
    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            dossier = await find_dossier(s, CODES_A[0])
            await record_evaluation(s, dossier_id=dossier.id, agency_id=dossier.agency_id, channel="web",
                                    schema_version="t", completed_at=datetime(2026, 11, 20, 3, tzinfo=timezone.utc),
                                    answers=[AnswerIn("satisfaction.overall", level=1),
                                             AnswerIn("indicator.3", value=0), AnswerIn("indicator.4", value=0)])

    run_async(run())


def means_a(url: str) -> tuple[float | None, float | None]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY_A)
            results = await build_results(s, parse_period("2026-Q4", Window.CALENDAR), bands=load_schema().bands,
                                          now=datetime.now(timezone.utc), agency_id=agency.id)
            means = results.agencies[0].summary.means
            return means[3], means[4]

    return run_async(run())


def test_staff_record_the_legal_exceptions_and_the_report_changes(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    evaluate_a(live_db_url)
    assert means_a(live_db_url) == (0.0, 0.0)  # the facts are made with the citizen's answers
    path = "/staff/desk/" + quote(CODES_A[0], safe="")
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "staff_a")
        status, page = client.get(path)
        assert status == 200 and "Ghi nhận ngoại lệ theo quy định" in page
        assert "Không có dữ liệu từng bước (chỉ số 2: chưa đo)" in page
        form = {"applicant_fault": "1", "appraisal_body": "1", "note": "Hội đồng thẩm định; người nộp thiếu giấy"}
        assert client.post(path + "/exceptions", form)[0] == 403  # no CSRF token
        status, page = client.post(path + "/exceptions", {"_csrf": csrf, "applicant_fault": "1", "note": " "})
        assert status == 400 and "Cần ghi chú lý do" in page
        status, page = client.post(path + "/exceptions?lang=en", {"_csrf": csrf, "applicant_fault": "1"})
        assert status == 400 and "A note saying why is required" in page
        other, other_csrf = signed_in(base, "staff_b")  # another agency's dossier: as if it did not exist
        assert other.post(path + "/exceptions", {"_csrf": other_csrf, **form})[0] == 404
        assert means_a(live_db_url) == (0.0, 0.0) and stored_audit(live_db_url, "dossier.exceptions") == []
        status, page = client.post(path + "/exceptions", {"_csrf": csrf, **form})
        assert status == 200 and "data-exceptions-saved" in page and "đã được tính lại" in page
        assert "Hội đồng thẩm định; người nộp thiếu giấy" in page and "checked" in page
        assert means_a(live_db_url) == (1.0, 1.0)  # 0 → 1 on both, through survey_flows.apply_exceptions
        (actor, action, subject, detail), = stored_audit(live_db_url, "dossier.exceptions")
        assert (action, subject) == ("dossier.exceptions", f"dossier:{CODES_A[0]}") and "staff_a" in actor
        assert detail == {"applicant_fault": True, "appraisal_body": True, "rescored": 1}
        # Unchecked again: the citizen's answers count as given.
        status, page = client.post(path + "/exceptions", {"_csrf": csrf, "note": "ghi nhầm"})
        assert status == 200 and means_a(live_db_url) == (0.0, 0.0)
        assert client.get("/staff/desk/" + quote(CODES_B[0], safe=""))[0] == 404
        # The staff report: indicator 2 of these dossiers (no step dates) is said to be not measured.
        viewer, _ = signed_in(base, "viewer_a")
        status, page = viewer.get(f"/staff/reports?period=2026-Q4&agency={AGENCY_A}")
        assert status == 200 and "Chưa đo / not measured" in page
