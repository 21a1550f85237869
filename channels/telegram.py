"""Telegram: a pure `parse` of webhook updates, a pure `render` of Bot API calls, a short `send`.

Only python-telegram-bot's typed client and parser are used (`telegram.Bot`, `Update.de_json`,
its errors); survey state lives in the database, never in the library.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from channels.contract import ChannelName, Delivery, Event, EventKind, Inbound, Outbound, SendOutcome
from channels.telegram_http import AiohttpRequest

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
# How long a send waits for the Bot API's answer. Telegram documents no limit and takes no
# idempotency key: a send whose answer is not awaited may still be delivered, and sending it
# again shows the question twice. So wait well past a slow answer (PTB's 5 s default gave a
# repeat for every answer slower than that), and stay under the outbox lease (30 s).
SEND_READ_TIMEOUT = 20.0
_CALLBACK = re.compile(r"^c:([A-Za-z0-9_.-]{0,48}):([0-9]{1,2})$")
_STEP = re.compile(r"^[A-Za-z0-9_.-]{1,48}$")


class TelegramError(Exception):
    """Errors of the Telegram adapter; `code` is stable for callers that branch on it."""

    code = "telegram"


class BadSecret(TelegramError):
    """The webhook delivery lacks the secret header or carries a wrong one."""

    code = "bad_secret"


class BadPayload(TelegramError):
    """An update of a type we use, but not shaped as the Bot API documents it."""

    code = "bad_payload"


class Kind(StrEnum):
    """What an update asks of the bot."""

    MESSAGE = "message"
    COMMAND = "command"
    CHOICE = "choice"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class TelegramInbound:
    """An `Inbound` plus what only Telegram has: command, pressed button, sender.

    Example: {"kind": "choice", "inbound": {"address": "4242", "choice": "2", …},
    "step": "overall", "callback_id": "77", "message_id": 10, "sender": "4242"}
    """

    kind: Kind
    inbound: Inbound
    sender: str | None = None
    command: str | None = None
    argument: str = ""
    step: str | None = None
    callback_id: str | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request: `{"method": "sendMessage", "params": {"chat_id": "4242", "text": "…"}}`."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


class SendResult(StrEnum):
    """How a send ended: sent, the chat is unreachable (403), or it failed for now."""

    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


# --- parse ------------------------------------------------------------------------------


def check_secret(headers: Mapping[str, str], secret: str) -> None:
    """Raise BadSecret unless the header equals `secret` (constant-time compare)."""
    given = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER.lower()), None)
    if not secret or given is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise BadSecret("missing or wrong secret token")


def parse(
    payload: Mapping[str, Any], headers: Mapping[str, str], *, secret: str, now: datetime
) -> list[TelegramInbound]:
    """A webhook delivery as inbound items; BadSecret when the secret header is wrong."""
    check_secret(headers, secret)
    return parse_update(payload, now=now)


def parse_update(payload: Mapping[str, Any], *, now: datetime) -> list[TelegramInbound]:
    """One update (webhook or getUpdates) as inbound items; edits and unknown types give none."""
    if not any(key in payload for key in ALLOWED_UPDATES):
        return []  # edits, polls, channel posts …: not ours (and not parsed at all)
    fast = _parse_plain(payload, now)
    if fast is not None:
        return fast
    try:
        return _parse_library(payload, now)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:  # a shape the library cannot read
        raise BadPayload(f"unreadable update: {type(exc).__name__}") from None


def _parse_library(payload: Mapping[str, Any], now: datetime) -> list[TelegramInbound]:
    update = Update.de_json(dict(payload), None)
    pid = f"update:{update.update_id}"
    if update.message is not None:
        return _message(update.message, pid, now)
    if update.callback_query is not None:
        return _callback(update, pid, now)
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status == "kicked":
        inbound = Inbound(ChannelName.TELEGRAM, str(member.chat.id), pid, now)
        return [TelegramInbound(Kind.BLOCKED, inbound, sender=str(member.from_user.id))]
    return []


def _parse_plain(payload: Mapping[str, Any], now: datetime) -> list[TelegramInbound] | None:
    """`parse_update` of a well-formed private text message or button press, read off the JSON
    without building python-telegram-bot objects (the hot path); None for anything else, which
    the library then parses (and rejects) as before."""
    update_id = payload.get("update_id")
    if type(update_id) is not int:
        return None
    pid = f"update:{update_id}"
    message = payload.get("message")
    if message is not None:
        if "callback_query" in payload or not _plain_message(message):
            return None
        text, sender = message.get("text"), message.get("from")
        if message["chat"]["type"] != "private" or not text:
            return []
        text = text.strip()
        inbound = Inbound(ChannelName.TELEGRAM, str(message["chat"]["id"]), pid, now, text=text)
        sender_id = None if sender is None else str(sender["id"])
        entity = next((e for e in message.get("entities", ()) if e["type"] == "bot_command" and e["offset"] == 0),
                      None)
        if entity is None:
            return [TelegramInbound(Kind.MESSAGE, inbound, sender=sender_id)]
        command = message["text"][1:entity["length"]].split("@", 1)[0].lower()
        return [TelegramInbound(Kind.COMMAND, inbound, sender=sender_id, command=command,
                                argument=text.partition(" ")[2].strip())]
    query = payload.get("callback_query")
    if not isinstance(query, dict) or set(payload) - {"update_id", "callback_query"}:
        return None
    if (type(query.get("id")) is not str or not _plain_user(query.get("from")) or
            type(query.get("chat_instance")) is not str or type(query.get("data", "")) is not str or
            set(query) - {"id", "from", "chat_instance", "data", "message"}):
        return None
    held = query.get("message")
    if held is None:
        return []
    if not _plain_message(held):
        return None
    step, choice = parse_callback_data(query.get("data") or "")
    inbound = Inbound(ChannelName.TELEGRAM, str(held["chat"]["id"]), pid, now, choice=choice)
    return [TelegramInbound(Kind.CHOICE, inbound, sender=str(query["from"]["id"]), step=step,
                            callback_id=query["id"], message_id=held["message_id"])]


_MESSAGE_KEYS = frozenset({"message_id", "date", "chat", "from", "text", "entities", "reply_markup",
                           "edit_date"})


def _plain_message(message: Any) -> bool:
    """A message of the shape we read (else the library parses it, and says what is wrong)."""
    if not isinstance(message, dict) or not message.keys() <= _MESSAGE_KEYS:
        return False
    chat, text, entities = message.get("chat"), message.get("text"), message.get("entities", [])
    if (type(message.get("message_id")) is not int or type(message.get("date")) is not int or
            not isinstance(chat, dict) or type(chat.get("id")) is not int or type(chat.get("type")) is not str or
            (text is not None and type(text) is not str) or
            ("from" in message and not _plain_user(message["from"])) or type(entities) is not list):
        return False
    return all(isinstance(e, dict) and type(e.get("type")) is str and type(e.get("offset")) is int
               and type(e.get("length")) is int for e in entities)


def _plain_user(user: Any) -> bool:
    return (isinstance(user, dict) and type(user.get("id")) is int and type(user.get("is_bot")) is bool
            and type(user.get("first_name")) is str)


def _message(message: Message, pid: str, now: datetime) -> list[TelegramInbound]:
    if message.chat.type != "private" or not message.text:
        return []
    text = message.text.strip()
    inbound = Inbound(ChannelName.TELEGRAM, str(message.chat.id), pid, now, text=text)
    sender = str(message.from_user.id) if message.from_user else None
    command = _command(message)
    if command is None:
        return [TelegramInbound(Kind.MESSAGE, inbound, sender=sender)]
    name, _, argument = text.partition(" ")
    return [TelegramInbound(Kind.COMMAND, inbound, sender=sender, command=command,
                            argument=argument.strip())]


def _command(message: Message) -> str | None:
    """The command of a message starting with a `bot_command` entity, lower-cased, no @bot."""
    entity = next((e for e in message.entities if e.type == "bot_command" and e.offset == 0), None)
    if entity is None:
        return None
    assert message.text is not None  # a message with a bot_command entity has text
    return message.text[1:entity.length].split("@", 1)[0].lower()


def _callback(update: Update, pid: str, now: datetime) -> list[TelegramInbound]:
    query = update.callback_query
    assert query is not None  # the caller only passes updates with a callback query
    if query.message is None:
        return []
    step, choice = parse_callback_data(query.data or "")
    inbound = Inbound(ChannelName.TELEGRAM, str(query.message.chat.id), pid, now, choice=choice)
    return [TelegramInbound(Kind.CHOICE, inbound, sender=str(query.from_user.id), step=step,
                            callback_id=query.id, message_id=query.message.message_id)]


_COMMANDS = {"help": EventKind.HELP, "stop": EventKind.STOP, "survey": EventKind.STAFF}


def event_of(item: TelegramInbound) -> Event:
    """The channel-neutral event of one update item."""
    inbound, kind = item.inbound, None
    if item.kind is Kind.BLOCKED:
        kind = EventKind.UNFOLLOW
    elif item.kind is Kind.CHOICE:
        return Event.of(inbound, EventKind.CHOICE, step=item.step, sender=item.sender, ack=item.callback_id,
                        message=None if item.message_id is None else str(item.message_id))
    elif item.kind is Kind.COMMAND and item.command == "start":
        kind = EventKind.START if item.argument else EventKind.HELLO
    elif item.kind is Kind.COMMAND:
        kind = _COMMANDS.get(item.command or "")
    return Event.of(inbound, kind or EventKind.MESSAGE, argument=item.argument or None, sender=item.sender)


def events(items: list[TelegramInbound]) -> list[Event]:
    return [event_of(item) for item in items]


def parse_callback_data(data: str) -> tuple[str | None, str | None]:
    """`c:<step>:<code>` as (step, code); (None, None) for anything else (never trusted)."""
    match = _CALLBACK.match(data)
    if match is None:
        return None, None
    return match.group(1) or None, match.group(2)


# --- render -----------------------------------------------------------------------------


def render(outbound: Outbound, *, step: str | None = None, multi: bool = False) -> list[ApiCall]:
    """A message as `sendMessage`, or `editMessageText` when it replaces the pressed question in
    place; single choices become inline buttons, one per row (an edit without them removes them)."""
    params: dict[str, Any] = {"chat_id": outbound.address, "text": outbound.text}
    method = "sendMessage"
    if outbound.replaces is not None and outbound.replaces.isdigit():
        method, params["message_id"] = "editMessageText", int(outbound.replaces)
    if outbound.choices and not multi:
        rows = [[{"text": c.label, "callback_data": callback_data(step, c.code)}]
                for c in outbound.choices]
        params["reply_markup"] = {"inline_keyboard": rows}
    elif outbound.choices:
        # Several answers at once: typed ("1, 3"), the buttons would need a state of their own.
        lines = "\n".join(f"{c.code}. {c.label}" for c in outbound.choices)
        params["text"] = f"{outbound.text}\n{lines}"
    return [ApiCall(method, params)]


def callback_data(step: str | None, code: str) -> str:
    """Short ASCII button data; the step is left out when it would not fit."""
    step = step if step and _STEP.match(step) else ""
    data = f"c:{step}:{code}"
    return data if len(data.encode()) <= CALLBACK_LIMIT else f"c::{code}"


def answer_callback(callback_id: str, text: str | None = None) -> ApiCall:
    """Stop the button's spinner, with an optional short notice."""
    params: dict[str, Any] = {"callback_query_id": callback_id}
    if text:
        params["text"] = text[:200]
    return ApiCall("answerCallbackQuery", params)


