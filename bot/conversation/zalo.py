"""Zalo OA: the desk that turns OA events into survey turns (the webhook view is bot/web/webhooks.py).

Every event is verified, then recorded under its id in the same transaction as the turn it
causes and the answers it queues (the outbox drain sends them), one at a time per user, and
only then answered 200 (Zalo retries after about 2 s): a redelivery changes nothing and a crash
loses nothing. Zalo user ids, phone numbers and tokens are never logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime

from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.surveys import send_survey_in
from bot.conversation.turns import Conversations, utc_now
from bot.conversation.zns import apply_rating_in
from channels.contract import ChannelName
from channels.zalo import Kind, ZaloInbound, parse
from storage import (
    Database,
    Survey,
    find_open_survey,
    find_survey,
    load_session,
    mark_unreachable,
    record_inbound,
)
from storage.locks import lock_key
from storage.messages import queue
from storage.provider_tokens import mark_reachable, note_activity
from storage.reach import reopen_channel
from survey_flows import (
    ChoiceReply,
    InvalidDossierCode,
    Reply,
    TextReply,
    load_schema,
    normalize_code,
)

log = logging.getLogger(__name__)
CHANNEL = ChannelName.ZALO.value
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")  # bot.surveys.new_token: 32 url-safe characters

TEXTS = {
    "welcome": "Xin chào! Gửi mã hồ sơ trên phiếu hẹn trả kết quả để đánh giá dịch vụ.\n"
               "Hello! Send the dossier code on your return slip to rate the service.",
    "unknown": "Mã khảo sát không đúng. Vui lòng kiểm tra lại mã trên phiếu.\n"
               "This survey code is not valid. Please check the code on your slip.",
    "used": "Khảo sát này đã kết thúc. Cảm ơn Ông/Bà!\nThis survey has ended. Thank you!",
    "expired": "Khảo sát này đã hết hạn. Cảm ơn Ông/Bà đã quan tâm.\n"
               "This survey has expired. Thank you for your interest.",
    "elsewhere": "Khảo sát này đang được trả lời ở nơi khác.\nThis survey is being answered elsewhere.",
    "ongoing": "Ông/Bà đang trả lời khảo sát này; vui lòng trả lời câu hỏi ở trên.\n"
               "You are answering this survey; please answer the question above.",
    "no_survey": "Hiện không có khảo sát nào đang mở. Gửi mã hồ sơ trên phiếu hẹn để bắt đầu.\n"
                 "There is no open survey. Send the dossier code on your slip to start.",
    "stale": "Câu hỏi này đã được trả lời.\nThis question has already been answered.",
}


class ZaloDesk:
    """Turns OA events into survey turns; the answers go out through the outbox (the OA sender)."""

    def __init__(self, db: Database, settings: Settings, conversations: Conversations, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._db, self._settings, self._talk, self._clock = db, settings, conversations, clock
        self._schema = load_schema()

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ZaloInbound]:
        """Verified inbound items of one delivery (BadSignature when forged)."""
        return parse(body, headers, app_id=self._settings.zalo_app_id,
                     secret_key=self._settings.zalo_oa_secret_key, now=self._clock())

    async def handle(self, item: ZaloInbound) -> None:
        """Apply one event once, in one transaction with its id, the user's activity and its answers.

        A failure or a crash before the commit leaves nothing (the webhook is not answered 200,
        Zalo delivers again); after it, a redelivery is dropped and changes nothing.
        """
        user, now = item.inbound.address, self._clock()
        async with self._db.grouped() as s:  # SQLite: committed with concurrent turns (group commit)
            if item.kind is not Kind.FEEDBACK:  # a ZNS rating names no user: apply_rating_in locks its survey
                await lock_key(s, f"{CHANNEL}:{user}")  # one user's taps one at a time, in arrival order
            if not await record_inbound(s, channel=CHANNEL, provider_message_id=item.inbound.provider_message_id,
                                        now=now):
                return
            if item.kind is not Kind.FEEDBACK:
                # Following counts as writing: Zalo lets an OA answer a new follower (assumed).
                following = {Kind.FOLLOW: True, Kind.UNFOLLOW: False}.get(item.kind)
                await note_activity(s, channel=CHANNEL, address=user, now=now,
                                    wrote=item.kind is not Kind.UNFOLLOW, following=following)
            await self._act(s, item)
        self._talk.on_enqueue()

    async def _act(self, s, item: ZaloInbound) -> None:
        """Everything the event changes, in the caller's transaction."""
        user = item.inbound.address
        if item.kind is Kind.FEEDBACK:
            if item.feedback is not None:
                result = await apply_rating_in(s, self._schema, item.feedback, now=self._clock())
                log.info("zalo rating %s", result)
        elif item.kind is Kind.UNFOLLOW:
            await mark_unreachable(s, channel=CHANNEL, address=user, now=self._clock())
        elif item.kind is Kind.FOLLOW:
            await mark_reachable(s, channel=CHANNEL, address=user)
            await reopen_channel(s, channel=CHANNEL, address_channel=CHANNEL, address=user)
            await self._say(s, user, "welcome")
        elif item.kind is Kind.CHOICE:
            await self._choice(s, user, item.step, item.inbound.choice)
        else:
            await self._text(s, user, item.inbound.text or "")

    async def _text(self, s, user: str, text: str) -> None:
        """A survey token or dossier code links the chat; anything else answers the open survey."""
        if _TOKEN.match(text) or _is_code(text):
            await self._link(s, user, text)
            return
        survey = await find_open_survey(s, channel=CHANNEL, address=user)
        if survey is None:
            await self._say(s, user, "no_survey")
            return
        await self._turn(s, user, survey, TextReply(text))

    async def _link(self, s, user: str, text: str) -> None:
        if _is_code(text):
            try:
                text = (await send_survey_in(s, self._settings, text, now=self._clock(), actor="zalo")).token
            except HailongError as exc:  # refused before anything was written
                await self._queue_text(s, user, f"{exc.vi}\n{exc.en}")
                return
        await self._start(s, user, await find_survey(s, token=text))

    async def _start(self, s, user: str, survey: Survey | None) -> None:
        """Link the chat to the survey and ask the first question."""
        problem = await self._talk.start_in(s, survey, channel=CHANNEL, address=user)
        if problem is not None:
            await self._say(s, user, problem)

    async def _choice(self, s, user: str, step: str | None, code: str | None) -> None:
        """A button: applied only when it belongs to the question being asked."""
        survey = await find_open_survey(s, channel=CHANNEL, address=user)
        current = await self._current_step(s, survey) if survey is not None else None
        if code is None or current is None or step not in (None, current):
            await self._say(s, user, "stale" if survey is not None else "no_survey")
            return
        await self._turn(s, user, survey, ChoiceReply(code))

    async def _turn(self, s, user: str, survey: Survey, reply: Reply) -> None:
        """Resume the session (load, run, save in this transaction, under the survey's lock)."""
        await self._talk.go_on_in(s, survey, reply, channel=CHANNEL, address=user)

    async def _current_step(self, s, survey: Survey) -> str | None:
        row = await load_session(s, survey.id)
        return None if row is None or row.status != "active" else row.state.get("step_id")

    async def _say(self, s, user: str, key: str) -> None:
        await self._queue_text(s, user, TEXTS[key])

    async def _queue_text(self, s, user: str, text: str) -> None:
        await queue(s, channel=CHANNEL, address=user, now=self._clock(), payload={"text": text, "choices": []})


def _is_code(text: str) -> bool:
    try:
        normalize_code(text)
    except InvalidDossierCode:
        return False
    return True
