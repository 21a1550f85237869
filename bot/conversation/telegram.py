"""Telegram: the desk that turns updates into survey turns, and polling (the webhook view is bot/web/webhooks.py).

Every update is recorded under its `update_id` in the same transaction as the turn it causes
and the messages it queues, so a redelivery changes nothing and a crash loses nothing. The
outbox drain (bot/conversation/dispatch.py) sends the messages; only the press acknowledgements
(answerCallbackQuery, removing the old keyboard) are made directly. Chat ids and tokens are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Bot

from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.dispatch import Dispatcher, policy_of
from bot.conversation.surveys import send_survey_in
from bot.conversation.turns import Conversations, utc_now
from channels.contract import ChannelName
from channels.telegram import (
    ALLOWED_UPDATES,
    Kind,
    TelegramInbound,
    TelegramSender,
    answer_callback,
    clear_keyboard,
    parse_update,
    send,
)
from storage import (
    Database,
    Survey,
    find_open_survey,
    find_survey,
    mark_unreachable,
    record_inbound,
)
from storage.locks import lock_key
from storage.messages import queue
from storage.outbox import inbound_seen
from storage.surveys import read_session
from survey_flows import ChoiceReply, Reply, TextReply, load_schema

log = logging.getLogger(__name__)
CHANNEL = ChannelName.TELEGRAM.value

TEXTS = {
    "welcome": "Xin chào! Hãy mở đường dẫn khảo sát trên phiếu hẹn trả kết quả (mã QR) để bắt đầu.\n"
               "Hello! Open the survey link on your return slip (QR code) to start.",
    "unknown": "Mã khảo sát không đúng. Vui lòng quét lại mã QR trên phiếu.\n"
               "This survey code is not valid. Please scan the QR code on your slip again.",
    "used": "Khảo sát này đã kết thúc. Cảm ơn Ông/Bà!\nThis survey has ended. Thank you!",
    "expired": "Khảo sát này đã hết hạn. Cảm ơn Ông/Bà đã quan tâm.\n"
               "This survey has expired. Thank you for your interest.",
    "elsewhere": "Khảo sát này đang được trả lời ở nơi khác.\n"
                 "This survey is being answered elsewhere.",
    "ongoing": "Ông/Bà đang trả lời khảo sát này; vui lòng trả lời câu hỏi ở trên.\n"
               "You are answering this survey; please answer the question above.",
    "no_survey": "Hiện không có khảo sát nào đang mở. Mở đường dẫn trên phiếu hẹn để bắt đầu.\n"
                 "There is no open survey. Open the link on your return slip to start.",
    "help": "Trả lời bằng nút bấm hoặc gõ số/câu trả lời. Gõ /stop để dừng khảo sát.\n"
            "Answer with the buttons or type a number/answer. Send /stop to stop the survey.",
    "stale": "Câu hỏi này đã được trả lời.\nThis question has already been answered.",
    "staff_only": "Lệnh này chỉ dành cho cán bộ tiếp nhận.\nThis command is for reception staff only.",
    "survey_usage": "Cú pháp: /survey <mã hồ sơ>\nUsage: /survey <dossier code>",
}


class TelegramDesk:
    """Turns Telegram updates into survey turns; their answers go out through the outbox."""

    def __init__(
        self, db: Database, settings: Settings, conversations: Conversations, bot: Bot, *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db, self._settings, self._talk, self._bot = db, settings, conversations, bot
        self._clock = clock

    @property
    def secret(self) -> str:
        return self._settings.telegram_webhook_secret

    def now(self) -> datetime:
        return self._clock()

    async def handle(self, item: TelegramInbound) -> None:
        """Apply one update once, in one transaction with its update_id and its outgoing messages.

        The update's id, the turn and the queued answers commit together, under the chat's lock:
        a crash before the commit leaves nothing (Telegram delivers again), after it everything.
        """
        chat, valid = item.inbound.address, False
        if item.kind is Kind.CHOICE:
            if await self._seen(item):
                return
            valid = await self._acknowledge(item)
        async with self._db.grouped() as s:  # SQLite: committed with concurrent updates (group commit)
            await lock_key(s, f"{CHANNEL}:{chat}")  # one chat's updates one at a time, in arrival order
            if not await record_inbound(s, channel=CHANNEL, now=self._clock(),
                                        provider_message_id=item.inbound.provider_message_id):
                return
            await self._act(s, item, valid)
        self._talk.on_enqueue()

    async def _act(self, s, item: TelegramInbound, valid: bool) -> None:
        """Everything the update changes, in the caller's transaction."""
        chat = item.inbound.address
        if item.kind is Kind.BLOCKED:
            await mark_unreachable(s, channel=CHANNEL, address=chat, now=self._clock())
        elif item.kind is Kind.CHOICE:
            await self._choice(s, item, valid)
        elif item.kind is Kind.COMMAND:
            await self._command(s, item)
        else:
            await self._text(s, chat, item.inbound.text or "")

    async def _command(self, s, item: TelegramInbound) -> None:
        chat = item.inbound.address
        if item.command == "start":
            await (self._start(s, chat, item.argument) if item.argument else self._say(s, chat, "welcome"))
        elif item.command == "help":
            await self._say(s, chat, "help")
        elif item.command == "stop":
            await self._text(s, chat, "stop")
        elif item.command == "survey":
            await self._staff_survey(s, item)
        else:
            await self._text(s, chat, item.inbound.text or "")

    async def _start(self, s, chat: str, token: str) -> None:
        """Link the chat to the token's survey and ask the first question."""
        survey = await find_survey(s, token=token)
        problem = await self._talk.start_in(s, survey, channel=CHANNEL, address=chat)
        if problem is not None:
            await self._say(s, chat, problem)

    async def _seen(self, item: TelegramInbound) -> bool:
        async with self._db.grouped() as s:
            return await inbound_seen(s, channel=CHANNEL, provider_message_id=item.inbound.provider_message_id)

    async def _acknowledge(self, item: TelegramInbound) -> bool:
        """Answer the press at once (the spinner), remove the old keyboard; is it the current question?"""
        chat, code = item.inbound.address, item.inbound.choice
        async with self._db.grouped() as s:
            current = await self._current_step(s, chat)
        valid = code is not None and current is not None and item.step in (None, current)
        await send(self._bot, answer_callback(item.callback_id, None if valid else TEXTS["stale"]))
        if item.message_id is not None:
            await send(self._bot, clear_keyboard(chat, item.message_id))
        return valid

    async def _choice(self, s, item: TelegramInbound, valid: bool) -> None:
        """Apply the press only if it still belongs to the question being asked (checked again, locked)."""
        chat = item.inbound.address
        if valid and item.step in (None, await self._current_step(s, chat)):
            survey = await find_open_survey(s, channel=CHANNEL, address=chat)
            if survey is not None:
                await self._turn(s, chat, survey, ChoiceReply(item.inbound.choice or ""))

    async def _text(self, s, chat: str, text: str) -> None:
        survey = await find_open_survey(s, channel=CHANNEL, address=chat)
        if survey is None:
            await self._say(s, chat, "no_survey")
            return
        await self._turn(s, chat, survey, TextReply(text))

    async def _turn(self, s, chat: str, survey: Survey, reply: Reply) -> None:
        """Resume the session (load, run, save in this transaction: no race to lose)."""
        await self._talk.go_on_in(s, survey, reply, channel=CHANNEL, address=chat)

    async def _staff_survey(self, s, item: TelegramInbound) -> None:
        """Reception staff trigger a survey for a dossier and get its links back, in the update's
        transaction (a refusal is raised before anything is written, and answered)."""
        chat = item.inbound.address
        if item.sender not in self._settings.staff_ids:
            await self._tell(s, chat, TEXTS["staff_only"])
            return
        if not item.argument:
            await self._tell(s, chat, TEXTS["survey_usage"])
            return
        try:
            invitation = await send_survey_in(s, self._settings, item.argument, now=self._clock(),
                                              actor="telegram-staff")
        except HailongError as exc:
            await self._tell(s, chat, f"{exc.vi}\n{exc.en}")
            return
        deep = f"https://t.me/{self._settings.telegram_bot_username}?start={invitation.token}"
        await self._tell(s, chat, f"Hồ sơ / dossier {invitation.dossier_code}\n"
                                  f"Đường dẫn / link: {invitation.link}\nTelegram: {deep}")

    async def _current_step(self, s, chat: str) -> str | None:
        survey = await find_open_survey(s, channel=CHANNEL, address=chat)
        row = None if survey is None else await read_session(s, survey.id)
        return None if row is None or row.status != "active" else row.state.get("step_id")

    async def _say(self, s, chat: str, key: str) -> None:
        await self._tell(s, chat, TEXTS[key])

    async def _tell(self, s, chat: str, text: str) -> None:
        await queue(s, channel=CHANNEL, address=chat, now=self._clock(), payload={"text": text, "choices": []})


