"""python-telegram-bot's networking on aiohttp: the typed `Bot`, a lighter HTTP client under it.

PTB's default backend (httpx, httpcore, anyio) costs several times aiohttp's CPU per call, and the
outbox drain makes one call per message: `AiohttpRequest` is PTB's documented extension point
(`telegram.request.BaseRequest`), so `Bot`, its methods, its errors and its parsing stay as they are.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp session with up to `connection_pool_size` connections."""

    def __init__(self, connection_pool_size: int = 1, *, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, write_timeout: float | None = 5.0) -> None:
        self._size, self._read, self._connect = connection_pool_size, read_timeout, connect_timeout
        self._write = write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._size))

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE, write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE, pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call: (HTTP status, body); TimedOut or NetworkError as PTB's own backend raises them."""
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        read = self._read if isinstance(read_timeout, type(BaseRequest.DEFAULT_NONE)) else read_timeout
        connect = self._connect if isinstance(connect_timeout, type(BaseRequest.DEFAULT_NONE)) else connect_timeout
        write = self._write if isinstance(write_timeout, type(BaseRequest.DEFAULT_NONE)) else write_timeout
        timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=_longest(read, write))  # type: ignore[arg-type]
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout,
                                             headers={"User-Agent": self.USER_AGENT}) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _longest(*timeouts: object) -> float | None:
    values = [t for t in timeouts if isinstance(t, (int, float))]
    return None if len(values) < len(timeouts) else max(values)


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB's httpx backend sends them (each value JSON-encoded), files as multipart."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData(request_data.json_parameters)
    for name, part in request_data.multipart_data.items():
        filename, content, mime = part[0], part[1], part[2] if len(part) > 2 else None
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
