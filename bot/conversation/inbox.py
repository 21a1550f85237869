"""The one inbound path: every channel's events applied the same way, each in one transaction.

A channel parses its provider's payload into channel-neutral `Event`s (channels/contract.py);
`Inbox.apply` then, in one transaction: locks the contact, records the provider's message id
(a redelivery stops there and changes nothing), notes the contact's activity where the channel
has a reply window, runs the survey turn (session loaded once, engine, session and answers
saved, replies queued in the outbox), and commits. The outbox drain sends the replies. What
differs between channels is declared in the registry (channels/registry.py), not branched on
by name here: opt-out keywords, courtesy answers on paid channels, links by code, presses.

Phone numbers, chat ids and message texts are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.errors import HailongError
from bot.common.phones import e164
from bot.common.settings import Settings
from bot.conversation.surveys import send_survey_in
from bot.conversation.texts import say
from bot.conversation.turns import Conversations, utc_now
from bot.conversation.zns import apply_rating_in
from channels.contract import Event, EventKind
from channels.registry import REGISTRY, Address, Spec
from channels.sms import Keyword
from storage import (
    Database,
    Survey,
    find_open_survey,
    find_survey,
    load_session,
    mark_unreachable,
    record_inbound,
    set_survey_status,
    upsert_contact_address,
)
from storage.deliveries import is_opted_out, set_opted_out
from storage.locks import lock_key
from storage.messages import queue
from storage.provider_tokens import mark_reachable, note_activity
from storage.reach import reopen_channel
from storage.surveys import read_session
from survey_flows import ChoiceReply, InvalidDossierCode, Reply, TextReply, normalize_code

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")  # bot.conversation.surveys.new_token: 32 url-safe characters


class Applied(StrEnum):
    """What became of one event (the webhook answers accordingly)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # seen before: nothing changed
    STALE = "stale"  # a press on a question no longer asked: nothing changed


