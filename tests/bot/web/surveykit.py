"""Shared set-up of the survey, kiosk and API page tests: a returned dossier, its survey, a desk.

Everything runs against a real database URL (the `database_url` fixture) and the real app
served over HTTP (`live.serve_app`); the browser is Debian's Chromium.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from live import run_async
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from bot.office.kiosks import set_desk
from storage import (
    Answer,
    Evaluation,
    open_database,
    upgrade_async,
    upsert_agency,
    upsert_dossier,
    upsert_officer,
    upsert_procedure,
)
from storage.db import parse_url

AGENCY, DESK, OFFICER = "000.32.31.H29", "quay-1", "Nguyễn Thị Lan"
CODES = tuple(f"{AGENCY}-261118-000{n}" for n in range(1, 6))
RECEIVED, DUE, RETURNED = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 19)  # every seeded dossier


@pytest.fixture
def live_db_url(backend: str, tmp_path):
    """A migrated private database made without the test's event loop (Playwright owns this thread)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}"
        run_async(upgrade_async(url))
        yield url
        return
    server = parse_url(os.environ["HAILONG_TEST_POSTGRES_URL"]).url
    schema = f"test_{uuid.uuid4().hex[:12]}"
    run_async(_admin(server, f'CREATE SCHEMA "{schema}"'))
    try:
        url = server.update_query_dict({"schema": schema}).render_as_string(hide_password=False)
        run_async(upgrade_async(url))
        yield url
    finally:
        run_async(_admin(server, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


async def _admin(server, statement: str) -> None:
    engine = create_async_engine(server)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Seeded:
    url: str
    tokens: dict[str, str]  # dossier code -> survey token

    @property
    def settings(self):
        return load_settings(env_file=None, database_url=self.url)


def seed(url: str, *, flow: str | None = None, surveys: int = 3) -> Seeded:
    """Five returned dossiers of one agency with an officer and a kiosk desk; surveys for the first few."""
    now = datetime.now(timezone.utc)

    async def run() -> dict[str, str]:
        async with open_database(url) as db:
            async with db.transaction() as s:
                agency = await upsert_agency(s, code=AGENCY, name="UBND Phường 1", now=now)
                officer = await upsert_officer(s, agency_id=agency.id, code="CB01", name=OFFICER)
                procedure = await upsert_procedure(s, code="HT-01", name="Đăng ký khai sinh")
                for code in CODES:
                    await upsert_dossier(s, code=code, agency_id=agency.id, status=10, received_on=RECEIVED,
                                         due_on=DUE, returned_on=RETURNED,
                                         procedure_id=procedure.id, officer_id=officer.id, now=now)
            await set_desk(db, AGENCY, DESK, officer_code="CB01", timeout=120)
            settings = load_settings(env_file=None, database_url=url)
            return {code: (await send_survey(db, settings, code, now=now, flow_id=flow)).token
                    for code in CODES[:surveys]}

    return Seeded(url, run_async(run()))


def stored_evaluation(url: str, code: str) -> tuple[dict, dict] | None:
    """(evaluation columns and its survey's status, answers by field) of a dossier, or None."""
    from storage import Survey, find_dossier

    async def run():
        async with open_database(url) as db, db.transaction() as s:
            dossier = await find_dossier(s, code)
            ev = await s.scalar(select(Evaluation).where(Evaluation.dossier_id == dossier.id))
            if ev is None:
                return None
            rows = await s.scalars(select(Answer).where(Answer.evaluation_id == ev.id))
            answers = {a.field: {"value": a.value, "level": a.level, "text": a.text, "items": a.items} for a in rows}
            survey = await s.get(Survey, ev.survey_id) if ev.survey_id is not None else None
            return {"channel": ev.channel, "flow": ev.flow_id, "lang": ev.language,
                    "schema_version": ev.schema_version, "flow_revision": ev.flow_revision,
                    "status": survey.status if survey else None}, answers

    return run_async(run())


class Client:
    """A cookie-keeping HTTP client over urllib (real HTTP, redirects followed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict | list, *, raw: bytes | None = None) -> tuple[int, str]:
        body = raw if raw is not None else urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def hidden(page: str, name: str) -> str:
    """The value of a hidden input in a page."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


def enrolment_path(url: str, desk: str = DESK) -> str:
    """A fresh one-time enrolment path for a desk, as `hailong kiosk enrol` prints it."""
    from bot.office.kiosks import enrolment_link

    async def run() -> str:
        async with open_database(url) as db:
            return await enrolment_link(db, desk, actor="test", now=datetime.now(timezone.utc))

    return run_async(run())


def enrolled(base: str, url: str, desk: str = DESK) -> Client:
    """A client enrolled as the desk's tablet through the real enrolment page."""
    client = Client(base)
    path = enrolment_path(url, desk)
    status, page = client.get(path)
    assert status == 200, status
    status, page = client.post(path, {"_csrf": hidden(page, "_csrf")})
    assert status == 200 and "data-officer" in page, (status, page[:300])
    return client
