"""What a citizen feels on Telegram (`make bench`; not run by the tests): turn latency, CPU, Bot API calls.

    python -m bench.turns [--rates 100,300] [--seconds 8] [--surveys 5]

`hailong serve` (one process, SQLite) answers signed Telegram updates and sends through a Bot API
double in this process, which timestamps every question it is asked to show.

(f) Turn latency at fixed offered rates: citizens go through the `quick` survey as a person does,
each answer (press a button, type the comment) only after its question reached the double; a
ticker offers answers at the rate (the ready citizen who waited longest, else a new one with
/start). Latency = answer posted → the next question at the double (webhook, turn, commit,
outbox, drain, send). The server's CPU seconds (/proc/<pid>/stat, user + system) over the run,
per answer; the Bot API calls of each completed survey.
(g) Bot API calls for the seven-question standard survey (nd61-standard, "not satisfied" so the
reasons and the comment are asked), every update delivered three times at once.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.dispatch_load import SECRET, Served, serve_with_fake

QUESTIONS = ("sendMessage", "editMessageText")  # a question the person sees (new, or in place of the pressed one)
TYPED = {"contacts": "1", "comment": "bỏ qua", "reasons": "1"}  # standard survey steps answered by typing


@dataclass
class Citizen:
    chat: int
    token: str
    answered: int = 0  # updates posted
    message_id: int = 0  # the question on screen
    buttons: list[str] = field(default_factory=list)  # its callback data
    posted: float = 0.0  # when the last answer was posted (perf_counter)
    calls: int = 0  # Bot API calls made for this chat

    def update(self, update_id: int, text: str = "Nhanh gọn") -> dict[str, Any]:
        """The next update: /start, a press of the question's first button, or a typed answer."""
        user = {"id": self.chat, "is_bot": False, "first_name": "A"}
        chat = {"id": self.chat, "type": "private", "first_name": "A"}
        if self.answered == 0:
            start = f"/start {self.token}"
            return {"update_id": update_id, "message": {
                "message_id": update_id, "date": 0, "text": start, "from": user, "chat": chat,
                "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}}
        if self.buttons:
            return {"update_id": update_id, "callback_query": {
                "id": f"cb{update_id}", "from": user, "chat_instance": "-1", "data": self.buttons[0],
                "message": {"message_id": self.message_id, "date": 0, "text": "?", "chat": chat,
                            "from": {"id": 123, "is_bot": True, "first_name": "Bot"}}}}
        return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                     "from": user, "chat": chat}}


@dataclass(frozen=True, slots=True)
class Latency:
    rate: float  # offered answers/s
    achieved: float  # answers posted per second (below `rate` when no citizen was ready)
    answers: int
    latencies: list[float]  # ms, sorted
    failed: int  # webhooks not answered 200, and questions that never came
    cpu_ms: float  # server CPU per answer
    calls_per_survey: float  # Bot API calls per completed quick survey

    def at(self, share: float) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * share))] if self.latencies else 0.0


def seen(method: str, params: dict[str, Any], result: Any) -> tuple[int, list[str]] | None:
    """A question shown: its message id and buttons; None for any other call."""
    if method not in QUESTIONS:
        return None
    rows = (params.get("reply_markup") or {}).get("inline_keyboard") or []
    return int(result["message_id"]), [row[0]["callback_data"] for row in rows]


async def offered(server: Served, citizens: list[Citizen], rate: float, seconds: float, first_update: int,
                  answers_each: int = 4) -> Latency:
    """Answers offered at `rate`/s for `seconds`; each citizen answers only what it was asked."""
    by_chat = {c.chat: c for c in citizens}
    fresh = collections.deque(citizens)
    ready: collections.deque[Citizen] = collections.deque()
    latencies: list[float] = []
    failed = 0
    waiting: set[int] = set()

    def listener(method: str, params: dict[str, Any], result: Any) -> None:
        citizen = by_chat.get(int(params.get("chat_id", 0)))
        shown = seen(method, params, result)
        if citizen is None:
            return
        citizen.calls += 1
        if shown is None or citizen.chat not in waiting:
            return
        waiting.discard(citizen.chat)
        latencies.append((time.perf_counter() - citizen.posted) * 1000)
        citizen.message_id, citizen.buttons = shown
        if citizen.answered < answers_each:
            ready.append(citizen)

    server.api.listener = listener
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    loop = asyncio.get_running_loop()
    update_id, posted = first_update, 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def post(body: dict[str, Any]) -> None:
            nonlocal failed
            try:
                async with http.post(f"{server.url}/webhooks/telegram", json=body, headers=headers) as r:
                    await r.read()
                    failed += r.status != 200
            except aiohttp.ClientError:
                failed += 1

        cpu, started = server.cpu_seconds(), loop.time()
        tasks, tick = [], started
        while loop.time() < started + seconds:
            citizen = ready.popleft() if ready else fresh.popleft() if fresh else None
            if citizen is not None:
                update_id += 1
                body = citizen.update(update_id)
                citizen.answered += 1
                citizen.posted = time.perf_counter()
                waiting.add(citizen.chat)
                tasks.append(asyncio.create_task(post(body)))
                posted += 1
            tick += 1 / rate
            await asyncio.sleep(max(0.0, tick - loop.time()))
        elapsed = loop.time() - started
        await asyncio.gather(*tasks)
        for _ in range(100):  # the last questions still on their way
            if not waiting:
                break
            await asyncio.sleep(0.1)
        cpu = server.cpu_seconds() - cpu
    server.api.listener = None
    failed += len(waiting)
    done = [c for c in citizens if c.answered == answers_each and c.chat not in waiting]
    return Latency(rate, posted / elapsed, posted, sorted(latencies), failed, cpu * 1000 / max(posted, 1),
                   sum(c.calls for c in done) / max(len(done), 1))


