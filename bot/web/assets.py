"""Static files of the survey and kiosk pages (a stylesheet and an optional keypad script)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

routes = web.RouteTableDef()
routes.static("/static", Path(__file__).parent / "static", name="static")
