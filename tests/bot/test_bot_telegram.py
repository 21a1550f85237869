"""Telegram end to end: real-shaped updates posted to the running app's webhook, Bot API calls
asserted on a local server that speaks the Bot API (nothing of ours is patched)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import aiohttp
import pytest
from live import serve_app_here
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings, load_settings
from bot.surveys import send_survey
from storage import (
    ContactAddress,
    Evaluation,
    InboundMessage,
    OutboxMessage,
    Survey,
    evaluation_answers,
    upsert_agency,
    upsert_dossier,
)
from survey_flows import (
    Env,
    TextReply,
    evaluation_record,
    load_flow,
    load_schema,
    resume,
    start,
)
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import SECRET, callback, member, message

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"
CHAT = "4242"


@dataclass
class Running:
    """The app on a real port, the fake Bot API, and the survey token of one returned dossier."""

    url: str
    api: FakeBotApi
    token: str
    db: object

    async def post(self, update: dict, secret: str | None = SECRET) -> int:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.url}/webhooks/telegram", json=update, headers=headers) as r:
                self.last_body = await r.text()
        await drained(self.db)  # the answers go out through the outbox, drained in the background
        return r.status


async def drained(db, timeout: float = 10.0) -> None:
    """Wait until the outbox has nothing left to send."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with db.transaction() as s:
            left = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.status.in_(("pending", "sending"))))
        if not left:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not drain")


async def _seed(db, settings: Settings, code: str = CODE) -> str:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        await upsert_dossier(s, code=code, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=T0)
    return (await send_survey(db, settings, code, now=datetime.now(timezone.utc))).token


@pytest.fixture
async def running(db, database_url: str) -> AsyncIterator[Running]:
    api = FakeBotApi()
    await api.start()
    settings = load_settings(
        env_file=None, database_url=database_url, default_flow="quick",
        telegram_bot_token=api.token, telegram_webhook_secret=SECRET,
        telegram_api_base_url=api.base_url, telegram_bot_username="hailong_bot",
        telegram_staff_ids="777",
    )
    token = await _seed(db, settings)
    try:
        async with serve_app_here(create_app(settings)) as url:
            yield Running(url, api, token, db)
    finally:
        await api.stop()


def texts(api: FakeBotApi) -> list[str]:
    return [p["text"] for _, p in api.sent("sendMessage")]


def buttons(params: dict) -> list[str]:
    return [row[0]["callback_data"] for row in params.get("reply_markup", {}).get("inline_keyboard", [])]


async def test_a_full_survey_writes_the_same_evaluation_as_the_simulator(running: Running) -> None:
    updates = [message(1, f"/start {running.token}", command=True), callback(2, "c:overall:5", 101),
               message(3, "hai long"), message(4, "Nhanh gọn")]
    for update in updates:
        assert await running.post(update) == 200
    calls = running.api.sent()
    assert [m for m, _ in calls] == ["sendMessage", "answerCallbackQuery", "editMessageReplyMarkup",
                                     "sendMessage", "sendMessage", "sendMessage"]
    first = calls[0][1]
    assert first["chat_id"] == CHAT and CODE in first["text"]
    assert buttons(first) == [f"c:overall:{i}" for i in range(1, 6)]
    assert calls[1][1] == {"callback_query_id": "cb2"}
    assert calls[2][1] == {"chat_id": CHAT, "message_id": "101"}
    assert buttons(calls[3][1])[0] == "c:officer:1"
    assert await _answers(running.db) == _simulated(["5", "hai long", "Nhanh gọn"])


def _simulated(lines: list[str]) -> dict:
    """The same replies given to survey_flows directly: the evaluation record's answers."""
    flow = load_flow("quick", load_schema())
    env = Env(now=T0, new_id=lambda: "x")
    session = start(flow, env, lang="vi", channel="telegram").session
    for line in lines:
        session = resume(flow, session, env, TextReply(line)).session
    assert str(session.status) == "completed"
    return evaluation_record(flow, session)["answers"]


async def test_replaying_every_update_three_times_changes_nothing(running: Running) -> None:
    updates = [message(1, f"/start {running.token}", command=True), callback(2, "c:overall:4"),
               callback(3, "c:officer:1"), message(4, "bỏ qua")]
    for update in updates:
        await running.post(update)
    once = list(running.api.calls)
    for _ in range(2):
        for update in updates:
            assert await running.post(update) == 200
    assert running.api.calls == once
    async with running.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Evaluation)) == 1


async def test_one_update_delivered_three_times_at_once_acts_once(running: Running) -> None:
    start = message(1, f"/start {running.token}", command=True)
    await asyncio.gather(*(running.post(start) for _ in range(3)))
    assert len(running.api.sent("sendMessage")) == 1


async def test_the_bot_token_is_not_logged(running: Running, caplog) -> None:
    caplog.set_level(logging.INFO)  # DEBUG dumps SQL parameters (aiosqlite): not for production
    await running.post(message(1, f"/start {running.token}", command=True))
    # aiohttp.access left out: the fake Bot API server's own access log shows its URL paths.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert running.api.token not in logged and running.token not in logged and CHAT not in logged


async def _answers(db) -> dict:
    async with db.transaction() as s:
        evaluation = await s.scalar(select(Evaluation))
        rows = await evaluation_answers(s, evaluation.id)
    assert evaluation.channel == "telegram"
    return {a.field: {"value": a.value, "level": a.level, "text": a.text, "items": a.items}
            for a in rows if a.field in ("satisfaction.overall", "satisfaction.officer_attitude", "comment")}


