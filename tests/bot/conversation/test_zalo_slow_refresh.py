"""A Zalo token refresh that Zalo holds for 10 s (twice SQLite's 5 s busy timeout) stalls nothing (issue 14): the HTTP call runs outside
any transaction (a lease on the token row, not a row lock), so on SQLite the webhooks keep answering
200 within their usual time and /readyz stays ready; the refresh token is still traded once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from live import serve_app_here

from bot.app import create_app
from storage import find_contact_address
from storage.provider_tokens import TokenPair, load_tokens, save_tokens
from tests.bot.conversation.test_zalo import CODE, PHONE, seed, zalo_settings
from tests.channels.test_channels_zalo import text_event
from tests.channels.zalo_fake import FakeZalo, sign

HELD = 10.0  # longer than the busy timeout (5 s): a lock held across the call would fail a webhook


async def _post(http: aiohttp.ClientSession, url: str, event: dict) -> tuple[int, float]:
    body, headers = sign(event)
    started = time.monotonic()
    async with http.post(f"{url}/webhooks/zalo", data=body, headers=headers) as r:
        await r.read()
        return r.status, time.monotonic() - started


async def test_a_refresh_held_10_s_does_not_stall_the_webhooks_on_sqlite(backend: str, db, database_url: str) -> None:
    if backend != "sqlite":
        pytest.skip("the single SQLite writer is what a lock held across the HTTP call would stall")
    zalo = FakeZalo(refresh_delay=HELD)
    await zalo.start()
    settings = zalo_settings(database_url, zalo)
    await seed(db)
    now = datetime.now(UTC)
    async with db.transaction() as s:
        assert await find_contact_address(s, "sms", PHONE) is not None
        await save_tokens(s, "zalo_oa", TokenPair("AT-0", "RT-1", now - timedelta(minutes=1)), now=now)
    try:
        async with serve_app_here(create_app(settings)) as url, aiohttp.ClientSession() as http:
            # The citizen writes the dossier code: the answer's send needs a token, so the refresh starts.
            assert (await _post(http, url, text_event("m0", CODE)))[0] == 200
            deadline = time.monotonic() + 10
            while not zalo.sent("/v4/oa/access_token"):
                assert time.monotonic() < deadline, "the refresh never started"
                await asyncio.sleep(0.05)
            started = time.monotonic()
            answers = []
            for n in range(1, 13):  # 12 more messages, over about 5 s, while Zalo holds the refresh
                answers.append(await _post(http, url, text_event(f"m{n}", str(n % 5 + 1), user=f"user-{n}")))
                async with http.get(f"{url}/readyz") as r:
                    assert r.status == 200
                await asyncio.sleep(0.4)
            still_held = time.monotonic() - started < HELD - 2
    finally:
        await zalo.stop()
    assert still_held, "the webhooks were posted after the refresh ended: the test proved nothing"
    assert [status for status, _ in answers] == [200] * 12
    assert max(seconds for _, seconds in answers) < 2.0  # nobody waited for the refresh (busy timeout is 5 s)
    async with db.transaction() as s:
        pair = await load_tokens(s, "zalo_oa")
    assert [c.body["refresh_token"] for c in zalo.sent("/v4/oa/access_token")] == ["RT-1"]
    assert pair.refresh_token in ("RT-1", "RT-2")  # traded once (stored when the call returned in time)
