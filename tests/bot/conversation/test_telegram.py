"""Telegram end to end: real-shaped updates posted to the running app's webhook, Bot API calls
asserted on a local server that speaks the Bot API (nothing of ours is patched)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import aiohttp
import pytest
from live import serve_app_here
from sqlalchemy import func, select

from bot.app import create_app
from bot.cli.commands import simulate_json
from bot.common.settings import Settings, load_settings
from bot.conversation.flows import load_revision
from bot.conversation.surveys import send_survey
from bot.office.sms_templates import SAMPLE_DOSSIER
from storage import (
    ContactAddress,
    Dossier,
    Evaluation,
    InboundMessage,
    OutboxMessage,
    Survey,
    evaluation_answers,
    upsert_agency,
    upsert_dossier,
)
from storage.surveys import read_session
from survey_flows import dossier_points, load_flow, load_schema
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.test_channels_telegram import SECRET, callback, member, message

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"
CHAT = "4242"

# What the citizen reads, written out (the flow `quick` for dossier CODE, and the bot's own answers).
ASK_OVERALL = ("sendMessage", {
    "chat_id": CHAT,
    "text": "Ông/Bà chấm mấy sao cho việc giải quyết hồ sơ 000.17.22.H56-261118-0001? (1 = Kém, 5 = Rất tốt)",
    "reply_markup": {"inline_keyboard": [
        [{"text": "Kém", "callback_data": "c:overall:1"}], [{"text": "Chưa tốt", "callback_data": "c:overall:2"}],
        [{"text": "Bình thường", "callback_data": "c:overall:3"}], [{"text": "Tốt", "callback_data": "c:overall:4"}],
        [{"text": "Rất tốt", "callback_data": "c:overall:5"}]]}})
ASK_OFFICER = ("sendMessage", {
    "chat_id": CHAT,
    "text": "Ông/Bà đánh giá thế nào về thái độ phục vụ của cán bộ?",  # the dossier names no officer
    "reply_markup": {"inline_keyboard": [
        [{"text": "Rất hài lòng", "callback_data": "c:officer:1"}], [{"text": "Hài lòng", "callback_data": "c:officer:2"}],
        [{"text": "Không hài lòng", "callback_data": "c:officer:3"}]]}})
ASK_COMMENT = ("sendMessage", {"chat_id": CHAT, "text": "Ông/Bà có góp ý gì thêm không? (gửi BỎ QUA nếu không có)"})
THANKS = "Cảm ơn Ông/Bà đã tham gia đánh giá!"
STOPPED = "Ông/Bà đã dừng khảo sát. Chúng tôi sẽ không hỏi thêm về hồ sơ này. Xin cảm ơn."
WELCOME = ("Xin chào! Hãy mở đường dẫn khảo sát trên phiếu hẹn trả kết quả (mã QR) để bắt đầu.\n"
           "Hello! Open the survey link on your return slip (QR code) to start.")
UNKNOWN = ("Mã khảo sát không đúng. Vui lòng quét lại mã QR trên phiếu.\n"
           "This survey code is not valid. Please scan the QR code on your slip again.")
USED = "Khảo sát này đã kết thúc. Cảm ơn Ông/Bà!\nThis survey has ended. Thank you!"
NO_SURVEY = ("Hiện không có khảo sát nào đang mở. Mở đường dẫn trên phiếu hẹn để bắt đầu.\n"
             "There is no open survey. Open the link on your return slip to start.")
HELP = ("Trả lời bằng nút bấm hoặc gõ số/câu trả lời. Gõ /stop để dừng khảo sát.\n"
        "Answer with the buttons or type a number/answer. Send /stop to stop the survey.")


def say(text: str) -> tuple[str, dict]:
    """A plain sendMessage to the citizen's chat."""
    return ("sendMessage", {"chat_id": CHAT, "text": text})


def replacing(call: tuple[str, dict], message_id: str = "101") -> tuple[str, dict]:
    """The same message put in place of the pressed question (101: the fake's first message)."""
    return ("editMessageText", call[1] | {"message_id": message_id})


def acknowledged(body: str, callback_id: str, text: str | None = None) -> bool:
    """The webhook's own answer acknowledges the press (no Bot API request of ours)."""
    answer = json.loads(body)
    wanted = {"method": "answerCallbackQuery", "callback_query_id": callback_id}
    return answer == (wanted if text is None else answer | wanted) and (text is None or answer["text"].startswith(text))


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


