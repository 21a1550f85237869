"""With every logger at DEBUG, no log record carries a secret or a citizen's data.

A Telegram survey runs through the real webhook (answers sent to a local Bot API) and a staff
user signs in through the real form; every record any logger wrote meanwhile (ours, SQLAlchemy's
engine, aiosqlite, asyncpg, aiohttp, httpx, python-telegram-bot) is searched for the bot token,
the webhook secret, the password and its hash, the session cookie, the chat id, the phone number,
the survey token and the text of every message.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timezone

import aiohttp
from live import serve_app_here
from surveykit import hidden

from bot.app import create_app
from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from bot.office.accounts import create_user
from storage import find_user, upsert_agency, upsert_contact_address, upsert_dossier
from tests.bot.conversation.test_telegram import drained
from tests.channels.telegram_fake import FakeBotApi

BOT_TOKEN = "8123456789:AAHdistinctiveBotTokenQx7wLm2ZrT5"
WEBHOOK_SECRET = "hook-secret-Vd8Kq2"
CHAT_ID = 7318264950
PHONE = "+84987650321"
CODE = "000.17.22.H56-261118-0001"
PASSWORD = "mật khẩu riêng Ye0 của Lan"
COMMENT = "Cán bộ tận tình, xin gọi lại số 0987650321 nhé"


def _update(update_id: int, *, text: str | None = None, data: str | None = None) -> dict:
    person = {"id": CHAT_ID, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    chat = {"id": CHAT_ID, "first_name": "Lan", "type": "private"}
    if data is not None:
        return {"update_id": update_id, "callback_query": {
            "id": f"cb{update_id}", "from": person, "chat_instance": "-99", "data": data,
            "message": {"message_id": 101, "from": {"id": 1, "is_bot": True, "first_name": "Bot"}, "chat": chat,
                        "date": 1764039600, "text": "?"}}}
    message = {"message_id": update_id, "from": person, "chat": chat, "date": 1764039600, "text": text}
    if text and text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split(" ")[0]), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


async def _seed(db, settings) -> tuple[str, str]:
    """A returned dossier with the citizen's phone, its survey, and a staff user: (survey token, password hash)."""
    now = datetime.now(timezone.utc)
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=now)
        contact = await upsert_contact_address(s, channel="sms", address=PHONE, now=now)
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=now,
                             contact_id=contact.contact_id)
    await create_user(db, username="lan", password=PASSWORD, role="manager", agency_code="000.17.22.H56",
                      actor="test", now=now)
    async with db.transaction() as s:
        password_hash = (await find_user(s, "lan")).password_hash
    return (await send_survey(db, settings, CODE, now=now)).token, password_hash


def _logged(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    """(logger, everything the record would print) of every captured record."""
    out = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        out.append((record.name, text))
    return out


async def test_debug_logs_hold_no_secret_and_no_personal_data(db, database_url: str, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library logs what it logs at DEBUG
    # SQLAlchemy keeps its own loggers at WARNING unless told: an operator turning on its SQL echo.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    api = FakeBotApi(token=BOT_TOKEN)
    await api.start()
    settings = load_settings(env_file=None, database_url=database_url, default_flow="quick",
                             telegram_bot_token=BOT_TOKEN, telegram_webhook_secret=WEBHOOK_SECRET,
                             telegram_api_base_url=api.base_url, telegram_bot_username="hailong_bot")
    token, password_hash = await _seed(db, settings)
    texts = [f"/start {token}", "hai long", COMMENT]
    try:
        async with serve_app_here(create_app(settings)) as url, aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            for n, update in enumerate([_update(1, text=texts[0]), _update(2, data="c:overall:5"),
                                        _update(3, text=texts[1]), _update(4, text=texts[2])], start=1):
                async with http.post(f"{url}/webhooks/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}) as r:
                    assert r.status == 200, n
                await drained(db)
            async with http.get(f"{url}/staff/login") as r:
                csrf = hidden(await r.text(), "_csrf")
            async with http.post(f"{url}/staff/login", data={"_csrf": csrf, "username": "lan", "password": PASSWORD,
                                                            "next": "/staff"}) as r:
                assert r.status == 200 and 'data-user="lan"' in await r.text()
            session = next(c.value for c in http.cookie_jar if c.key == "hl_staff")
    finally:
        await api.stop()
    assert [m for m, _ in api.sent()][-1] == "sendMessage"  # the survey ran to its thanks

    logged = _logged(caplog.records)
    names = {name for name, _ in logged}
    assert "sqlalchemy.engine.Engine" in names  # the SQL was logged (without its parameters)
    secrets = {"bot token": BOT_TOKEN, "bot token's secret part": BOT_TOKEN.split(":")[1],
               "webhook secret": WEBHOOK_SECRET, "password": PASSWORD, "password hash": password_hash,
               "session cookie": session, "chat id": str(CHAT_ID), "phone": PHONE, "phone (national)": "0987650321",
               "survey token": token, **{f"message {i}": t for i, t in enumerate(texts)}}
    leaks = [(what, name, text[:300]) for what, secret in secrets.items() for name, text in logged
             if secret in text or re.escape(secret) in text]
    assert leaks == [], "\n".join(map(str, leaks))
