"""Database unavailable → 503 with Retry-After, and one log line per outage instead of a traceback per request.

A full disk, a locked SQLite file past its busy timeout, a PostgreSQL server that restarts or drops
its connections: every request that needs the database fails the same way, and providers
(Telegram, Zalo, Twilio) retry a webhook that did not get a 2xx. So such a failure is answered
503 with `Retry-After`, nothing is written (the transaction rolled back), and the log gets one
WARNING when the outage starts and one INFO line, with the count of refused requests, when a
request succeeds again. Anything else (a bug) still reaches aiohttp's own handler with its
traceback. Messages come from the driver's own exception (never the SQL or its parameters).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web
from sqlalchemy import exc as sa

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE_VI = "Hệ thống đang tạm thời không truy cập được cơ sở dữ liệu. Vui lòng thử lại sau ít phút."
MESSAGE_EN = "The service cannot reach its database for the moment. Please try again in a few minutes."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "storage.")


def _asyncpg_errors() -> tuple[type[BaseException], ...]:
    try:
        import asyncpg
    except ImportError:  # the PostgreSQL extra is not installed
        return ()
    return (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
            asyncpg.TooManyConnectionsError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError)


_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError, sqlite3.OperationalError,
    *_asyncpg_errors(),
)


def _from_driver(tb: TracebackType | None) -> bool:
    """True when the traceback passes through the database driver or our storage (not a provider call)."""
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def database_unavailable(error: BaseException) -> BaseException | None:
    """The driver-level cause when `error` means "the database cannot be used now", else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return current.orig or current
        if isinstance(current, _UNAVAILABLE):
            return getattr(current, "orig", None) or current
        if isinstance(current, (ConnectionError, TimeoutError, OSError)) and _from_driver(current.__traceback__):
            return current
        current = current.__cause__ or current.__context__
    return None


def _reason(cause: BaseException) -> str:
    """The driver's message, first line, short (no SQL, no parameters)."""
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {text[:120]}" if text else type(cause).__name__


def unavailable_response(request: web.Request) -> web.Response:
    """503 in Vietnamese then English: JSON for machines (webhooks, API), text for people."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if "text/html" in request.headers.get("Accept", ""):
        body = (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>503</title>'
                f"<p>{MESSAGE_VI}</p><p lang=\"en\">{MESSAGE_EN}</p></html>")
        return web.Response(status=503, text=body, content_type="text/html", headers=headers)
    return web.json_response({"error": "database_unavailable", "message": MESSAGE_VI, "message_en": MESSAGE_EN},
                             status=503, headers=headers)


class Unavailable:
    """The middleware's state: whether an outage is on, since when, how many requests it refused."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.refused = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException:
            raise
        except Exception as error:
            cause = database_unavailable(error)
            if cause is None:
                raise
            self.refused += 1
            if self.since is None:
                self.since = time.monotonic()
                log.warning("database unavailable (%s): answering 503 with Retry-After %d s until it answers",
                            _reason(cause), RETRY_AFTER_SECONDS)
            return unavailable_response(request)
        if self.since is not None and response.status < 500:
            log.info("database available again after %.0f s; %d request(s) answered 503",
                     time.monotonic() - self.since, self.refused)
            self.since, self.refused = None, 0
        return response


def setup(app: web.Application) -> None:
    """Register the middleware first, outside every other one (the staff middleware reads the database)."""
    app.middlewares.insert(0, Unavailable().middleware)
