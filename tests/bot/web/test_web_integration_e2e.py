"""Issue 18's end-to-end test: a one-stop system batch-creates dossiers, marks them returned, a citizen answers
on the web, the system receives the signed webhook (verified as docs/integration.md says, with hmac alone)
and reads the same evaluation through both GET endpoints."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apikit import agencies_and_keys, answer_quick, call
from live import free_port, run_async, serve_app
from surveykit import AGENCY, seed

from bot.common.settings import load_settings
from bot.office.webhooks_out import set_webhook, webhook_status
from storage import open_database


class Receiver:
    """The one-stop system's webhook endpoint: refuses the first delivery (503), then takes them."""

    def __init__(self, *, always: int | None = None) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server spelling
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if always is not None:
                    receiver.refused += 1
                    self.send_response(always)
                elif receiver.refused == 0:
                    receiver.refused += 1
                    self.send_response(503)
                    self.send_header("Retry-After", "1")
                else:
                    receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hailong"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The guide's verification snippet."""
    timestamp, signature = headers["x-hailong-timestamp"], headers["x-hailong-signature"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_a_one_stop_system_pushes_dossiers_and_gets_the_evaluation_back(live_db_url) -> None:
    seed(live_db_url, surveys=0)
    key = agencies_and_keys(live_db_url)[AGENCY]
    receiver = Receiver()

    async def webhook() -> str:
        async with open_database(live_db_url) as db:
            return await set_webhook(db, AGENCY, receiver.url, now=datetime.now(timezone.utc))

    secret = run_async(webhook())
    settings = load_settings(env_file=None, database_url=live_db_url, default_flow="quick")
    codes = [f"{AGENCY}-261201-0001", f"{AGENCY}-261201-0002"]
    try:
        with serve_app(settings) as base:
            status, batch = call(base, "POST", "/api/v1/dossiers:batch", key, {"dossiers": [
                {"code": code, "status": 4, "received_on": "2026-12-01", "due_on": "2026-12-05",
                 "procedure_code": "HT-01", "officer_code": "CB01"} for code in codes]})
            assert status == 200 and [r["result"] for r in batch["results"]] == ["created", "created"]
            links = []
            for code in codes:
                status, invitation = call(base, "POST", f"/api/v1/dossiers/{code}/returned", key,
                                          {"returned_on": "2026-12-04"})
                assert status == 200, invitation
                links.append(invitation["link"])
            token = links[0].rstrip("/").rsplit("/", 1)[1]
            answer_quick(base, token, stars="5", officer="1", comment="Nhanh gọn")
            deadline = time.monotonic() + 30
            while (not any(b"evaluation.completed" in body for _, body in receiver.deliveries)
                   and time.monotonic() < deadline):
                time.sleep(0.2)
            assert receiver.refused == 1  # the first delivery was refused (503) and retried
            for headers, body in receiver.deliveries:
                assert verified(secret, headers, body)
                assert not verified(secret, headers, body + b" ")
                assert not verified("another secret", headers, body)
                assert headers["x-hailong-delivery"]
            events = [json.loads(body) for _, body in receiver.deliveries]
            assert [(e["event"], e["data"]["dossier_code"]) for e in events] == [
                ("survey.invited", codes[0]), ("survey.invited", codes[1]), ("evaluation.completed", codes[0])]
            assert all(e["agency_code"] == AGENCY for e in events)
            event = events[-1]
            status, one = call(base, "GET", f"/api/v1/dossiers/{codes[0]}/evaluation", key)
            assert status == 200 and one == event["data"]
            assert one["portal"]["overall"] == 2 and one["portal"]["timeliness"] is not None
            status, page = call(base, "GET", "/api/v1/evaluations?since=2026-01-01T00:00:00Z", key)
            assert status == 200 and page["items"] == [one]
            status, _ = call(base, "GET", f"/api/v1/dossiers/{codes[1]}/evaluation", key)
            assert status == 404
            # A dissatisfied answer opens a follow-up (the default alert rule): two more events, in order.
            answer_quick(base, links[1].rstrip("/").rsplit("/", 1)[1], stars="1", officer="3", comment="Chậm")
            deadline = time.monotonic() + 30
            while len(receiver.deliveries) < 5 and time.monotonic() < deadline:
                time.sleep(0.2)
            later = [json.loads(body) for _, body in receiver.deliveries[3:]]
            assert [(e["event"], e["data"]["dossier_code"]) for e in later] == [
                ("evaluation.completed", codes[1]), ("followup.opened", codes[1])]
            assert later[1]["data"]["reason"] and later[1]["data"]["closed_at"] is None
            assert all(verified(secret, h, b) for h, b in receiver.deliveries[3:])
            time.sleep(2.5)  # another round of the event task: nothing is queued twice
            assert len(receiver.deliveries) == 5
            status = run_async(_status(live_db_url))
            assert status["counts"] == {"sent": 5} and status["failed"] == []
    finally:
        receiver.server.shutdown()


async def _status(url: str) -> dict:
    async with open_database(url) as db:
        return await webhook_status(db, AGENCY)


def test_a_refused_delivery_ends_failed_and_admins_see_it(live_db_url) -> None:
    seed(live_db_url, surveys=0)
    key = agencies_and_keys(live_db_url)[AGENCY]
    receiver = Receiver(always=410)

    async def webhook() -> str:
        async with open_database(live_db_url) as db:
            return await set_webhook(db, AGENCY, receiver.url, now=datetime.now(timezone.utc))

    run_async(webhook())
    code = f"{AGENCY}-261201-0009"
    try:
        with serve_app(load_settings(env_file=None, database_url=live_db_url, default_flow="quick")) as base:
            assert call(base, "PUT", f"/api/v1/dossiers/{code}", key, {"status": 4, "received_on": "2026-12-01"})[0] == 201
            assert call(base, "POST", f"/api/v1/dossiers/{code}/returned", key, {})[0] == 200
            deadline = time.monotonic() + 20
            while not (status := run_async(_status(live_db_url)))["failed"] and time.monotonic() < deadline:
                time.sleep(0.3)
    finally:
        receiver.server.shutdown()
    assert receiver.refused == 1  # a 410 is final: no retry
    assert status["counts"] == {"failed": 1}
    [failed] = status["failed"]
    assert failed["event"] == "survey.invited" and failed["error"] == "HTTP 410" and failed["attempts"] == 1
