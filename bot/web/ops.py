"""Operations routes: `/healthz` (the process answers), `/readyz` (database reachable and migrated), `/metrics`.

Queue depth and outbox counts are read from the database, so every process reports the same
global figures; the rest comes from prometheus-client (bot/common/metrics.py), summed over the
workers of `hailong serve --workers N`.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from bot.common.metrics import CONTENT_TYPE, METRICS
from bot.web.keys import DATABASE, SETTINGS
from storage import current_async
from storage.outbox import counts_by_status
from storage.schedule import pending_jobs


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready: the database answers and is at the code's migration heads."""
    try:
        async with request.app[DATABASE].transaction() as s:
            await s.execute(text("SELECT 1"))
        revision = await current_async(request.app[SETTINGS].database_url)
    except Exception as exc:  # any failure means "not ready"; the reason without secrets
        return web.json_response({"status": "unavailable", "reason": type(exc).__name__}, status=503)
    if revision is None:
        return web.json_response({"status": "unavailable", "reason": "not migrated"}, status=503)
    return web.json_response({"status": "ok", "revision": revision})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text: queue depth and outbox rows by status (global), send attempts and latency."""
    async with request.app[DATABASE].transaction() as s:
        counts = await counts_by_status(s)
        jobs = await pending_jobs(s)
    depth = counts.get("pending", 0) + counts.get("sending", 0)
    out = ["# TYPE hailong_outbox_queue_depth gauge", f"hailong_outbox_queue_depth {depth}",
           "# TYPE hailong_outbox_messages gauge"]
    out += [f'hailong_outbox_messages{{status="{st}"}} {n}' for st, n in sorted(counts.items())]
    out += ["# TYPE hailong_jobs_pending gauge", f"hailong_jobs_pending {jobs}"]
    body = ("\n".join(out) + "\n").encode() + METRICS.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def _count(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: one request answered, by its route's name (not its path)."""
    METRICS.observe_request(request.match_info.route.name or "other", response.status)


async def _worker_up(app: web.Application) -> None:
    METRICS.worker_started()


def add_routes(app: web.Application) -> None:
    """`GET /healthz`, `GET /readyz` and `GET /metrics`."""
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics, name="metrics")
    app.on_response_prepare.append(_count)
    app.on_startup.append(_worker_up)
