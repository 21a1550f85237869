"""`/metrics` of `hailong serve --workers 2`: whichever worker answers the scrape, it reports the sum
of both workers' counts (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp

from tests.bot.dispatchkit import Server, server_env
from tests.channels.telegram_fake import FakeBotApi
from tests.live import free_port

REQUESTS = 40
SCRAPES = 8


def _value(body: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", body, re.M)
    assert found, f"{series} missing from /metrics"
    return float(found.group(1))


async def test_metrics_sum_every_workers_counts(database_url: str, tmp_path: Path) -> None:
    api = FakeBotApi()
    await api.start()
    server = Server(f"http://127.0.0.1:{free_port()}", server_env(database_url, api.base_url, api.token),
                    tmp_path, workers=2)
    try:
        server.start()
        await server.ready()
        # A new connection for every request: SO_REUSEPORT spreads connections over the workers.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            async def get(path: str) -> str:
                async with http.get(f"{server.url}{path}") as r:
                    assert r.status == 200
                    return await r.text()

            await asyncio.gather(*(get("/healthz") for _ in range(REQUESTS)))
            scrapes = [await get("/metrics") for _ in range(SCRAPES)]
    finally:
        server.stop()
        await api.stop()
    live = {frozenset(re.findall(r'^hailong_worker_up\{pid="(\d+)"\} 1\.0$', body, re.M)) for body in scrapes}
    assert len(live) == 1 and len(next(iter(live))) == 2, live  # every scrape sees both workers
    counted = [_value(body, 'hailong_http_requests_total{route="healthz",status="200"}') for body in scrapes]
    assert counted == [REQUESTS] * SCRAPES
    assert "hailong_outbox_queue_depth 0" in scrapes[0]
