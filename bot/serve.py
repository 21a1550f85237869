"""`hailong serve --workers N`: N identical processes sharing one port (SO_REUSEPORT), the kernel spreads connections.

Nothing a request needs lives in a process: surveys, outbox, timers and limits are in the
database, so any worker may take any request and any worker may die.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Callable

import click
from aiohttp import web

from bot.app import create_app
from bot.common.database import NotInitialised
from bot.common.logs import configure_logging
from bot.common.settings import Settings
from bot.web.logs import AccessLogger  # masks survey tokens in logged paths
from storage import current


def run_workers(workers: int, serve: Callable[[], None]) -> None:
    """Run `serve` in `workers` child processes; stop them all on SIGINT/SIGTERM or when one fails."""
    context = multiprocessing.get_context("fork")  # the children inherit the loaded settings
    children = [context.Process(target=serve, name=f"hailong-{i}", daemon=False) for i in range(workers)]
    for child in children:
        child.start()

    def stop(*_: object) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: aiohttp shuts down cleanly

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(child.exitcode is None for child in children):
        children[0].join(0.5)
    stop()
    for child in children:
        child.join(30)
    sys.exit(max((child.exitcode or 0) for child in children))


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

    serve() if workers <= 1 else run_workers(workers, serve)
