"""TelegramSender: one outbox message → one Bot API call → the outcome the dispatcher acts on."""

from __future__ import annotations

import pytest

from channels.contract import ChannelName, Choice, Delivery, Outbound
from channels.telegram import TelegramSender, open_bot
from tests.channels.telegram_fake import FakeBotApi

QUESTION = Outbound(ChannelName.TELEGRAM, "4242", "Mấy sao?", (Choice("1", "Kém"), Choice("5", "Rất tốt")),
                    step="overall")


@pytest.fixture
async def api():
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.stop()


async def _send(api: FakeBotApi, outbound: Outbound = QUESTION):
    async with open_bot(api.token, api.base_url) as bot:
        return await TelegramSender(bot).send(outbound)


async def test_sent_with_buttons_and_the_message_id(api: FakeBotApi) -> None:
    outcome = await _send(api)
    assert outcome.delivery is Delivery.SENT and outcome.provider_message_id == "101"
    [(_, params)] = api.sent("sendMessage")
    assert [r[0]["callback_data"] for r in params["reply_markup"]["inline_keyboard"]] == ["c:overall:1", "c:overall:5"]


@pytest.mark.parametrize(("status", "description", "retry_after", "delivery"), [
    (403, "Forbidden: bot was blocked by the user", None, Delivery.UNREACHABLE),
    (429, "Too Many Requests: retry after 7", 7, Delivery.RETRY),
    (400, "Bad Request: chat not found", None, Delivery.FAILED),
    (502, "Bad Gateway", None, Delivery.RETRY),
])
async def test_errors_map_to_what_the_dispatcher_does(api, status, description, retry_after, delivery) -> None:
    api.fail("sendMessage", status, description, retry_after)
    outcome = await _send(api)
    assert outcome.delivery is delivery and (outcome.retry_after == retry_after if retry_after else True)
    assert api.token not in (outcome.error or "")


async def test_a_refused_connection_is_retried_and_names_no_token() -> None:
    from tests.live import free_port

    async with open_bot("123:SECRET-TOKEN", f"http://127.0.0.1:{free_port()}") as bot:
        outcome = await TelegramSender(bot).send(QUESTION)
    assert outcome.delivery is Delivery.RETRY and "SECRET-TOKEN" not in (outcome.error or "")


async def test_a_bot_api_that_does_not_answer_in_time_is_retried(api: FakeBotApi) -> None:
    """The Bot API takes longer than the read timeout: a retry, not a hang and not a loss."""
    from telegram import Bot

    from channels.telegram_http import AiohttpRequest

    api.stall("sendMessage", seconds=2.0)
    request = AiohttpRequest(read_timeout=0.3, connect_timeout=0.3, write_timeout=0.3)
    bot = Bot(api.token, base_url=f"{api.base_url}/bot", request=request)
    try:
        outcome = await TelegramSender(bot).send(QUESTION)
    finally:
        await request.shutdown()
    assert outcome.delivery is Delivery.RETRY and api.token not in (outcome.error or "")


async def test_an_answer_slower_than_the_old_5_s_timeout_is_sent_once(api: FakeBotApi) -> None:
    """Issue 14: a Bot API answer after 6 s was a timeout, a retry and the question shown twice."""
    api.stall("sendMessage", seconds=6.0)
    async with open_bot(api.token, api.base_url) as bot:
        outcome = await TelegramSender(bot).send(QUESTION)
    assert outcome.delivery is Delivery.SENT and len(api.sent("sendMessage")) == 1


async def test_an_edit_made_again_after_a_crash_is_sent_and_shows_nothing_new(api: FakeBotApi) -> None:
    """A question edited in place, its commit cut by a crash, is edited again: the Bot API says
    "message is not modified", which is the question on screen already (no second message)."""
    from dataclasses import replace

    api.fail("editMessageText", 400, "Bad Request: message is not modified: specified new message content "
                                     "and reply markup are exactly the same")
    outcome = await _send(api, replace(QUESTION, replaces="77"))
    assert outcome.delivery is Delivery.SENT and outcome.provider_message_id == "77"
    assert [m for m, _ in api.sent()] == ["editMessageText"]


async def test_an_edit_that_cannot_be_made_sends_the_question_anew(api: FakeBotApi) -> None:
    from dataclasses import replace

    api.fail("editMessageText", 400, "Bad Request: message to edit not found")
    outcome = await _send(api, replace(QUESTION, replaces="77"))
    assert outcome.delivery is Delivery.SENT and outcome.provider_message_id == "101"
    assert [m for m, _ in api.sent()] == ["editMessageText", "sendMessage"]
