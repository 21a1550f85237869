"""Zalo OA wiring: the webhook view, the desk that turns OA events into survey turns, the app context.

Every event is verified, recorded under its id and answered 200 at once (Zalo retries after
about 2 s); the turn runs after that, one at a time per user. Zalo user ids, phone numbers and
tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime

import aiohttp
from aiohttp import web

from bot.conversation import Conversations, Turn, utc_now
from bot.dispatch_app import SENDERS
from bot.errors import HailongError
from bot.keys import CONVERSATIONS, DATABASE, SETTINGS
from bot.settings import Settings
from bot.surveys import send_survey, start_problem
from bot.zalo_rating import ZnsInvitations, apply_rating
from bot.zalo_tokens import DbTokens, DbWindow
from channels.contract import ChannelName, Choice, Delivery, Outbound
from channels.zalo import BadSignature, Kind, OaSender, ZaloInbound, parse
from channels.zalo_zns import ZnsSender
from storage import (
    Database,
    NotFound,
    StaleSession,
    Survey,
    find_open_survey,
    find_survey,
    load_session,
    mark_unreachable,
    record_inbound,
    set_survey_contact,
    upsert_contact_address,
)
from storage.provider_tokens import mark_reachable, note_activity
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
RETRIES = 3
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
    """Turns OA events into survey turns and answers in the OA chat."""

    def __init__(self, db: Database, settings: Settings, conversations: Conversations, oa: OaSender, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._db, self._settings, self._talk, self._oa, self._clock = db, settings, conversations, oa, clock
        self._schema = load_schema()
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ZaloInbound]:
        """Verified inbound items of one delivery (BadSignature when forged)."""
        return parse(body, headers, app_id=self._settings.zalo_app_id,
                     secret_key=self._settings.zalo_oa_secret_key, now=self._clock())

    async def accept(self, item: ZaloInbound) -> bool:
        """Record the event id (False for a redelivery) and the user's activity, in one transaction."""
        address, now = item.inbound.address, self._clock()
        async with self._db.transaction() as s:
            if not await record_inbound(s, channel=CHANNEL, provider_message_id=item.inbound.provider_message_id,
                                        now=now):
                return False
            if item.kind is not Kind.FEEDBACK:
                # Following counts as writing: Zalo lets an OA answer a new follower (assumed).
                following = {Kind.FOLLOW: True, Kind.UNFOLLOW: False}.get(item.kind)
                await note_activity(s, channel=CHANNEL, address=address, now=now,
                                    wrote=item.kind is not Kind.UNFOLLOW, following=following)
        return True

    def process_later(self, item: ZaloInbound) -> None:
        """Run the event after the webhook has answered."""
        task = asyncio.create_task(self._process(item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every event taken so far (tests; clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _process(self, item: ZaloInbound) -> None:
        lock = self._locks.setdefault(item.inbound.address, asyncio.Lock())
        async with lock:  # one user's taps apply in order, never two at once in this process
            try:
                await self.handle(item)
            except Exception as exc:  # noqa: BLE001 - a bad event must not stop the others; no ids logged
                log.error("zalo %s event failed: %s", item.kind, type(exc).__name__)

    async def handle(self, item: ZaloInbound) -> None:
        """Act on one recorded event."""
        user = item.inbound.address
        if item.kind is Kind.FEEDBACK and item.feedback is not None:
            result = await apply_rating(self._db, self._schema, item.feedback, now=self._clock(), dedupe=False)
            log.info("zalo rating %s", result)
        elif item.kind is Kind.UNFOLLOW:
            await self._unreachable(user)
        elif item.kind is Kind.FOLLOW:
            async with self._db.transaction() as s:
                await mark_reachable(s, channel=CHANNEL, address=user)
            await self._say(user, "welcome")
        elif item.kind is Kind.CHOICE:
            await self._choice(user, item.step, item.inbound.choice)
        else:
            await self._text(user, item.inbound.text or "")

    async def _text(self, user: str, text: str) -> None:
        """A survey token or dossier code links the chat; anything else answers the open survey."""
        if _TOKEN.match(text) or _is_code(text):
            await self._link(user, text)
            return
        survey = await self._open_survey(user)
        if survey is None:
            await self._say(user, "no_survey")
            return
        await self._turn(user, survey, TextReply(text))

    async def _link(self, user: str, text: str) -> None:
        survey = None
        if _is_code(text):
            try:
                survey_token = (await send_survey(self._db, self._settings, text, now=self._clock(),
                                                  actor="zalo")).token
            except HailongError as exc:
                await self._send_text(user, f"{exc.vi}\n{exc.en}")
                return
            text = survey_token
        async with self._db.transaction() as s:
            survey = await find_survey(s, token=text)
        await self._start(user, survey)

    async def _start(self, user: str, survey: Survey | None) -> None:
        """Link the chat to the survey and ask the first question."""
        now = self._clock()
        async with self._db.transaction() as s:
            problem = start_problem(survey, now)
            if problem is None:
                contact = await upsert_contact_address(s, channel=CHANNEL, address=user, now=now)
                if survey.status == "active":
                    problem = "ongoing" if survey.contact_id == contact.contact_id else "elsewhere"
                else:
                    survey = await set_survey_contact(s, survey.id, contact.contact_id)
        if problem is not None:
            await self._say(user, problem)
            return
        await self._deliver(user, await self._talk.begin(survey, channel=CHANNEL))

    async def _choice(self, user: str, step: str | None, code: str | None) -> None:
        """A button: applied only when it belongs to the question being asked."""
        survey = await self._open_survey(user)
        current = await self._current_step(survey) if survey is not None else None
        if code is None or current is None or step not in (None, current):
            await self._say(user, "stale" if survey is not None else "no_survey")
            return
        await self._turn(user, survey, ChoiceReply(code))

    async def _turn(self, user: str, survey: Survey, reply: Reply) -> None:
        """Resume the session; a race lost to another worker is retried on the new state."""
        for attempt in range(RETRIES):
            try:
                turn = await self._talk.reply(survey, reply)
                break
            except StaleSession:
                if attempt == RETRIES - 1:
                    raise
            except NotFound:  # linked but never begun (a crash between the two): begin now
                turn = await self._talk.begin(survey, channel=CHANNEL)
                break
        await self._deliver(user, turn)

    async def _open_survey(self, user: str) -> Survey | None:
        async with self._db.transaction() as s:
            return await find_open_survey(s, channel=CHANNEL, address=user)

    async def _current_step(self, survey: Survey) -> str | None:
        async with self._db.transaction() as s:
            row = await load_session(s, survey.id)
        return None if row is None or row.status != "active" else row.state.get("step_id")

    async def _deliver(self, user: str, turn: Turn) -> None:
        for message in turn.messages:
            choices = tuple(Choice(c.code, c.label) for c in message.choices)
            outbound = Outbound(ChannelName.ZALO, user, message.text, choices, step=message.step_id,
                                multi=message.multi)
            if not await self._send(outbound):
                return

    async def _say(self, user: str, key: str) -> None:
        await self._send_text(user, TEXTS[key])

    async def _send_text(self, user: str, text: str) -> None:
        await self._send(Outbound(ChannelName.ZALO, user, text))

    async def _send(self, outbound: Outbound) -> bool:
        result = await self._oa.send(outbound)
        if result.delivery is Delivery.UNREACHABLE:
            await self._unreachable(outbound.address)
        elif result.delivery is not Delivery.SENT:
            log.warning("zalo send %s: %s", result.delivery, result.error)
        return result.delivery is Delivery.SENT

    async def _unreachable(self, user: str) -> None:
        """Left the OA or blocked it: stop this address; the survey can go on elsewhere."""
        async with self._db.transaction() as s:
            await mark_unreachable(s, channel=CHANNEL, address=user, now=self._clock())


def _is_code(text: str) -> bool:
    try:
        normalize_code(text)
    except InvalidDossierCode:
        return False
    return True


# --- webhook and app context -------------------------------------------------------------

ZALO_DESK = web.AppKey("zalo_desk", ZaloDesk)


async def webhook(request: web.Request) -> web.Response:
    """`POST /webhooks/zalo`: verify the signature over the raw body, record, answer, then act."""
    desk = request.app.get(ZALO_DESK)
    if desk is None:
        raise web.HTTPNotFound()
    body = await request.read()
    try:
        items = desk.parse(body, request.headers)
    except BadSignature:
        return web.Response(status=401)
    for item in items:
        if await desk.accept(item):
            desk.process_later(item)
    return web.Response(status=200)


async def zalo_context(app: web.Application) -> AsyncIterator[None]:
    """The Zalo desk, when the OA secret key (which signs the webhook) is configured."""
    settings = app[SETTINGS]
    if not settings.zalo_oa_secret_key:
        yield
        return
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        db = app[DATABASE]
        tokens = DbTokens(db, settings, http)
        oa = OaSender(http, settings.zalo_oa_api_base_url, tokens, DbWindow(db, settings))
        desk = ZaloDesk(db, settings, app[CONVERSATIONS], oa)
        app[ZALO_DESK] = desk
        if SENDERS in app:  # the outbox drain sends queued OA messages and ZNS invitations through these
            zns = ZnsSender(http, settings.zalo_zns_api_base_url, tokens, settings.zalo_zns_rating_template_id)
            app[SENDERS] |= {"zalo": oa, "zalo_zns": ZnsInvitations(db, settings, zns)}
        yield
        await desk.drain()