async def latency(work: Path, rates: list[float], seconds: float, env: dict[str, str] | None = None) -> list[Latency]:
    """(f): one `hailong serve` on SQLite; the rates one after the other, each with citizens of its own."""
    need = [int(rate * seconds) + 20 for rate in rates]  # every tick a new citizen, at worst
    async with serve_with_fake(f"sqlite+aiosqlite:///{work / 'turns.db'}", work, workers=1,
                               citizens=sum(need), env=env) as server:
        results, first = [], 0
        for k, rate in enumerate(rates):
            tokens = server.tokens[sum(need[:k]):sum(need[:k + 1])]
            citizens = [Citizen(7_000_000 + first + i, token) for i, token in enumerate(tokens)]
            results.append(await offered(server, citizens, rate, seconds, first_update=first * 10))
            first += len(tokens)
    return results


async def standard_calls(work: Path, surveys: int) -> tuple[float, int, int]:
    """(g): Bot API calls per standard survey, each update posted three times at once; the most
    calls any survey took, and the questions asked per survey (the most)."""
    from sqlalchemy import select

    from storage import Survey, open_database
    from storage.surveys import read_session

    url = f"sqlite+aiosqlite:///{work / 'standard.db'}"
    async with serve_with_fake(url, work, workers=1, citizens=surveys, flow="nd61-standard") as server, \
            open_database(url) as db, aiohttp.ClientSession() as http:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        citizens = [Citizen(8_000_000 + i, token) for i, token in enumerate(server.tokens)]
        by_chat = {c.chat: c for c in citizens}
        arrived: dict[int, asyncio.Event] = {c.chat: asyncio.Event() for c in citizens}

        def listener(method: str, params: dict[str, Any], result: Any) -> None:
            citizen = by_chat.get(int(params.get("chat_id", 0)))
            if citizen is None:
                return
            citizen.calls += 1
            shown = seen(method, params, result)
            if shown is not None:
                citizen.message_id, citizen.buttons = shown
                arrived[citizen.chat].set()

        async def step_of(token: str) -> str | None:
            async with db.transaction() as s:
                survey = await s.scalar(select(Survey).where(Survey.token == token))
                row = await read_session(s, survey.id) if survey is not None else None
            return None if row is None or row.status != "active" else str(row.state["step_id"])

        async def post(body: dict[str, Any]) -> None:
            async with http.post(f"{server.url}/webhooks/telegram", json=body, headers=headers) as r:
                await r.read()
                assert r.status == 200, r.status

        server.api.listener = listener
        update_id, questions = 9_000_000, 0
        for citizen in citizens:
            asked, step = 0, "start"
            while step is not None and asked < 20:
                update_id += 1
                if citizen.answered and step == "overall":
                    citizen.buttons = citizen.buttons[::-1]  # "not satisfied": the reasons and a comment follow
                if step in TYPED:
                    citizen.buttons = []
                arrived[citizen.chat].clear()
                body = citizen.update(update_id, TYPED.get(step, "1"))
                citizen.answered += 1
                await asyncio.gather(*(post(body) for _ in range(3)))
                step = await step_of(citizen.token)
                if step is not None:
                    await asyncio.wait_for(arrived[citizen.chat].wait(), 10)
                    asked += 1
            questions = max(questions, asked)
        await asyncio.sleep(1.0)  # a repeated call would come after the next question: wait for stragglers
        server.api.listener = None
    calls = [c.calls for c in citizens]
    return sum(calls) / len(calls), max(calls), questions


def main(argv: list[str] | None = None) -> tuple[list[Latency], tuple[float, int, int]]:
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,300", help="offered answers/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="each rate's run")
    parser.add_argument("--surveys", type=int, default=5, help="standard surveys for (g)")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        runs = asyncio.run(latency(Path(tmp), rates, args.seconds))
        standard = asyncio.run(standard_calls(Path(tmp), args.surveys))
    print_turns(runs, standard)
    return runs, standard


def print_turns(runs: list[Latency], standard: tuple[float, int, int]) -> None:
    print("\n(f) turn latency: answer posted → next question at the Bot API double; `hailong serve`, SQLite, "
          "1 process, quick survey")
    print(f"{'offered/s':>10}{'achieved/s':>11}{'answers':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'CPU ms/answer':>15}{'calls/survey':>14}{'failed':>8}")
    for r in runs:
        print(f"{r.rate:>10.0f}{r.achieved:>11.1f}{r.answers:>9,}{r.at(0.5):>9.1f}{r.at(0.99):>9.1f}{r.at(1.0):>9.1f}"
              f"{r.cpu_ms:>15.2f}{r.calls_per_survey:>14.1f}{r.failed:>8}")
    mean, most, questions = standard
    print(f"\n(g) Bot API calls, standard survey ({questions} questions), every update delivered ×3 at once: "
          f"{mean:.1f} per survey, at most {most}")


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