@pytest.mark.parametrize("secret", [None, "wrong", ""])
async def test_the_webhook_refuses_a_missing_or_wrong_secret(running: Running, secret) -> None:
    assert await running.post(message(1, f"/start {running.token}", command=True), secret=secret) == 401
    assert running.last_body == "" and running.api.sent() == []


START_CASES = [
    ("no token", "/start", "Xin chào"),
    ("unknown token", "/start nope", "Mã khảo sát không đúng"),
    ("help", "/help", "Trả lời bằng nút bấm"),
    ("text without a survey", "xin chào", "Hiện không có khảo sát"),
    ("staff command from a citizen", "/survey 000.17.22.H56-261118-0001", "Lệnh này chỉ dành cho cán bộ"),
]


@pytest.mark.parametrize(("text", "answer"), [c[1:] for c in START_CASES], ids=[c[0] for c in START_CASES])
async def test_polite_answers(running: Running, text: str, answer: str) -> None:
    await running.post(message(1, text, command=text.startswith("/")))
    [(method, params)] = running.api.sent()
    assert method == "sendMessage" and params["chat_id"] == CHAT and params["text"].startswith(answer)
    assert "\n" in params["text"]  # Vietnamese, then English


async def test_ignored_updates_make_no_calls(running: Running) -> None:
    edited = {"update_id": 9, "edited_message": message(9, "x")["message"] | {"edit_date": 1}}
    unknown = {"update_id": 10, "channel_post": {"message_id": 1, "date": 0,
                                                 "chat": {"id": -100, "type": "channel"}, "text": "x"}}
    broken = {"update_id": 11, "callback_query": {"id": "x"}}
    for update in (edited, unknown, broken):
        assert await running.post(update) == 200
    assert running.api.sent() == []


async def test_a_used_or_expired_token_and_someone_elses_survey(running: Running) -> None:
    await running.post(message(1, f"/start {running.token}", command=True))
    other = {"id": 99, "first_name": "B", "type": "private"}
    await running.post(message(2, f"/start {running.token}", command=True, chat=other))
    await running.post(message(3, f"/start {running.token}", command=True))
    assert texts(running.api)[1].startswith("Khảo sát này đang được trả lời ở nơi khác")
    assert texts(running.api)[2].startswith("Ông/Bà đang trả lời")
    await running.post(message(4, "/stop", command=True))
    await running.post(message(5, f"/start {running.token}", command=True))
    assert texts(running.api)[-1].startswith("Khảo sát này đã kết thúc")
    async with running.db.transaction() as s:
        survey = await s.scalar(select(Survey))
        assert survey.status == "opted_out"
        survey.expires_at = T0 - timedelta(days=1)
        survey.status = "invited"
    await running.post(message(6, f"/start {running.token}", command=True))
    assert texts(running.api)[-1].startswith("Khảo sát này đã hết hạn")


async def test_an_old_button_cannot_change_a_finished_step(running: Running) -> None:
    await running.post(message(1, f"/start {running.token}", command=True))
    await running.post(callback(2, "c:overall:5", 101))
    before = len(running.api.sent("sendMessage"))
    await running.post(callback(3, "c:overall:1", 101))  # pressed again on the old question
    answer = running.api.sent("answerCallbackQuery")[-1][1]
    assert answer["callback_query_id"] == "cb3" and answer["text"].startswith("Câu hỏi này đã được trả lời")
    assert len(running.api.sent("sendMessage")) == before


async def test_blocked_marks_the_address_unreachable_and_403_too(running: Running) -> None:
    await running.post(message(1, f"/start {running.token}", command=True))
    await running.post(member(2, "kicked"))
    async with running.db.transaction() as s:
        address = await s.scalar(select(ContactAddress))
        assert address.unreachable_at is not None
        address.unreachable_at = None
    running.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await running.post(message(3, "hai long"))
    async with running.db.transaction() as s:
        assert (await s.scalar(select(ContactAddress))).unreachable_at is not None


async def test_staff_trigger_a_survey_and_get_the_links(running: Running, db) -> None:
    staff = {"id": 777, "is_bot": False, "first_name": "Cán bộ"}
    update = message(1, f"/survey {CODE}", command=True)
    update["message"]["from"] = staff
    await running.post(update)
    [text] = texts(running.api)
    assert f"https://t.me/hailong_bot?start={running.token}" in text and f"/s/{running.token}" in text


async def test_staff_command_commits_with_its_update_and_a_redelivery_changes_nothing(running: Running, db) -> None:
    staff = {"id": 777, "is_bot": False, "first_name": "Cán bộ"}
    unknown = message(7, "/survey 000.17.22.H56-261118-0999", command=True)
    unknown["message"]["from"] = staff
    known = message(8, f"/survey {CODE}", command=True)
    known["message"]["from"] = staff
    for update in (unknown, known, unknown, known):  # Telegram delivers each twice
        await running.post(update)
    sent = texts(running.api)
    assert len(sent) == 2 and "Không tìm thấy hồ sơ" in sent[0] and f"/s/{running.token}" in sent[1]
    async with running.db.transaction() as s:
        ids = set(await s.scalars(select(InboundMessage.provider_message_id)))
        replies = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.address == "4242"))
    assert {"update:7", "update:8"} <= ids and replies == 2
