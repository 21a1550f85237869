"""Telegram's own pieces around the one inbound path: polling, the polling dispatcher, the checks.

Updates are applied by `bot.conversation.inbox.Inbox` (the webhook view is bot/web/webhooks.py);
the outbox drain (bot/conversation/dispatch.py) sends the replies, a pressed question being
replaced in place by the next one. Chat ids and tokens are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot

from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.dispatch import Dispatcher, policy_of
from bot.conversation.inbox import Applied, Inbox
from bot.conversation.texts import say
from channels.contract import ChannelName
from channels.telegram import ALLOWED_UPDATES, TelegramSender, answer_callback, events, parse_update, send
from storage import Database

CHANNEL = ChannelName.TELEGRAM.value


def quiet_httpx() -> None:
    """httpx logs every request URL at INFO, and a Bot API URL holds the bot token."""
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))


# --- polling --------------------------------------------------------------------------

async def poll(inbox: Inbox, bot: Bot, *, rounds: int | None = None, timeout: int = 30,
               drain: Callable[[], Awaitable[object]] | None = None) -> int:
    """getUpdates loop feeding the one inbound path (development without a public URL); updates handled.

    A press is acknowledged with its own call here (a webhook does it in its reply instead).
    """
    offset, handled, done = None, 0, 0
    while rounds is None or done < rounds:
        updates = await bot.get_updates(offset=offset, timeout=timeout,
                                        allowed_updates=list(ALLOWED_UPDATES))
        for update in updates:
            offset = update.update_id + 1
            for event in events(parse_update(update.to_dict(), now=inbox.now())):
                applied = await inbox.apply(event)
                if event.ack is not None:
                    await send(bot, answer_callback(event.ack, stale_notice(applied)))
            handled += 1
        if drain is not None:
            await drain()  # send what the round queued before asking for more
        done += 1
    return handled


def stale_notice(applied: Applied) -> str | None:
    """What the acknowledgement of a press says: nothing, or that the question was answered already."""
    return say("stale", CHANNEL) if applied is Applied.STALE else None


class TelegramNotConfigured(HailongError):
    code = "telegram_not_configured"

    def __init__(self, keys: str) -> None:
        super().__init__(f"Chưa cấu hình Telegram: thiếu {keys}.", f"Telegram is not configured: {keys} missing.")


def require_telegram(settings: Settings, *, webhook: bool) -> None:
    """Refuse to talk to Telegram without a token (and, for the webhook, a secret)."""
    missing = [k for k, v in (("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token.get_secret_value()),
                              ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret.get_secret_value() or not webhook))
               if not v]
    if missing:
        raise TelegramNotConfigured(", ".join(missing))


def polling_dispatcher(db: Database, settings: Settings, bot: Bot) -> Dispatcher:
    """A dispatcher for `hailong telegram poll`, which drains after each round (no web app)."""
    return Dispatcher(db, {"telegram": TelegramSender(bot)}, policy=policy_of(settings))
