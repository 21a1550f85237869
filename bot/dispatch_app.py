"""The dispatcher and the scheduler inside the web app: the `{channel: Sender}` registry, started and stopped with it.

Channel set-ups (cleanup_ctx) register their Sender in `app[SENDERS]`; the background tasks
start on start-up, after every cleanup_ctx has run, and stop on shutdown, before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from bot.dispatch import Dispatcher, Policy
from bot.keys import CONVERSATIONS, DATABASE, SETTINGS
from bot.ops import add_routes
from bot.schedule import Scheduler
from bot.settings import Settings
from channels.contract import Sender
from storage.limits import Rate

SENDERS = web.AppKey("senders", dict[str, Sender])
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
SCHEDULER = web.AppKey("scheduler", Scheduler)
_TASKS = web.AppKey("dispatch_tasks", list[asyncio.Task])


def setup_dispatch(app: web.Application) -> None:
    """Give the app its sender registry, background dispatcher and scheduler, `/readyz` and `/metrics`."""
    app[SENDERS] = {}
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)
    add_routes(app)


async def _start(app: web.Application) -> None:
    db, settings, talk = app[DATABASE], app[SETTINGS], app[CONVERSATIONS]
    scheduler = Scheduler(db, settings, talk, app[SENDERS])
    dispatcher = Dispatcher(db, app[SENDERS], policy=policy_of(settings),
                            on_final=scheduler.fall_back, guard=scheduler.still_wanted)
    talk.on_enqueue = scheduler.on_enqueue = dispatcher.wake
    app[SCHEDULER], app[DISPATCHER] = scheduler, dispatcher
    app[_TASKS] = [asyncio.create_task(dispatcher.run(), name="outbox"),
                   asyncio.create_task(scheduler.run(), name="jobs")]


async def _stop(app: web.Application) -> None:
    for task in app.get(_TASKS, []):
        task.cancel()
    for task in app.get(_TASKS, []):
        with contextlib.suppress(asyncio.CancelledError):
            await task


def policy_of(settings: Settings) -> Policy:
    """The send policy from the settings: `telegram=30,sms=10` → a shared bucket per provider."""
    rates = {}
    for item in filter(None, settings.send_limits.split(",")):
        channel, _, rate = item.partition("=")
        # Telegram (and every provider) counts per second: no one-second window may see more.
        rates[channel.strip()] = Rate.capped(float(rate))
    return Policy(provider_rates=rates)


def polling_dispatcher(db, settings: Settings, bot) -> Dispatcher:
    """A dispatcher for `hailong telegram poll`, which drains after each round (no web app)."""
    from channels.telegram import TelegramSender

    return Dispatcher(db, {"telegram": TelegramSender(bot)}, policy=policy_of(settings))