async def test_a_full_survey_writes_the_same_evaluation_as_the_simulator(running: Running) -> None:
    """Every answer row and every evaluation column, against `hailong simulate quick --channel
    telegram --json` given the same replies; what only a real survey has is checked on its own."""
    before = datetime.now(timezone.utc)
    updates = [message(1, f"/start {running.token}", command=True), callback(2, "c:overall:5", 101),
               message(3, "hai long"), message(4, "Nhanh gọn")]
    for update in updates:
        assert await running.post(update) == 200
    after = datetime.now(timezone.utc)
    assert running.api.sent() == [ASK_OVERALL, replacing(ASK_OFFICER), ASK_COMMENT, say(THANKS)]
    record = simulate_json("quick", lang="vi", channel="telegram", lines=["5", "hai long", "Nhanh gọn"],
                           context=SAMPLE_DOSSIER | {"dossier_code": CODE})
    async with running.db.transaction() as s:
        evaluation = await s.scalar(select(Evaluation))
        rows = await evaluation_answers(s, evaluation.id)
        survey = await s.scalar(select(Survey))
        dossier = await s.scalar(select(Dossier))
        flow = await load_revision(s, evaluation.flow_id, evaluation.flow_revision, load_schema())

    header = _columns(evaluation)
    # The same as the simulator's record.
    assert {"flow": header.pop("flow_id"), "lang": header.pop("language"),
            "schema_version": header.pop("schema_version"), "channel": header.pop("channel"),
            "status": survey.status} == {k: record[k] for k in ("flow", "lang", "schema_version", "channel", "status")}
    assert record["channel"] == "telegram" and record["status"] == "completed"
    # The revision the survey pinned when it started (0: the shipped file) is the simulator's version.
    assert header.pop("flow_revision") == survey.flow_revision == 0
    assert flow.version == record["flow_version"] == load_flow("quick", load_schema()).version
    # Only a real survey has these: its ids and when it was completed.
    completed_at = header.pop("completed_at")
    assert before <= completed_at <= after
    assert header == {"id": evaluation.id, "dossier_id": dossier.id, "survey_id": survey.id,
                      "agency_id": dossier.agency_id, "officer_id": None}

    answers = {a.field: _columns(a, leave_out=("id", "evaluation_id", "field")) for a in rows}
    assert len(answers) == len(rows)
    # Computed from the dossier's dates (received 18/11, due 20/11, returned 19/11: early), not asked.
    computed = dossier_points(date(2026, 11, 18), date(2026, 11, 20), date(2026, 11, 19))
    assert computed == {"indicator.1": 2}
    assert {f: answers.pop(f) for f in computed} == {
        f: {"value": points, "level": None, "text": None, "items": None} for f, points in computed.items()}
    assert answers == record["answers"]
    assert answers["comment"]["text"] == "Nhanh gọn" and answers["satisfaction.overall"]["level"] is not None


async def test_a_nul_character_in_a_message_is_dropped_not_a_failure_redelivered_for_ever(running: Running) -> None:
    """PostgreSQL stores no NUL: the turn failed (500), and Telegram delivers a failed update again and again."""
    updates = [message(1, f"/start {running.token}", command=True), callback(2, "c:overall:5", 101),
               message(3, "hai\x00 long"), message(4, "Nhanh\x00 gọn\x00")]
    for update in updates:
        assert await running.post(update) == 200
    assert running.api.sent()[-1] == say(THANKS)
    async with running.db.transaction() as s:
        rows = await evaluation_answers(s, (await s.scalar(select(Evaluation))).id)
    assert {a.field: a.text for a in rows}["comment"] == "Nhanh gọn"


