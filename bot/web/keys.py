"""Typed keys of the aiohttp application: what views may take from `request.app`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import jinja2
from aiohttp import web

from bot.common.settings import Settings
from bot.conversation.dispatch import Dispatcher
from bot.conversation.inbox import Inbox
from bot.conversation.schedule import Scheduler
from bot.conversation.sms import SmsReports
from bot.conversation.turns import Conversations
from channels.contract import Plugin, Sender
from channels.registry import Spec
from storage import Database

SETTINGS = web.AppKey("settings", Settings)
#: The channels this app knows: channels.registry.REGISTRY unless create_app was given another.
CHANNELS = web.AppKey("channels", Mapping[str, Spec])
DATABASE = web.AppKey("database", Database)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CONVERSATIONS = web.AppKey("conversations", Conversations)
#: `{channel: Sender}`: each channel's set-up registers its sender; the outbox drain sends through them.
SENDERS = web.AppKey("senders", dict[str, Sender])
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
SCHEDULER = web.AppKey("scheduler", Scheduler)
BACKGROUND = web.AppKey("background_tasks", list[asyncio.Task[None]])
#: The one inbound path every chat channel's webhook hands its events to.
INBOX = web.AppKey("inbox", Inbox)
#: The opened plugins of registry channels that bring their own webhook and sender, by name.
PLUGINS = web.AppKey("plugins", dict[str, Plugin])
#: Present while an SMS provider is configured: applies its delivery reports.
SMS_REPORTS = web.AppKey("sms_reports", SmsReports)
