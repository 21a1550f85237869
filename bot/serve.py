"""`hailong serve --workers N`: N identical processes sharing one port (SO_REUSEPORT), the kernel spreads connections.

Nothing a request needs lives in a process: surveys, outbox, timers and limits are in the
database, so any worker may take any request and any worker may die. The parent is a small
supervisor: a worker that dies is replaced at once (the others keep serving); a worker that
keeps dying (`MAX_DEATHS` deaths within `DEATH_WINDOW` seconds) makes the parent stop the rest
and exit 1, so that systemd (`Restart=on-failure`) or an operator sees it; SIGTERM or SIGINT
stop every worker cleanly and the parent exits 0.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import wait

import click
from aiohttp import web

from bot.app import create_app
from bot.common.database import NotInitialised
from bot.common.logs import configure_logging
from bot.common.metrics import share_between_workers, worker_died
from bot.common.settings import Settings
from bot.web.logs import AccessLogger  # masks survey tokens in logged paths
from storage import current

log = logging.getLogger(__name__)

MAX_DEATHS = 5  # deaths of workers within DEATH_WINDOW seconds that make the supervisor give up
DEATH_WINDOW = 60.0
STOP_TIMEOUT = 30.0  # seconds a worker gets to shut down on SIGTERM before it is killed
GAVE_UP = 1  # the parent's exit code when workers keep dying


class Supervisor:
    """Keeps `workers` children running `serve`; see the module's docstring for the rules."""

    def __init__(self, workers: int, serve: Callable[[], None], *, max_deaths: int = MAX_DEATHS,
                 window: float = DEATH_WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.serve, self.max_deaths, self.window, self.clock = serve, max_deaths, window, clock
        self.context = multiprocessing.get_context("fork")  # the children inherit the loaded settings
        self.children: list[multiprocessing.process.BaseProcess | None] = [None] * workers
        self.deaths: deque[float] = deque()
        self.stopping = False

    def _child(self) -> None:
        # A forked child must not run the parent's handlers: aiohttp installs its own on start-up.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        self.serve()

    def _start(self, index: int) -> multiprocessing.process.BaseProcess:
        child = self.context.Process(target=self._child, name=f"hailong-{index}", daemon=False)
        child.start()
        self.children[index] = child
        return child

    def _request_stop(self, *_: object) -> None:
        self.stopping = True

    def _died(self, index: int) -> bool:
        """Record a death; False when the workers keep dying (give up)."""
        child = self.children[index]
        assert child is not None  # a death is recorded for a started child
        now = self.clock()
        self.deaths.append(now)
        while self.deaths and self.deaths[0] < now - self.window:
            self.deaths.popleft()
        log.warning("worker %s (pid %s) exited with code %s; %d death(s) in the last %.0f s",
                    child.name, child.pid, child.exitcode, len(self.deaths), self.window)
        if child.pid is not None:
            worker_died(child.pid)
        return len(self.deaths) < self.max_deaths

    def _stop_all(self) -> None:
        alive = [c for c in self.children if c is not None and c.is_alive()]
        for child in alive:
            child.terminate()  # SIGTERM: aiohttp shuts down cleanly
        deadline = self.clock() + STOP_TIMEOUT
        for child in alive:
            child.join(max(0.0, deadline - self.clock()))
            if child.is_alive():
                log.warning("worker %s (pid %s) did not stop in %.0f s: killed", child.name, child.pid, STOP_TIMEOUT)
                child.kill()
                child.join()

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT (0) or until the workers keep dying (GAVE_UP)."""
        previous = {s: signal.signal(s, self._request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for index in range(len(self.children)):
                self._start(index)
            while not self.stopping:
                wait([c.sentinel for c in self.children if c is not None], timeout=0.5)
                for index, child in enumerate(self.children):
                    if self.stopping or child is None or child.exitcode is None:
                        continue
                    child.join()
                    if not self._died(index):
                        log.error("workers keep dying (%d in %.0f s): stopping the others and giving up",
                                  len(self.deaths), self.window)
                        self._stop_all()
                        return GAVE_UP
                    replacement = self._start(index)
                    log.warning("worker %s replaced by pid %s", child.name, replacement.pid)
            self._stop_all()
            return 0
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def run_workers(workers: int, serve: Callable[[], None]) -> None:
    """Run `serve` in `workers` supervised child processes; exit 0 on SIGTERM/SIGINT, 1 when they keep dying."""
    sys.exit(Supervisor(workers, serve).run())


def serve_forever(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Run the web server until interrupted (`workers` processes sharing the port)."""
    configure_logging(settings.log_level)  # phone numbers and tokens masked
    if current(settings.database_url) is None:
        raise NotInitialised()
    url = f"http://{host}:{port}/"

    def serve() -> None:
        web.run_app(
            create_app(settings), host=host, port=port, access_log_class=AccessLogger, reuse_port=workers > 1,
            print=lambda _: click.echo(f"Đang phục vụ tại / serving on {url} (Ctrl+C để dừng / to stop)"),
        )

    if workers <= 1:
        serve()
        return
    share_between_workers()  # /metrics sums every worker's counts (before the first fork)
    run_workers(workers, serve)
