"""Per-process metrics: send attempts and a send-latency histogram per channel (Prometheus text).

`/metrics` (bot/web/ops.py) adds the global figures read from the database.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(slots=True)
class Metrics:
    """Per-process counters and a latency histogram per channel."""

    sends: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    buckets: dict[str, list[int]] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    refusals: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))

    def observe_refusal(self, channel: str, klass: str, reason: str) -> None:
        """Count one final refusal by its class (person, account, message) and reason."""
        self.refusals[(channel, klass, reason)] += 1

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
        out.append("# TYPE hailong_send_refusals_total counter")
        out += [f'hailong_send_refusals_total{{channel="{c}",class="{k}",reason="{r}",pid="{pid}"}} {n}'
                for (c, k, r), n in sorted(self.refusals.items())]
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
