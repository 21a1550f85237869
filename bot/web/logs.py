"""The access log without secrets: survey tokens in paths are masked (a token opens someone's survey)."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

TOKEN_IN_PATH = re.compile(r"/s/[A-Za-z0-9_-]+")
CALLBACK_KEY_IN_PATH = re.compile(r"(/webhooks/esms/status/)[A-Za-z0-9]+")  # the SMS callback's key


def redact(path: str) -> str:
    """The path with any survey token (or SMS callback key) replaced by `…`."""
    return CALLBACK_KEY_IN_PATH.sub(r"\1…", TOKEN_IN_PATH.sub("/s/…", path))


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, masked path (no query string), status, duration."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, redact(request.path), response.status, time)
