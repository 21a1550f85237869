"""Dossier import benchmark (`make bench`; not run by the tests): rows/s, and webhooks answered meanwhile.

    python -m bench.import_rows [--rows 20000] [--rate 50] [--max-seconds 30] [--max-p99-ms 300]

A CSV of `--rows` new dossiers (30 agencies, 120 procedures, 8 officers an agency, a phone on 4
rows in 5) is imported on a fresh SQLite file with `hailong dossiers import`, a process of its
own, as an operator runs it:

1. alone;
2. beside `hailong serve` on the same file, which answers signed Telegram updates posted at
   `--rate` per second for as long as the import runs (citizens going through the `quick` survey,
   each update after the answer to the one before: dedupe, engine, commit, outbox, a fake Bot
   API); the same load without an import first, for comparison.

Printed as a table: the import's seconds and rows/s, the webhooks' p50/p99/max, and the answers
that were not 200 (a 503 is a webhook that waited past the busy timeout: "database is locked").
Exit 1 when the import beside `serve` takes more than `--max-seconds` (issue "Speed": 20,000 rows
in 30 s), its webhooks' p99 is over `--max-p99-ms` (300 ms), or any webhook was not answered 200.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from bench.dispatch import machine
from bench.dispatch_load import ROOT, SECRET, conversations, serve_with_fake

COLUMNS = ("code,agency_code,status,received_on,due_on,returned_on,agency_name,field_code,field_name,"
           "procedure_code,procedure_name,officer_code,officer_name,phone,applicant_name")
AGENCIES, PROCEDURES, FIELDS, OFFICERS = 30, 120, 12, 8


@dataclass(frozen=True, slots=True)
class Import:
    seconds: float
    rows: int
    code: int
    stderr: str


@dataclass(frozen=True, slots=True)
class Webhooks:
    latencies: list[float]  # ms, sorted
    failed: int  # answers other than 200, and requests that got no answer

    def at(self, share: float) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * share))] if self.latencies else 0.0


def write_csv(path: Path, rows: int, seed: int = 20) -> Path:
    """`rows` valid new dossiers, spread over the agencies, procedures and officers of a district."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(COLUMNS + "\n")
        for i in range(rows):
            a, p, o = rng.randrange(AGENCIES), rng.randrange(PROCEDURES), rng.randrange(OFFICERS)
            agency = f"000.{a:02d}.22.H56"
            received = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
            due = received + timedelta(days=rng.choice((3, 5, 7)))
            status = rng.choice((4, 9, 10, 10))
            returned = (due + timedelta(days=rng.choice((-1, 0, 1)))).isoformat() if status == 10 else ""
            phone = f"091{rng.randrange(10**7):07d}" if rng.random() < 0.8 else ""
            out.write(f"{agency}-{received:%y%m%d}-{i:05d},{agency},{status},{received},{due},{returned},"
                      f"UBND Phường {a},F{p % FIELDS},Lĩnh vực {p % FIELDS},P{p:03d},Thủ tục {p},CB{o},"
                      f"Cán bộ {a}-{o},{phone},Nguyễn Văn {i}\n")
    return path


