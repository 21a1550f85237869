"""The composition root: `create_app(settings)` wires settings, database, channels, background work and routes.

Channel set-ups (cleanup_ctx) register their Sender in `app[SENDERS]`; the background tasks
start on start-up, after every cleanup_ctx has run, and stop on shutdown, before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import aiohttp
import jinja2
from aiohttp import web

from bot.common.logs import guard_library_logs, use_log_format
from bot.common.settings import Settings
from bot.conversation.dispatch import Dispatcher, policy_of
from bot.conversation.inbox import Inbox
from bot.conversation.retention import RetentionTimer
from bot.conversation.schedule import Scheduler
from bot.conversation.sms import AgencySms, SmsReports, open_sms_sender
from bot.conversation.telegram import quiet_httpx
from bot.conversation.turns import Conversations
from bot.conversation.zalo_tokens import DbTokens, DbWindow
from bot.conversation.zns import ZnsInvitations
from bot.office.webhooks_out import run_events, secret_lookup
from bot.web import setup as setup_web
from bot.web.dates import FILTERS as DATE_FILTERS
from bot.web.keys import (
    BACKGROUND,
    CHANNELS,
    CONVERSATIONS,
    DATABASE,
    DISPATCHER,
    INBOX,
    PLUGINS,
    SCHEDULER,
    SENDERS,
    SETTINGS,
    SMS_REPORTS,
    TEMPLATES,
)
from bot.web.ops import add_routes as add_ops_routes
from bot.web.unavailable import setup as setup_unavailable
from bot.web.webhooks import setup_routes as setup_webhooks
from channels.contract import Sender
from channels.email import EmailSender, SmtpConfig
from channels.registry import REGISTRY, Spec
from channels.telegram import TelegramSender, open_bot
from channels.webhook import WebhookSender
from channels.zalo import OaSender
from channels.zalo_zns import ZnsSender
from storage import open_database
from survey_flows import load_schema


def create_app(settings: Settings, *, registry: Mapping[str, Spec] = REGISTRY) -> web.Application:
    """Build the app; the database opens on start-up and closes on clean-up.

    `registry`: the channels it knows (channels/registry.py); a deployment or a test may add one.
    """
    use_log_format(settings.log_format)  # text or JSON lines on the handlers `hailong serve` set up
    guard_library_logs()  # no SQL parameters, Bot API URLs or calls in the logs, even at DEBUG
    app = web.Application()
    app[SETTINGS] = settings
    app[CHANNELS] = registry
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"), autoescape=True
    )
    app[TEMPLATES].filters.update(DATE_FILTERS)  # dd/mm/yyyy, Vietnam time
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_telegram)
    setup_dispatch(app)  # the outbox drain and the timers, after every channel's set-up
    if settings.smtp_host:
        app[SENDERS]["email"] = EmailSender(smtp_config(settings))
    app.on_startup.append(_sms_fallback)  # after setup_dispatch's start: the scheduler exists
    app.cleanup_ctx.append(zalo_context)
    app.cleanup_ctx.append(sms_context)
    app.cleanup_ctx.append(plugins_context)
    app.cleanup_ctx.append(webhook_context)
    add_ops_routes(app)
    setup_web(app)
    setup_unavailable(app)  # outermost middleware: database trouble → 503 + Retry-After, one log line
    setup_webhooks(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    async with open_database(app[SETTINGS].database_url) as db:
        app[DATABASE] = db
        app[CONVERSATIONS] = talk = Conversations(db, load_schema())
        app[INBOX] = Inbox(db, app[SETTINGS], talk, registry=app[CHANNELS])
        yield


async def _telegram(app: web.Application) -> AsyncIterator[None]:
    """Telegram's sender, when a bot token and a webhook secret are configured."""
    settings = app[SETTINGS]
    token = settings.telegram_bot_token.get_secret_value()
    if not (token and settings.telegram_webhook_secret.get_secret_value()):
        yield
        return
    async with open_bot(token, settings.telegram_api_base_url) as bot:
        quiet_httpx()
        app[SENDERS]["telegram"] = TelegramSender(bot)
        yield


