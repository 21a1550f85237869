"""Dispatch benchmarks (`make bench`; not run by the tests), printed as a table with the machine.

    python -m bench.dispatch [--answers 4000] [--dossiers 100000] [--drain 3000 --limit 200]

(a) answers/s and p50/p99 through the real webhook path (`hailong serve`: secret check, dedupe,
engine, commit, outbox) on SQLite with one process, and on PostgreSQL with two when
HAILONG_BENCH_POSTGRES_URL is set; a bare aiohttp handler measured in the same run for the ratio;
(b) time to schedule returned dossiers; (c) outbox drain rate against a provider double with a
limit; (d) peak memory of every process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench.dispatch_load import bare_server, peak_rss_mb, run_load, serve_with_fake

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


@dataclass(frozen=True, slots=True)
class Throughput:
    """(a)'s figures for the targets: SQLite, one process, closed loop, beside the bare handler."""

    bare: float  # requests/s of the bare aiohttp handler
    sqlite: float  # answers/s of `hailong serve` on SQLite, one process
    cpu_ms: float  # the server's CPU per answer over that run

    @property
    def ratio(self) -> float:
        return self.sqlite / self.bare


async def answers(n: int, work: Path, pg_url: str | None) -> tuple[list[tuple[str, ...]], Throughput]:
    """(a): closed-loop throughput and open-loop latency at 300/s, beside a bare aiohttp handler."""
    rows, figures = [], None
    async with bare_server(work) as url:
        bare = await run_load(url, n, bare=True)
    rows.append(("bare aiohttp, 1 process", f"{bare.rate:,.0f}", f"{bare.p50:.1f}", f"{bare.p99:.1f}", "", "1.00"))
    targets = [("SQLite, 1 process", f"sqlite+aiosqlite:///{work / 'a.db'}", 1)]
    if pg_url:
        targets.append(("PostgreSQL, 2 processes", pg_url, 2))
    for name, url, workers in targets:
        async with serve_with_fake(url, work, workers=workers, citizens=n // 4 * 2) as server:
            cpu = server.cpu_seconds()
            full = await run_load(server.url, n, tokens=server.tokens[: n // 4])
            cpu = server.cpu_seconds() - cpu
            paced = await run_load(server.url, n, tokens=server.tokens[n // 4:], rate=300)
            rss = server.peak_mb()
        rows.append((name, f"{full.rate:,.0f}", f"{full.p50:.1f}", f"{full.p99:.1f}",
                     f"{paced.p99:.1f}", f"{full.rate / bare.rate:.3f}", f"{cpu * 1000 / n:.2f}", f"{rss:.0f}"))
        if figures is None:
            figures = Throughput(bare.rate, full.rate, cpu * 1000 / n)
    assert figures is not None
    return rows, figures


async def schedule(n: int, work: Path) -> tuple[float, float]:
    """(b): seconds to open and schedule `n` returned dossiers, and the process's peak memory."""
    from bot.common.settings import load_settings
    from bot.conversation.schedule_bulk import schedule_returned
    from storage import open_database, upgrade_async

    path = work / "b.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    _dossiers(path, n)
    settings = load_settings(env_file=None, database_url=url)
    async with open_database(url) as db:
        started = time.perf_counter()
        done = await schedule_returned(db, settings, now=datetime.now(timezone.utc))
        seconds = time.perf_counter() - started
    assert done == n, done
    return seconds, peak_rss_mb()


def _dossiers(path: Path, n: int) -> None:
    now = datetime.now(timezone.utc).isoformat(" ")
    with sqlite3.connect(path) as con:
        con.execute("INSERT INTO agencies (id, code, name, settings, created_at) VALUES (1, 'B1', 'A', '{}', ?)", (now,))
        con.executemany("INSERT INTO dossiers (code, agency_id, status, received_on, returned_on, created_at, "
                        "updated_at) VALUES (?, 1, 10, '2026-11-01', '2026-11-20', ?, ?)",
                        ((f"D-{i}", now, now) for i in range(n)))


async def drain(n: int, limit: float, work: Path) -> tuple[float, int, int]:
    """(c): sustained sends/s against a provider double limited to `limit`/s, and the busiest second."""
    from bench.dispatch_load import drain_run

    return await drain_run(n, limit, work)


def main(argv: list[str] | None = None) -> Throughput:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=4000)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--drain", type=int, default=3000)
    parser.add_argument("--limit", type=float, default=200)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        table, figures = asyncio.run(answers(args.answers, work, os.environ.get("HAILONG_BENCH_POSTGRES_URL")))
        print("\n(a) webhook answers (signed Telegram updates, dedupe, engine, commit, outbox), 32 at a time; "
              "p99@300/s: the webhook's answer, updates posted at 300/s")
        print(f"{'server':<26}{'answers/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'p99@300/s':>11}{'x/bare':>8}"
              f"{'CPU ms':>8}{'RSS MB':>8}")
        for row in table:
            print(f"{row[0]:<26}" + "".join(f"{c:>{w}}" for c, w in zip(row[1:], (11, 9, 9, 11, 8, 8, 8))))
        seconds, rss = asyncio.run(schedule(args.dossiers, work))
        print(f"\n(b) scheduled {args.dossiers:,} returned dossiers (surveys + timers) in {seconds:.1f} s; "
              f"peak RSS {rss:.0f} MB")
        rate, busiest, burst = asyncio.run(drain(args.drain, args.limit, work))
        print(f"\n(c) outbox drain, limit {args.limit:.0f}/s: sustained {rate:.1f}/s, busiest 1-s window "
              f"{busiest} sends (bucket burst {burst})")
    print(f"\n(d) peak memory: bench process {peak_rss_mb():.0f} MB (servers: RSS column above)")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