async def run_import(url: str, csv: Path, rows: int) -> Import:
    """`hailong dossiers import` in a process of its own; its wall-clock seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")} | {
        "HAILONG_DATABASE_URL": url, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "dossiers", "import", str(csv), cwd=csv.parent, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    return Import(time.perf_counter() - started, rows, process.returncode or 0, stderr.decode())


async def post_webhooks(url: str, tokens: list[str], rate: float, until: asyncio.Event | float) -> Webhooks:
    """Signed updates at `rate`/s, citizen by citizen through a survey, until `until` is set (or for `until` s)."""
    ready = collections.deque((chat, 0) for chat in conversations(tokens))
    latencies: list[float] = []
    failed = 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + until if isinstance(until, float) else None
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def one(chat: list[dict], step: int) -> None:
            nonlocal failed
            started = time.perf_counter()
            try:
                async with http.post(f"{url}/webhooks/telegram", json=chat[step], headers=headers) as r:
                    await r.read()
                    failed += r.status != 200
            except aiohttp.ClientError:
                failed += 1
            latencies.append((time.perf_counter() - started) * 1000)
            if step + 1 < len(chat):
                ready.append((chat, step + 1))

        tasks, tick = [], loop.time()
        while not (until.is_set() if isinstance(until, asyncio.Event) else loop.time() >= deadline):
            if not ready:
                raise RuntimeError("not enough citizens for this rate: seed more")
            tasks.append(asyncio.create_task(one(*ready.popleft())))
            tick += 1 / rate
            await asyncio.sleep(max(0.0, tick - loop.time()))
        await asyncio.gather(*tasks)
    return Webhooks(sorted(latencies), failed)


async def measure(work: Path, rows: int, rate: float, alone_seconds: float) -> tuple[Import, Import, Webhooks, Webhooks]:
    """The import alone; webhooks alone; the import beside `serve` with its webhooks."""
    from storage import upgrade_async

    csv = write_csv(work / "dossiers.csv", rows)
    url = f"sqlite+aiosqlite:///{work / 'alone.db'}"
    await upgrade_async(url)
    alone = await run_import(url, csv, rows)
    # Enough citizens for the import's wall time at this rate, with room for a slow machine (4 updates each).
    citizens = int(rate * (alone_seconds + 3 * alone.seconds + 30)) // 4 + 10
    served = f"sqlite+aiosqlite:///{work / 'served.db'}"
    async with serve_with_fake(served, work, workers=1, citizens=citizens) as server:
        first = int(rate * alone_seconds) // 4 + 2  # the citizens of the load without an import
        quiet = await post_webhooks(server.url, server.tokens[:first], rate, alone_seconds)
        done = asyncio.Event()
        load = asyncio.create_task(post_webhooks(server.url, server.tokens[first:], rate, done))
        await asyncio.sleep(0.5)  # the load is running before the import starts
        beside = await run_import(served, csv, rows)
        done.set()
        during = await load
    return alone, beside, quiet, during


def verdict(beside: Import, during: Webhooks, max_seconds: float, max_p99: float) -> str | None:
    """Why the benchmark failed, or None when it passed."""
    problems = []
    if beside.code != 0:
        last = (beside.stderr.strip().splitlines() or [""])[-1]
        problems.append(f"the import beside serve exited {beside.code} ({last})")
    if beside.seconds > max_seconds:
        problems.append(f"the import beside serve took {beside.seconds:.1f} s, over {max_seconds:g} s (--max-seconds)")
    if during.at(0.99) > max_p99:
        problems.append(f"webhooks during the import: p99 {during.at(0.99):.0f} ms, over {max_p99:g} ms (--max-p99-ms)")
    if during.failed:
        problems.append(f"{during.failed} webhook(s) during the import not answered 200")
    return "FAILED: " + "; ".join(problems) if problems else None


def main(argv: list[str] | None = None) -> int:
    return run(argv)[0]


def run(argv: list[str] | None = None) -> tuple[int, Import, Webhooks]:
    """The benchmark: its exit code, the import beside `serve`, and the webhooks meanwhile."""
    parser = argparse.ArgumentParser(prog="python -m bench.import_rows", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=50, help="webhook updates per second (default 50)")
    parser.add_argument("--quiet-seconds", type=float, default=5.0, help="webhooks alone, for comparison")
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--max-p99-ms", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.rate <= 0 or args.quiet_seconds <= 0:
        parser.error("--rows must be at least 1, --rate and --quiet-seconds above 0")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        alone, beside, quiet, during = asyncio.run(measure(Path(tmp), args.rows, args.rate, args.quiet_seconds))
    print(f"\n(e) dossier import, {args.rows:,} rows, SQLite: `hailong dossiers import` (its own process), "
          f"alone and beside `hailong serve` answering Telegram updates at {args.rate:g}/s")
    print(f"{'run':<30}{'seconds':>9}{'rows/s':>9}{'webhooks':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'not 200':>9}")
    print(f"{'import alone':<30}{alone.seconds:>9.1f}{alone.rows / alone.seconds:>9,.0f}")
    print(f"{'webhooks alone':<30}{'':>9}{'':>9}{len(quiet.latencies):>10,}{quiet.at(0.5):>9.1f}{quiet.at(0.99):>9.1f}"
          f"{quiet.at(1.0):>9.1f}{quiet.failed:>9}")
    print(f"{'import + webhooks':<30}{beside.seconds:>9.1f}{beside.rows / beside.seconds:>9,.0f}"
          f"{len(during.latencies):>10,}{during.at(0.5):>9.1f}{during.at(0.99):>9.1f}{during.at(1.0):>9.1f}"
          f"{during.failed:>9}")
    failed = verdict(beside, during, args.max_seconds, args.max_p99_ms)
    if failed:
        print(failed, file=sys.stderr)
        return 1, beside, during
    print(f"passed: {args.rows:,} rows in {beside.seconds:.1f} s ≤ {args.max_seconds:g} s beside serve; webhooks "
          f"p99 {during.at(0.99):.0f} ms ≤ {args.max_p99_ms:g} ms, all answered 200")
    return 0, beside, during


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
