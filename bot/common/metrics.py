"""Metrics through prometheus-client: send attempts, refusals and latency per channel, HTTP requests
per route, live workers.

One process (`hailong serve`): the values live in the process and `/metrics` shows them with
prometheus-client's process and Python collectors. Several workers (`hailong serve --workers N`):
prometheus-client's multiprocess mode — every worker writes its values to files in
`PROMETHEUS_MULTIPROC_DIR`, and `/metrics`, whichever worker answers it, sums every worker's
counters and histograms (dead workers' counts included, as counters must). `hailong serve`
makes a fresh directory when the variable is unset and empties a given one at start-up.

prometheus-client chooses between the two modes when it is first imported, from that variable,
so it is imported at first use here (`Metrics._series`), never at module import: the supervisor
sets the variable before any worker exists. `/metrics` adds the global figures read from the
database (bot/web/ops.py).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class _Series:
    sends: Counter
    refusals: Counter
    send_seconds: Histogram
    requests: Counter
    worker_up: Gauge


class Metrics:
    """The product's series; created, with prometheus-client imported, at first use."""

    @cached_property
    def _series(self) -> _Series:
        import prometheus_client as pc  # here, not at module import: see the module's docstring

        return _Series(
            sends=pc.Counter("hailong_send_attempts", "Send attempts by channel and outcome",
                             ["channel", "delivery"]),
            refusals=pc.Counter("hailong_send_refusals", "Final refusals by class (person, account, message)",
                                ["channel", "class", "reason"]),
            send_seconds=pc.Histogram("hailong_send_seconds", "Time one send took", ["channel"], buckets=BUCKETS),
            requests=pc.Counter("hailong_http_requests", "HTTP requests answered, by route name and status",
                                ["route", "status"]),
            worker_up=pc.Gauge("hailong_worker_up", "1 per live serving process (label pid with --workers)",
                               multiprocess_mode="liveall"),
        )

    def observe_refusal(self, channel: str, klass: str, reason: str) -> None:
        """Count one final refusal by its class (person, account, message) and reason."""
        self._series.refusals.labels(channel, klass, reason).inc()

    def observe_send(self, channel: str, delivery: str, seconds: float) -> None:
        """Count one send attempt and its latency."""
        self._series.sends.labels(channel, delivery).inc()
        self._series.send_seconds.labels(channel).observe(seconds)

    def observe_request(self, route: str, status: int) -> None:
        """Count one answered HTTP request by its route's name (never its path: no tokens, no codes)."""
        self._series.requests.labels(route, str(status)).inc()

    def worker_started(self) -> None:
        """Mark this process as a live worker."""
        self._series.worker_up.set(1)

    def exposition(self) -> bytes:
        """Every series in Prometheus text format: this process's, or every worker's summed."""
        from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

        _ = self._series  # created before the first scrape, so that the series exist
        if not os.environ.get(MULTIPROC_DIR):
            return generate_latest(REGISTRY)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
        return generate_latest(registry)


def share_between_workers() -> Path:
    """Before forking workers: a clean `PROMETHEUS_MULTIPROC_DIR` (a new one, removed at exit, when unset)."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # a previous run's values would be added to this run's
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix="hailong-metrics-"))
    os.environ[MULTIPROC_DIR] = str(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def worker_died(pid: int) -> None:
    """A worker is gone: its live-worker gauge goes (its counts stay in the sums)."""
    if os.environ.get(MULTIPROC_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]  # unannotated upstream


METRICS = Metrics()
