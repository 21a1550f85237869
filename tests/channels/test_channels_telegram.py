"""Telegram adapter: updates in → inbound items out; outbound in → exact Bot API calls out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from channels.contract import ChannelName, Choice, Inbound, Outbound
from channels.telegram import (
    ApiCall,
    BadPayload,
    BadSecret,
    Kind,
    SendResult,
    TelegramInbound,
    answer_callback,
    callback_data,
    clear_keyboard,
    open_bot,
    parse,
    parse_callback_data,
    render,
    send,
)
from tests.channels.telegram_fake import FakeBotApi

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
SECRET = "s3cret-token"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
USER = {"id": 4242, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
CHAT = {"id": 4242, "first_name": "Lan", "type": "private"}


def message(update_id: int, text: str, *, command: bool = False, chat: dict = CHAT) -> dict:
    msg = {"message_id": update_id, "from": USER, "chat": chat, "date": 1764039600, "text": text}
    if command:
        msg["entities"] = [{"offset": 0, "length": len(text.split(" ")[0]), "type": "bot_command"}]
    return {"update_id": update_id, "message": msg}


def callback(update_id: int, data: str, message_id: int = 10) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "from": USER, "chat_instance": "-99", "data": data,
        "message": {"message_id": message_id, "from": {"id": 123, "is_bot": True, "first_name": "Bot"},
                    "chat": CHAT, "date": 1764039600, "text": "?"}}}


def member(update_id: int, status: str) -> dict:
    return {"update_id": update_id, "my_chat_member": {
        "chat": CHAT, "from": USER, "date": 1764039600,
        "old_chat_member": {"user": {"id": 123, "is_bot": True, "first_name": "Bot"}, "status": "member"},
        "new_chat_member": {"user": {"id": 123, "is_bot": True, "first_name": "Bot"}, "status": status,
                            "until_date": 0}}}


def inbound(uid: int, **kw) -> Inbound:
    return Inbound(ChannelName.TELEGRAM, "4242", f"update:{uid}", NOW, **kw)


PARSE_CASES = [
    ("text", message(1, "hài lòng"),
     [TelegramInbound(Kind.MESSAGE, inbound(1, text="hài lòng"), sender="4242")]),
    ("start token", message(2, "/start Ab_9-x", command=True),
     [TelegramInbound(Kind.COMMAND, inbound(2, text="/start Ab_9-x"), sender="4242",
                      command="start", argument="Ab_9-x")]),
    ("command with @bot", message(3, "/help@hailong_bot", command=True),
     [TelegramInbound(Kind.COMMAND, inbound(3, text="/help@hailong_bot"), sender="4242", command="help")]),
    ("callback", callback(4, "c:overall:2"),
     [TelegramInbound(Kind.CHOICE, inbound(4, choice="2"), sender="4242", step="overall",
                      callback_id="cb4", message_id=10)]),
    ("forged callback", callback(5, "c:x:2;DROP"),
     [TelegramInbound(Kind.CHOICE, inbound(5), sender="4242", callback_id="cb5", message_id=10)]),
    ("edited message", {"update_id": 6, "edited_message": message(6, "x")["message"] | {"edit_date": 1}}, []),
    ("blocked", member(7, "kicked"), [TelegramInbound(Kind.BLOCKED, inbound(7), sender="4242")]),
    ("unblocked", member(8, "member"), []),
    ("unknown type", {"update_id": 9, "poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0,
                      "is_closed": False, "is_anonymous": True, "type": "regular",
                      "allows_multiple_answers": False}}, []),
    ("group message", message(10, "hi", chat={"id": -5, "type": "group", "title": "G"}), []),
    ("sticker", {"update_id": 11, "message": {"message_id": 1, "chat": CHAT, "date": 0,
                                                "sticker": None}}, []),
]


@pytest.mark.parametrize(("update", "expected"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES])
def test_parse(update: dict, expected: list) -> None:
    assert parse(update, HEADERS, secret=SECRET, now=NOW) == expected


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                                     {"x-telegram-bot-api-secret-token": ""}])
def test_a_missing_or_wrong_secret_is_refused(headers: dict) -> None:
    with pytest.raises(BadSecret):
        parse(message(1, "hi"), headers, secret=SECRET, now=NOW)


def test_an_empty_configured_secret_refuses_everything() -> None:
    with pytest.raises(BadSecret):
        parse(message(1, "hi"), {"X-Telegram-Bot-Api-Secret-Token": ""}, secret="", now=NOW)


def test_a_malformed_update_of_a_used_type_is_a_typed_error() -> None:
    with pytest.raises(BadPayload):
        parse({"update_id": 1, "callback_query": {"id": "x"}}, HEADERS, secret=SECRET, now=NOW)


def test_callback_data_is_short_ascii_and_round_trips() -> None:
    assert callback_data("overall", "2") == "c:overall:2"
    assert parse_callback_data("c:overall:2") == ("overall", "2")
    assert callback_data("bước-một", "1") == "c::1"  # non-ASCII step left out
    assert len(callback_data("x" * 100, "12").encode()) <= 64
    assert parse_callback_data("c::3") == (None, "3")
    assert parse_callback_data("anything") == (None, None)


def test_render_choices_as_buttons_and_multi_as_numbered_text() -> None:
    out = Outbound(ChannelName.TELEGRAM, "4242", "Hài lòng?", (Choice("1", "Có"), Choice("2", "Không")))
    assert render(out, step="q") == [ApiCall("sendMessage", {
        "chat_id": "4242", "text": "Hài lòng?", "reply_markup": {"inline_keyboard": [
            [{"text": "Có", "callback_data": "c:q:1"}], [{"text": "Không", "callback_data": "c:q:2"}]]}})]
    assert render(out, step="q", multi=True) == [
        ApiCall("sendMessage", {"chat_id": "4242", "text": "Hài lòng?\n1. Có\n2. Không"})]
    assert render(Outbound(ChannelName.TELEGRAM, "1", "Cảm ơn")) == [
        ApiCall("sendMessage", {"chat_id": "1", "text": "Cảm ơn"})]
    assert answer_callback("cb1") == ApiCall("answerCallbackQuery", {"callback_query_id": "cb1"})
    assert clear_keyboard("4242", 10) == ApiCall("editMessageReplyMarkup", {"chat_id": "4242", "message_id": 10})


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


async def test_send_makes_the_exact_call(fake: FakeBotApi) -> None:
    out = Outbound(ChannelName.TELEGRAM, "4242", "Chọn / choose", (Choice("1", "Tốt"),))
    async with open_bot(fake.token, fake.base_url) as bot:
        assert await send(bot, render(out, step="q")[0]) is SendResult.SENT
    assert fake.sent() == [("sendMessage", {"chat_id": "4242", "text": "Chọn / choose", "reply_markup": {
        "inline_keyboard": [[{"text": "Tốt", "callback_data": "c:q:1"}]]}})]


async def test_send_maps_errors(fake: FakeBotApi) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    call = ApiCall("sendMessage", {"chat_id": "1", "text": "x"})
    async with open_bot(fake.token, fake.base_url) as bot:
        fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        assert await send(bot, call, sleep=sleep) is SendResult.UNREACHABLE
        fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        assert await send(bot, call, sleep=sleep) is SendResult.SENT
        fake.fail("editMessageReplyMarkup", 400, "Bad Request: message is not modified")
        assert await send(bot, clear_keyboard("1", 5), sleep=sleep) is SendResult.SENT
        fake.fail("sendMessage", 400, "Bad Request: chat not found")
        assert await send(bot, call, sleep=sleep) is SendResult.FAILED
    assert waits == [7.0]
    assert [m for m, _ in fake.sent()] == ["sendMessage"] * 3 + ["editMessageReplyMarkup", "sendMessage"]


PLAIN_EXTRA = [
    message(20, "  /start  tok  ", command=True), message(21, "/Stop", command=True),
    message(22, "x") | {"message": message(22, "x")["message"] | {"entities": [
        {"offset": 2, "length": 3, "type": "bot_command"}, {"offset": 0, "length": 1, "type": "bold"}]}},
    {"update_id": 23, "message": {"message_id": 1, "chat": CHAT, "date": 0, "text": "no sender"}},
    callback(24, "c::3"), callback(25, ""),
    {"update_id": 26, "callback_query": {"id": "cb", "from": USER, "chat_instance": "1", "data": "c:a:1"}},
    {"update_id": 27, "callback_query": callback(27, "c:a:1")["callback_query"] | {"message": {
        "message_id": 9, "chat": CHAT, "date": 0}}},  # inaccessible message
    {"update_id": 28, "message": {"message_id": "1", "chat": CHAT, "date": 0, "text": "x"}},
    {"update_id": 29, "message": {"message_id": 1, "chat": {"id": 1}, "date": 0, "text": "x"}},
    {"update_id": 30, "message": {"message_id": 1, "chat": CHAT, "date": 0, "text": 5}},
    {"update_id": "31", "message": message(31, "x")["message"]},
]


@pytest.mark.parametrize("update", [c[1] for c in PARSE_CASES] + PLAIN_EXTRA)
def test_the_plain_json_reading_agrees_with_the_library(update: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot path reads text messages and presses off the JSON: the same items as the library's."""
    import channels.telegram as telegram

    def outcome() -> object:
        try:
            return telegram.parse_update(update, now=NOW)
        except Exception as exc:  # noqa: BLE001 - the same failure either way (text 5: AttributeError, as before)
            return type(exc)
    fast = outcome()
    monkeypatch.setattr(telegram, "_parse_plain", lambda payload, now: None)
    assert fast == outcome()
