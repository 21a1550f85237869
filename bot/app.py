"""The web application: `create_app(settings)`, resources opened and closed by cleanup_ctx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import jinja2
from aiohttp import web

from bot.conversation import Conversations
from bot.keys import CONVERSATIONS, DATABASE, SETTINGS, TEMPLATES
from bot.settings import Settings
from bot.dispatch_app import SCHEDULER, SENDERS, setup_dispatch
from bot.sms_web import DESK as SMS_DESK
from bot.sms_web import setup_routes as setup_sms_routes
from bot.sms_web import sms_context
from bot.telegram import DESK, open_desk
from bot.telegram import webhook as telegram_webhook
from bot.zalo import webhook as zalo_webhook
from bot.zalo import zalo_context
from channels.email import EmailSender, SmtpConfig
from channels.telegram import TelegramSender, open_bot
from storage import open_database
from survey_flows import load_schema
from web import setup as setup_web


def create_app(settings: Settings) -> web.Application:
    """Build the app; the database opens on start-up and closes on clean-up."""
    app = web.Application()
    app[SETTINGS] = settings
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"), autoescape=True
    )
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_telegram)
    setup_dispatch(app)  # the outbox drain and the timers, after every channel's set-up
    if settings.smtp_host:
        app[SENDERS]["email"] = EmailSender(smtp_config(settings))
    app.on_startup.append(_sms_fallback)  # after setup_dispatch's start: the scheduler exists
    app.cleanup_ctx.append(zalo_context)
    app.cleanup_ctx.append(sms_context)
    app.router.add_get("/healthz", healthz, name="healthz")
    setup_web(app)
    app.router.add_post("/webhooks/telegram", telegram_webhook, name="telegram_webhook")
    app.router.add_post("/webhooks/zalo", zalo_webhook, name="zalo_webhook")
    setup_sms_routes(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    async with open_database(app[SETTINGS].database_url) as db:
        app[DATABASE] = db
        app[CONVERSATIONS] = Conversations(db, load_schema())
        yield


async def _telegram(app: web.Application) -> AsyncIterator[None]:
    """The Telegram desk, when a bot token and a webhook secret are configured."""
    settings = app[SETTINGS]
    if not (settings.telegram_bot_token and settings.telegram_webhook_secret):
        yield
        return
    async with open_bot(settings.telegram_bot_token, settings.telegram_api_base_url) as bot:
        app[DESK] = await open_desk(app[DATABASE], settings, bot, app[CONVERSATIONS])
        app[SENDERS]["telegram"] = TelegramSender(bot)
        yield


async def _sms_fallback(app: web.Application) -> None:
    """An SMS invitation reported undelivered or failed goes to the agency plan's next channel."""
    if SMS_DESK in app:
        app[SMS_DESK].on_failed = app[SCHEDULER].fall_back


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP settings as the e-mail sender takes them."""
    return SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_username,
                      settings.smtp_password, settings.smtp_starttls)


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})