async def _sms_fallback(app: web.Application) -> None:
    """An SMS invitation reported undelivered or failed goes to the agency plan's next channel."""
    if SMS_REPORTS in app:
        app[SMS_REPORTS].on_failed = app[SCHEDULER].fall_back


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP settings as the e-mail sender takes them."""
    return SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_username,
                      settings.smtp_password.get_secret_value(), settings.smtp_starttls)


# --- channels ---------------------------------------------------------------------------

async def sms_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: SMS delivery reports and sender, when a provider is configured."""
    settings = app[SETTINGS]
    async with open_sms_sender(settings) as sender:
        if sender is not None:
            app[SMS_REPORTS] = SmsReports(app[DATABASE], app[CONVERSATIONS])
            if SENDERS in app:  # the outbox drain sends queued SMS (answers, invitations) through it
                app[SENDERS]["sms"] = AgencySms(app[DATABASE], settings, sender)
        yield


async def zalo_context(app: web.Application) -> AsyncIterator[None]:
    """Zalo's senders (OA and ZNS), when the OA secret key (which signs the webhook) is configured."""
    settings = app[SETTINGS]
    if not settings.zalo_oa_secret_key.get_secret_value():
        yield
        return
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        db = app[DATABASE]
        tokens = DbTokens(db, settings, http)
        oa = OaSender(http, settings.zalo_oa_api_base_url, tokens, DbWindow(db, settings))
        if SENDERS in app:  # the outbox drain sends queued OA messages and ZNS invitations through these
            zns = ZnsSender(http, settings.zalo_zns_api_base_url, tokens, settings.zalo_zns_rating_template_id)
            app[SENDERS] |= {"zalo": oa, "zalo_zns": ZnsInvitations(db, settings, zns)}
        yield


async def plugins_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: every registry channel that brings its own webhook and sender, opened with the settings."""
    app[PLUGINS] = {}
    async with contextlib.AsyncExitStack() as stack:
        for spec in app[CHANNELS].values():
            if spec.plugin is None:
                continue
            plugin = await stack.enter_async_context(spec.plugin(app[SETTINGS].model_dump()))
            if plugin is None:  # not configured
                continue
            app[PLUGINS][spec.name] = plugin
            if plugin.sender is not None and SENDERS in app:
                app[SENDERS][spec.name] = plugin.sender
        yield


async def webhook_context(app: web.Application) -> AsyncIterator[None]:
    """Agencies' outgoing webhooks: the outbox sends them (channel "webhook"); a task queues new events."""
    db = app[DATABASE]
    async with aiohttp.ClientSession() as http:
        if SENDERS in app:
            app[SENDERS]["webhook"] = WebhookSender(http, secret_lookup(db))

        def wake() -> None:
            if DISPATCHER in app:
                app[DISPATCHER].wake()

        task = asyncio.create_task(run_events(db, wake), name="webhook-events")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- the outbox drain and the timers -------------------------------------------------------

def setup_dispatch(app: web.Application) -> None:
    """Give the app its sender registry; the dispatcher and scheduler start on start-up, stop on shutdown."""
    app[SENDERS] = {}
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)


async def _start(app: web.Application) -> None:
    db, settings, talk = app[DATABASE], app[SETTINGS], app[CONVERSATIONS]
    senders: dict[str, Sender] = app[SENDERS]
    scheduler = Scheduler(db, settings, talk, senders)
    dispatcher = Dispatcher(db, senders, policy=policy_of(settings),
                            on_final=scheduler.fall_back, guard=scheduler.still_wanted)
    talk.on_enqueue = scheduler.on_enqueue = dispatcher.wake
    app[SCHEDULER], app[DISPATCHER] = scheduler, dispatcher
    app[BACKGROUND] = [asyncio.create_task(dispatcher.run(), name="outbox"),
                   asyncio.create_task(scheduler.run(), name="jobs"),
                   asyncio.create_task(RetentionTimer(db).run(), name="retention")]


async def _stop(app: web.Application) -> None:
    for task in app.get(BACKGROUND, []):
        task.cancel()
    for task in app.get(BACKGROUND, []):
        with contextlib.suppress(asyncio.CancelledError):
            await task