class Inbox:
    """Applies inbound events of every chat channel; replies go out through the outbox."""

    def __init__(
        self, db: Database, settings: Settings, conversations: Conversations, *,
        registry: Mapping[str, Spec] = REGISTRY, clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db, self._settings, self._talk = db, settings, conversations
        self._registry, self._clock = registry, clock

    def now(self) -> datetime:
        return self._clock()

    async def apply(self, event: Event) -> Applied:
        """Apply one event once, in one transaction with its id, the contact's activity and the replies.

        A failure or a crash before the commit leaves nothing (the provider delivers again, since
        the webhook was not answered); after it, a redelivery is dropped and changes nothing.
        """
        event = readable(event)
        spec = self._registry[event.channel]
        address = self.address_of(spec, event.address)
        async with self._db.grouped() as s:  # SQLite: committed with concurrent turns (group commit)
            if event.kind is not EventKind.RATING:  # a rating names no person: its survey is locked
                await lock_key(s, f"{spec.name}:{address}")  # one contact's events one at a time, in order
            if not await record_inbound(s, channel=spec.name, now=self._clock(),
                                        provider_message_id=event.provider_message_id):
                return Applied.DUPLICATE
            if spec.reply_window and event.kind is not EventKind.RATING:
                # Following counts as writing: Zalo lets an OA answer a new follower (assumed).
                following = {EventKind.HELLO: True, EventKind.UNFOLLOW: False}.get(event.kind)
                await note_activity(s, channel=spec.name, address=address, now=self._clock(),
                                    wrote=event.kind is not EventKind.UNFOLLOW, following=following)
            applied = await _Turn(self, s, spec, event, address).act()
        self._talk.on_enqueue()
        return applied

    @staticmethod
    def address_of(spec: Spec, address: str) -> str:
        """The address as it is filed: phone numbers in E.164 (0912…, 84912… and +84912… are one)."""
        return (e164(address, "VN") or address) if spec.address is Address.PHONE else address


def readable(event: Event) -> Event:
    """The event without NUL characters: nobody types one, PostgreSQL stores none, and an event
    whose turn fails is delivered again and again by its provider."""
    changes: dict[str, Any] = {f.name: value.replace("\x00", "") for f in fields(event)
               if isinstance(value := getattr(event, f.name), str) and "\x00" in value}
    return replace(event, **changes) if changes else event


class _Turn:
    """One event's work inside its transaction."""

    def __init__(self, inbox: Inbox, s: AsyncSession, spec: Spec, event: Event, address: str) -> None:
        self.inbox, self.s, self.spec, self.event, self.address = inbox, s, spec, event, address
        self.talk, self.now = inbox._talk, inbox._clock()

    async def act(self) -> Applied:
        kind = self.event.kind
        if kind is EventKind.RATING:
            result = await apply_rating_in(self.s, self.talk.schema, self.event.rating, now=self.now)
            log.info("%s rating %s", self.spec.name, result)
        elif kind is EventKind.UNFOLLOW:
            await mark_unreachable(self.s, channel=self.spec.name, address=self.address, now=self.now)
        elif kind is EventKind.HELLO:
            await mark_reachable(self.s, channel=self.spec.name, address=self.address)
            # Following (or /start) again reopens a channel a person-level refusal had closed.
            await reopen_channel(self.s, channel=self.spec.name, address_channel=self.spec.address_channel,
                                 address=self.address)
            await self.say("welcome")
        elif kind is EventKind.HELP:
            await self.say("help")
        elif kind is EventKind.START:
            await self.start(await find_survey(self.s, token=self.event.argument or ""))
        elif kind is EventKind.STAFF:
            await self.staff_survey()
        elif kind is EventKind.CHOICE:
            return await self.choice()
        else:
            await self.text(self.event.text or "")
        return Applied.APPLIED

    # --- texts and presses ------------------------------------------------------------------

    async def text(self, text: str) -> None:
        """Keywords first (where the channel has them), then links by code, then the survey."""
        keyword = self.spec.keywords(text) if self.spec.keywords is not None else None
        if self.event.kind is EventKind.STOP:
            keyword = Keyword.STOP if self.spec.opt_out else None
            text = text if self.spec.opt_out else "stop"
        if self.spec.opt_out and await self.opted_out_or_keyword(keyword):
            return
        if self.spec.links_by_code and (_TOKEN.match(text) or _is_code(text)):
            await self.link(text)
            return
        survey = await find_open_survey(self.s, channel=self.spec.name, address=self.address)
        if survey is None:
            await self.no_survey()
            return
        await self.turn(survey, TextReply(text))

    async def choice(self) -> Applied:
        """A press, applied only while its question is the one being asked (checked under the lock)."""
        survey = await find_open_survey(self.s, channel=self.spec.name, address=self.address)
        row = None
        if survey is not None:
            # Read once, under the survey's lock: the turn below runs on this very row.
            await lock_key(self.s, f"survey:{survey.id}")
            row = await read_session(self.s, survey.id)
        current = None if row is None or row.status != "active" else row.state.get("step_id")
        code = self.event.choice
        if survey is None or code is None or current is None or self.event.step not in (None, current):
            if not self.spec.acknowledges:  # where a press is acknowledged, the acknowledgement says it
                await self.say("stale" if survey is not None else "no_survey")
            return Applied.STALE
        await self.turn(survey, ChoiceReply(code), replaces=self.event.message, loaded=row)
        return Applied.APPLIED

    async def turn(self, survey: Survey, reply: Reply, *, replaces: str | None = None, loaded: Any = None) -> None:
        """Resume the session (begin it when the invitation was answered here), in this transaction.

        `loaded`: the session's row, read in this transaction under the survey's lock.
        """
        turn = await self.talk.go_on_in(self.s, survey, reply, channel=self.spec.name, address=self.address,
                                        replaces=replaces, records_as=self.spec.records_as, loaded=loaded)
        if self.spec.opt_out and turn.session.status == "opted_out":
            await set_opted_out(self.s, channel=self.spec.name, address=self.address, now=self.now)

    # --- linking a chat to a survey ---------------------------------------------------------

    async def link(self, text: str) -> None:
        """A survey token, or a dossier code whose survey is opened now, links the chat."""
        if _is_code(text):
            try:
                text = (await send_survey_in(self.s, self.inbox._settings, text, now=self.now,
                                             actor=self.spec.name)).token
            except HailongError as exc:  # refused before anything was written
                await self.tell(f"{exc.vi}\n{exc.en}")
                return
        await self.start(await find_survey(self.s, token=text))

    async def start(self, survey: Survey | None) -> None:
        """Link the chat to the survey and ask the first question, or say why not."""
        problem = await self.talk.start_in(self.s, survey, channel=self.spec.name, address=self.address,
                                           records_as=self.spec.records_as)
        if problem is not None:
            await self.say(problem)

    async def staff_survey(self) -> None:
        """Reception staff open a dossier's survey and get its links back (refused before any write)."""
        settings = self.inbox._settings
        if self.event.sender not in settings.staff_ids:
            await self.say("staff_only")
            return
        if not self.event.argument:
            await self.say("survey_usage")
            return
        try:
            invitation = await send_survey_in(self.s, settings, self.event.argument, now=self.now,
                                              actor=f"{self.spec.name}-staff")
        except HailongError as exc:
            await self.tell(f"{exc.vi}\n{exc.en}")
            return
        deep = f"https://t.me/{settings.telegram_bot_username}?start={invitation.token}"
        await self.say("staff_links", code=invitation.dossier_code, link=invitation.link, deep=deep)

    # --- opting out (channels with `opt_out`) -----------------------------------------------

    async def opted_out_or_keyword(self, keyword: Keyword | None) -> bool:
        """Apply an opt-out keyword; True when nothing more is to be done with the text."""
        if keyword is Keyword.STOP:
            await self.opt_out()
            return True
        opted_out = await is_opted_out(self.s, channel=self.spec.name, address=self.address)
        if keyword is Keyword.START or (keyword is Keyword.YES and opted_out):
            await set_opted_out(self.s, channel=self.spec.name, address=self.address, now=None)
            await reopen_channel(self.s, channel=self.spec.name, address_channel=self.spec.address_channel,
                                 address=self.address)  # a provider's STOP (21610), lifted
            await self.say("started")
            return True
        if opted_out:
            return True  # they said stop: silence until START
        if keyword is Keyword.MAYBE_STOP:
            survey = await find_open_survey(self.s, channel=self.spec.name, address=self.address)
            if survey is None or survey.status != "active":
                await self.opt_out()  # no question asked: "dung" can only be "dừng"
                return True
        return False

    async def opt_out(self) -> None:
        """Stop every message of this channel to the person and end their open survey as opted out."""
        channel, address = self.spec.name, self.address
        await upsert_contact_address(self.s, channel=channel, address=address, now=self.now)
        await set_opted_out(self.s, channel=channel, address=address, now=self.now)
        survey = await find_open_survey(self.s, channel=channel, address=address)
        session = await load_session(self.s, survey.id) if survey is not None else None
        if survey is not None and (session is None or session.status != "active"):
            await set_survey_status(self.s, survey.id, "opted_out", now=self.now, channel=channel)
        if survey is not None and session is not None and session.status == "active":
            await self.talk.reply_in(self.s, survey, TextReply("huy"))  # the engine closes it as opted out
        await self.say("stopped")

    # --- answers ----------------------------------------------------------------------------

    async def no_survey(self) -> None:
        """Nothing open: say so; on a paid channel once a day at most (no loops, no costs)."""
        if self.spec.paid:
            digest = hashlib.sha256(self.address.encode()).hexdigest()[:24]
            if not await record_inbound(self.s, channel=self.spec.name, now=self.now,
                                        provider_message_id=f"polite:{digest}:{self.now.date().isoformat()}"):
                return
        await self.say("no_survey")

    async def say(self, key: str, **values: object) -> None:
        await self.tell(say(key, self.spec.name, **values))

    async def tell(self, text: str) -> None:
        await queue(self.s, channel=self.spec.name, address=self.address, now=self.now,
                    payload={"text": text, "choices": []})


def _is_code(text: str) -> bool:
    try:
        normalize_code(text)
    except InvalidDossierCode:
        return False
    return True
