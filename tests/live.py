"""Real parts for page tests: the app served on a real port, and a real Chromium.

- `serve_app(settings)`: runs `bot.app.create_app(settings)` in a background thread with its
  own event loop on a free 127.0.0.1 port; yields the base URL; stops it cleanly.
- `launch_chromium(playwright)`: Debian's Chromium (`/usr/bin/chromium`, installed by
  `make test`), never a downloaded browser.
- `ARTIFACTS`: where screenshots go (`var/test-artifacts/`, kept after the run);
  `screenshot_path(name)` names the database backend of the running test (`kiosk-code-sqlite.png`,
  `kiosk-code-postgresql.png`), set by the `chromium` fixture through `artifacts_for(backend)`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(settings: Any, **app_options: Any) -> Iterator[str]:
    """Serve the real app (`create_app(settings, **app_options)`) over HTTP for the duration of the block;
    yields its base URL."""
    from bot.app import create_app

    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(settings, **app_options))
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the app did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium under Playwright, headless."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


_artifact_backend: str | None = None  # the running browser test's backend, if it has one


@contextmanager
def artifacts_for(backend: str | None) -> Iterator[None]:
    """Name the screenshots taken inside the block after ``backend`` ("sqlite", "postgresql")."""
    global _artifact_backend
    _artifact_backend = backend
    try:
        yield
    finally:
        _artifact_backend = None


def screenshot_path(name: str) -> Path:
    """``var/test-artifacts/<name>-<backend>.png``, so one backend's run never overwrites the other's."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (f"{name}-{_artifact_backend}.png" if _artifact_backend else f"{name}.png")


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to completion from sync code, even beside Playwright's own loop."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


class FakeServer:
    """A local HTTP server speaking a provider's API on a free port; subclasses add `routes`.

    Subclasses are dataclasses with `base_url: str = ""` and `_runner: web.AppRunner | None = None`.
    """

    base_url: str
    _runner: web.AppRunner | None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)  # a provider's log, not ours (its paths hold tokens)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@asynccontextmanager
async def serve_app_here(app: web.Application) -> AsyncIterator[str]:
    """Serve an app in the test's own event loop on a free port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
