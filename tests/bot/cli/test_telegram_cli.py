"""`hailong telegram set-webhook` and `hailong telegram poll`, against the local Bot API server."""

from __future__ import annotations

import pytest

from bot.cli.commands import telegram_poll, telegram_set_webhook
from bot.common.settings import load_settings
from bot.conversation.telegram import TelegramNotConfigured
from tests.bot.conversation.test_telegram import _seed
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import SECRET, message


@pytest.fixture
async def api():
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.stop()


def _settings(api: FakeBotApi, database_url: str = "sqlite+aiosqlite:///unused.db", **kw):
    values = dict(database_url=database_url, public_url="https://khaosat.example.vn/", default_flow="quick",
                  telegram_bot_token=api.token, telegram_webhook_secret=SECRET,
                  telegram_api_base_url=api.base_url) | kw
    return load_settings(env_file=None, **values)


async def test_set_webhook_registers_url_secret_and_update_types(api: FakeBotApi) -> None:
    await telegram_set_webhook(_settings(api))
    assert api.sent() == [("setWebhook", {
        "url": "https://khaosat.example.vn/webhooks/telegram", "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query", "my_chat_member"]})]


async def test_set_webhook_without_a_secret_is_refused(api: FakeBotApi) -> None:
    with pytest.raises(TelegramNotConfigured):
        await telegram_set_webhook(_settings(api, telegram_webhook_secret=""))


async def test_poll_feeds_updates_to_the_same_desk(api: FakeBotApi, db, database_url: str) -> None:
    settings = _settings(api, database_url)
    token = await _seed(db, settings)
    api.updates = [message(1, f"/start {token}", command=True)]
    assert await telegram_poll(settings, rounds=1) == 1
    [(method, params)] = api.sent("sendMessage")
    assert params["chat_id"] == "4242" and params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "c:overall:1"
    assert [m for m, _ in api.sent()] == ["deleteWebhook", "sendMessage"]
