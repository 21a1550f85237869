"""A channel added by a folder and a registry entry only: the app serves its webhook, the one
inbound path applies its events, the outbox sends through its sender, and nothing in bot/ or
channels/ names it."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone
from pathlib import Path

import aiohttp
from live import serve_app_here
from sqlalchemy import select

from bot.app import create_app
from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from channels.registry import REGISTRY, with_channel
from storage import Evaluation, upsert_agency, upsert_dossier
from tests.bot.conversation.test_telegram import drained
from tests.channels.parrot.parrot import HEADER, OPENED, SPEC, sign

ROOT = Path(__file__).resolve().parents[3]
CODE = "000.17.22.H56-261118-0001"


async def test_a_channel_from_its_folder_and_one_registry_entry(db, database_url: str) -> None:
    settings = load_settings(env_file=None, database_url=database_url, default_flow="quick")
    now = datetime.now(timezone.utc)
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=now)
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=now)
    token = (await send_survey(db, settings, CODE, now=now)).token
    OPENED.clear()
    app = create_app(settings, registry=with_channel(SPEC, REGISTRY))
    async with serve_app_here(app) as url, aiohttp.ClientSession() as http:
        async def post(payload: dict, signature: str | None = None) -> int:
            body = json.dumps(payload).encode()
            headers = {HEADER: signature if signature is not None else sign(body)}
            async with http.post(f"{url}/webhooks/ext/parrot", data=body, headers=headers) as response:
                status = response.status
            await drained(db)
            return status

        assert await post({"id": "0", "from": "p1", "text": f"/start {token}"}, signature="forged") == 401
        async with http.post(f"{url}/webhooks/ext/nobody", data=b"{}") as response:
            assert response.status == 404
        assert await post({"id": "1", "from": "p1", "text": f"/start {token}"}) == 200
        [parrot] = OPENED
        first = parrot.sender.outbox[0]
        assert first.address == "p1" and first.choices and first.step == "overall"
        assert await post({"id": "2", "from": "p1", "press": f"overall:{first.choices[0].code}", "message": "p1"}) == 200
        assert await post({"id": "2", "from": "p1", "press": "overall:3", "message": "p1"}) == 200  # redelivered
        for i, text in enumerate(("1", "bỏ qua"), start=3):
            assert await post({"id": str(i), "from": "p1", "text": text}) == 200
        await asyncio.sleep(0)
    async with db.transaction() as s:
        [evaluation] = (await s.scalars(select(Evaluation))).all()
    assert evaluation.channel == "portal"  # the schema's channel it is filed under
    assert len(parrot.sender.outbox) == 4 and parrot.sender.outbox[1].replaces == "p1"  # questions and thanks
    # The channel lives in this folder and the registry entry handed to create_app: nothing else names it.
    named = [p for folder in ("bot", "channels") for p in (ROOT / folder).rglob("*.py") if "parrot" in p.read_text()]
    assert named == []