async def open_desk(
    db: Database, settings: Settings, bot: Bot, conversations: Conversations | None = None
) -> TelegramDesk:
    """The desk on an open database (the app's conversation service, or a new one)."""
    # httpx logs every request URL at INFO, and a Bot API URL holds the bot token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))

    return TelegramDesk(db, settings, conversations or Conversations(db, load_schema()), bot)


# --- polling --------------------------------------------------------------------------

async def poll(desk: TelegramDesk, bot: Bot, *, rounds: int | None = None, timeout: int = 30,
               drain: Callable[[], Awaitable[object]] | None = None) -> int:
    """getUpdates loop feeding the same desk (development without a public URL); updates handled."""
    offset, handled, done = None, 0, 0
    while rounds is None or done < rounds:
        updates = await bot.get_updates(offset=offset, timeout=timeout,
                                        allowed_updates=list(ALLOWED_UPDATES))
        for update in updates:
            offset = update.update_id + 1
            for item in parse_update(update.to_dict(), now=desk.now()):
                await desk.handle(item)
            handled += 1
        if drain is not None:
            await drain()  # send what the round queued before asking for more
        done += 1
    return handled



class TelegramNotConfigured(HailongError):
    code = "telegram_not_configured"

    def __init__(self, keys: str) -> None:
        super().__init__(f"Chưa cấu hình Telegram: thiếu {keys}.", f"Telegram is not configured: {keys} missing.")


def require_telegram(settings: Settings, *, webhook: bool) -> None:
    """Refuse to talk to Telegram without a token (and, for the webhook, a secret)."""
    missing = [k for k, v in (("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
                              ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret or not webhook))
               if not v]
    if missing:
        raise TelegramNotConfigured(", ".join(missing))


def polling_dispatcher(db: Database, settings: Settings, bot: Bot) -> Dispatcher:
    """A dispatcher for `hailong telegram poll`, which drains after each round (no web app)."""
    return Dispatcher(db, {"telegram": TelegramSender(bot)}, policy=policy_of(settings))
