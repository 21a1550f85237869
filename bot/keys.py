"""Typed keys of the aiohttp application: what views may take from `request.app`."""

from __future__ import annotations

import jinja2
from aiohttp import web

from bot.conversation import Conversations
from bot.settings import Settings
from storage import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CONVERSATIONS = web.AppKey("conversations", Conversations)
