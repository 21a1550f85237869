"""Typed keys of the aiohttp application: what views may take from `request.app`."""

from __future__ import annotations

import asyncio

import jinja2
from aiohttp import web

from bot.common.settings import Settings
from bot.conversation.dispatch import Dispatcher
from bot.conversation.schedule import Scheduler
from bot.conversation.sms import SmsDesk
from bot.conversation.telegram import TelegramDesk
from bot.conversation.turns import Conversations
from bot.conversation.zalo import ZaloDesk
from channels.contract import Sender
from storage import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CONVERSATIONS = web.AppKey("conversations", Conversations)
#: `{channel: Sender}`: each channel's set-up registers its sender; the outbox drain sends through them.
SENDERS = web.AppKey("senders", dict[str, Sender])
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
SCHEDULER = web.AppKey("scheduler", Scheduler)
BACKGROUND = web.AppKey("background_tasks", list[asyncio.Task])
TELEGRAM_DESK = web.AppKey("telegram_desk", TelegramDesk)
ZALO_DESK = web.AppKey("zalo_desk", ZaloDesk)
SMS_DESK = web.AppKey("sms_desk", SmsDesk)