def webhook_answer(call: ApiCall) -> dict[str, Any]:
    """A Bot API call made in the reply to the webhook request itself (no request of ours)."""
    return {"method": call.method, **call.params}


def clear_keyboard(chat_id: str, message_id: int) -> ApiCall:
    """Remove the buttons of an answered question so old presses cannot change it."""
    # Without reply_markup the Bot API removes the inline keyboard.
    return ApiCall("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


# --- send -------------------------------------------------------------------------------


@asynccontextmanager
async def open_bot(token: str, api_base_url: str) -> AsyncIterator[Bot]:
    """The typed Bot API client (Telegram, a local Bot API server or a test double), closed after."""
    # PTB's default pool is one connection: the dispatcher sends to many chats at once. The
    # long poll of getUpdates gets its own connection. aiohttp under the Bot: see telegram_http.py.
    requests = (AiohttpRequest(connection_pool_size=32, read_timeout=SEND_READ_TIMEOUT, write_timeout=SEND_READ_TIMEOUT),
                AiohttpRequest())
    bot = Bot(token, base_url=f"{api_base_url.rstrip('/')}/bot",
              request=requests[0], get_updates_request=requests[1])
    try:
        yield bot
    finally:
        for request in requests:
            await request.shutdown()


async def send(
    bot: Bot, call: ApiCall, *, attempts: int = 3,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> SendResult:
    """Make one call: 403 → unreachable, 429 → wait `retry_after`, network errors → retry."""
    for attempt in range(attempts):
        try:
            await _call(bot, call)
            return SendResult.SENT
        except Forbidden:
            return SendResult.UNREACHABLE
        except RetryAfter as exc:
            await sleep(_retry_after(exc))
        except BadRequest as exc:
            # Editing a keyboard that is already gone: the wanted state holds.
            return SendResult.SENT if "not modified" in exc.message.lower() else SendResult.FAILED
        except NetworkError:  # includes TimedOut
            await sleep(min(2.0**attempt, 10.0))
    return SendResult.FAILED


async def _call(bot: Bot, call: ApiCall) -> Any:
    params = dict(call.params)
    if "reply_markup" in params:
        params["reply_markup"] = InlineKeyboardMarkup.de_json(params["reply_markup"], bot)
    method = getattr(bot, call.method)  # Bot's camelCase aliases match the API's names
    return await method(**params)


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22.2+ warns that retry_after becomes a timedelta; both forms are handled here.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


# --- the dispatcher's Sender ------------------------------------------------------------


@dataclass(slots=True)
class TelegramSender:
    """`channels.contract.Sender` for Telegram: one outbox message → its Bot API call, one outcome."""

    bot: Bot
    channel: ChannelName = ChannelName.TELEGRAM

    async def send(self, outbound: Outbound) -> SendOutcome:
        """Make the call once; the dispatcher owns retries, back-off and limits."""
        [call] = render(outbound, step=outbound.step, multi=outbound.multi)
        try:
            try:
                result = await _call(self.bot, call)
            except BadRequest as exc:
                if call.method != "editMessageText":
                    raise
                if "not modified" in exc.message.lower():
                    # The question is on screen already (this edit was made before a crash cut its
                    # commit): an edit repeated changes nothing the person sees.
                    return SendOutcome(Delivery.SENT, provider_message_id=outbound.replaces)
                # The pressed message can no longer be edited (deleted, too old): send the question anew.
                [call] = render(replace(outbound, replaces=None), step=outbound.step, multi=outbound.multi)
                result = await _call(self.bot, call)
        except Forbidden as exc:
            return SendOutcome(Delivery.UNREACHABLE, error=_short(exc))
        except RetryAfter as exc:
            return SendOutcome(Delivery.RETRY, retry_after=_retry_after(exc), error="429")
        except BadRequest as exc:
            return SendOutcome(Delivery.FAILED, error=_short(exc))
        except NetworkError as exc:  # includes TimedOut
            return SendOutcome(Delivery.RETRY, error=_short(exc))
        message_id = getattr(result, "message_id", None)
        return SendOutcome(Delivery.SENT, provider_message_id=None if message_id is None else str(message_id))


def _short(exc: Exception) -> str:
    """The error's class and Bot API description (never the request URL, which holds the token)."""
    return f"{type(exc).__name__}: {getattr(exc, 'message', '')}"[:200]
