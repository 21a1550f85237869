"""Operations: `/readyz` (database reachable and migrated), `/metrics` (Prometheus text), log masking.

Queue depth and outbox counts are read from the database, so every process reports the same
global figures; send latency is this process's own (label `pid`).
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import text

from bot.keys import DATABASE, SETTINGS
from storage import current_async
from storage.outbox import counts_by_status
from storage.schedule import pending_jobs

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(slots=True)
class Metrics:
    """Per-process counters and a latency histogram per channel."""

    sends: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    buckets: dict[str, list[int]] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def observe_send(self, channel: str, delivery: str, seconds: float) -> None:
        """Count one send attempt and its latency."""
        self.sends[(channel, delivery)] += 1
        counts = self.buckets.setdefault(channel, [0] * (len(BUCKETS) + 1))
        counts[next((i for i, b in enumerate(BUCKETS) if seconds <= b), len(BUCKETS))] += 1
        self.sums[channel] += seconds

    def lines(self) -> list[str]:
        """This process's series in Prometheus text format."""
        pid = os.getpid()
        out = ["# TYPE hailong_send_attempts_total counter"]
        out += [f'hailong_send_attempts_total{{channel="{c}",delivery="{d}",pid="{pid}"}} {n}'
                for (c, d), n in sorted(self.sends.items())]
        out.append("# TYPE hailong_send_seconds histogram")
        for channel, counts in sorted(self.buckets.items()):
            running = 0
            for bound, n in zip((*map(str, BUCKETS), "+Inf"), counts):
                running += n
                out.append(f'hailong_send_seconds_bucket{{channel="{channel}",le="{bound}",pid="{pid}"}} {running}')
            out.append(f'hailong_send_seconds_sum{{channel="{channel}",pid="{pid}"}} {self.sums[channel]:.6f}')
            out.append(f'hailong_send_seconds_count{{channel="{channel}",pid="{pid}"}} {running}')
        return out


METRICS = Metrics()


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
    out += ["# TYPE hailong_jobs_pending gauge", f"hailong_jobs_pending {jobs}", *METRICS.lines()]
    return web.Response(text="\n".join(out) + "\n", content_type="text/plain", charset="utf-8")


def add_routes(app: web.Application) -> None:
    """`GET /readyz` and `GET /metrics`."""
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics, name="metrics")


# --- logs with personal data and secrets masked ------------------------------------------

_PHONE = re.compile(r"(?<![\w/])(\+?84|0)(\d{2})\d{4,6}(\d{2})(?!\w)")
_TOKEN = re.compile(r"\b(\d{6,12}):[A-Za-z0-9_-]{30,}\b|\b[A-Za-z0-9_-]{32}\b")


def mask(message: str) -> str:
    """Phone numbers keep only their first and last digits; bot tokens and survey tokens go."""
    message = _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(3)}", message)
    return _TOKEN.sub("***", message)


class MaskingFilter(logging.Filter):
    """Rewrites every record's message through `mask` (attach to the root handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        masked = mask(record.getMessage())
        record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record: a traceback's exception text is not part of the message."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Root logging with masking; one line per record with the process id (several workers)."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter())
        handler.setFormatter(MaskingFormatter(LOG_FORMAT))