def _columns(row, leave_out: tuple[str, ...] = ()) -> dict:
    """Every mapped column of a row (a new column makes the comparisons above fail until named)."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in leave_out}


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
    calls = len(running.api.sent())
    await running.post(callback(3, "c:overall:1", 101))  # pressed again on the old question
    assert acknowledged(running.last_body, "cb3", "Câu hỏi này đã được trả lời")
    assert len(running.api.sent("sendMessage")) == before and len(running.api.sent()) == calls


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


# --- the update table: real-shaped updates in through the webhook, exact Bot API calls out -------

TOKEN = "<token>"  # stands for the running survey's token in the updates below


def _start(update_id: int, text: str = f"/start {TOKEN}") -> dict:
    return message(update_id, text, command=True)


def _edited(update_id: int, text: str) -> dict:
    return {"update_id": update_id, "edited_message": message(update_id, text)["message"] | {"edit_date": 1764039700}}


def _with_token(update: dict, token: str) -> dict:
    return json.loads(json.dumps(update).replace(TOKEN, token))


async def _unreachable(db) -> None:
    async with db.transaction() as s:
        address = await s.scalar(select(ContactAddress))
    assert address.channel == "telegram" and address.address == CHAT and address.unreachable_at is not None


async def _opted_out(db) -> None:
    async with db.transaction() as s:
        assert (await s.scalar(select(Survey))).status == "opted_out"


async def _waiting_for_the_comment(db) -> None:
    async with db.transaction() as s:
        survey = await s.scalar(select(Survey))
        session = await read_session(s, survey.id)
    assert survey.status == "active" and session.state["step_id"] == "comment"


ANSWER_OVERALL = [replacing(ASK_OFFICER)]  # the press is acknowledged in the webhook's answer

# (name, updates posted in order, every Bot API call made, a check of the database afterwards)
UPDATE_CASES = [
    ("text without a survey", [message(1, "xin chào")], [say(NO_SURVEY)], None),
    ("/start with a valid token", [_start(1)], [ASK_OVERALL], None),
    ("/start without a token", [_start(1, "/start")], [say(WELCOME)], None),
    ("/start with an unknown token", [_start(1, "/start Zz9_unknown-token")], [say(UNKNOWN)], None),
    ("/start with a used token (stopped)", [_start(1), message(2, "/stop", command=True), _start(3)],
     [ASK_OVERALL, say(STOPPED), say(USED)], _opted_out),
    ("/start with a used token (completed)",
     [_start(1), callback(2, "c:overall:5", 101), message(3, "2"), message(4, "bỏ qua"), _start(5)],
     [ASK_OVERALL, *ANSWER_OVERALL, ASK_COMMENT, say(THANKS), say(USED)], None),
    ("callback answers the first question", [_start(1), callback(2, "c:overall:5", 101)],
     [ASK_OVERALL, *ANSWER_OVERALL], None),
    ("typed answer without diacritics", [_start(1), callback(2, "c:overall:5", 101), message(3, "hai long")],
     [ASK_OVERALL, *ANSWER_OVERALL, ASK_COMMENT], _waiting_for_the_comment),
    ("edited message", [_start(1), _edited(2, "5")], [ASK_OVERALL], None),
    ("my_chat_member kicked", [_start(1), member(2, "kicked")], [ASK_OVERALL], _unreachable),
    ("channel_post", [{"update_id": 1, "channel_post": {
        "message_id": 1, "date": 1764039600, "chat": {"id": -1001234567890, "type": "channel", "title": "Tin"},
        "sender_chat": {"id": -1001234567890, "type": "channel", "title": "Tin"}, "text": "xin chào"}}], [], None),
    ("poll", [{"update_id": 1, "poll": {
        "id": "5800000000000000001", "question": "?", "options": [{"text": "a", "voter_count": 0}],
        "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
        "allows_multiple_answers": False}}], [], None),
    ("unknown update type", [{"update_id": 1, "some_future_update": {"chat": {"id": 4242, "type": "private"}}}],
     [], None),
    ("/help", [message(1, "/help", command=True)], [say(HELP)], None),
    ("/stop", [_start(1), message(2, "/stop", command=True)], [ASK_OVERALL, say(STOPPED)], _opted_out),
]


@pytest.mark.parametrize(("updates", "calls", "check"), [c[1:] for c in UPDATE_CASES],
                         ids=[c[0] for c in UPDATE_CASES])
async def test_updates_through_the_webhook_make_exactly_these_bot_api_calls(
    running: Running, updates: list[dict], calls: list, check
) -> None:
    for update in updates:
        assert await running.post(_with_token(update, running.token)) == 200
    assert running.api.sent() == calls
    if check is not None:
        await check(running.db)


async def test_a_press_is_acknowledged_in_the_webhook_answer_and_replaced_in_place(running: Running) -> None:
    await running.post(message(1, f"/start {running.token}", command=True))
    await running.post(callback(2, "c:overall:5", 101))
    assert acknowledged(running.last_body, "cb2")
    # One Bot API call for the press: the question edited into the next one, no acknowledgement request.
    assert running.api.sent() == [ASK_OVERALL, replacing(ASK_OFFICER)]
