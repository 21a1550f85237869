"""Zalo Official Account: a pure `parse` of webhook events, a pure `render` of OA messages, a short send.

Zalo's developer site could not be read: every detail marked UNCONFIRMED below comes from
integrations that agree with each other, and each lives in exactly one place here (ZNS details
in `channels.zalo_zns`), covered by the fixtures in tests/channels, so correcting one against a
real Official Account is a one-line change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import aiohttp

from channels.contract import ChannelName, Delivery, Event, EventKind, Inbound, Outbound, SendOutcome
from channels.zalo_http import (
    TokenRefused,
    TokenSource,
    ZaloError,
    ZaloRequest,
    call,
    send_with_token,
)
from channels.zalo_zns import ZnsFeedback, parse_feedback

# --- Zalo facts (UNCONFIRMED, one place each) ------------------------------------------

SIGNATURE_HEADER = "X-ZEvent-Signature"
OA_MESSAGE_PATH = "/v3.0/oa/message/cs"
OAUTH_REFRESH_PATH = "/v4/oa/access_token"
TEXT_LIMIT = 2000
BUTTON_LIMIT = 5
# OA errors meaning the user can't be reached by this OA (blocked it, never followed it).
UNREACHABLE_ERRORS = frozenset({-213})
# OA error meaning the free-reply window has closed (the user hasn't written recently).
OUTSIDE_WINDOW_ERRORS = frozenset({-230})


def signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """UNCONFIRMED: hex sha256(app_id + raw body + timestamp + OA secret key), a plain hash, not HMAC."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret_key.encode()).hexdigest()


def _user_id(event: Mapping[str, Any]) -> str | None:
    """UNCONFIRMED: the user is `sender.id` for messages, `follower.id` for follow/unfollow."""
    for key in ("sender", "follower"):
        user = event.get(key)
        if isinstance(user, Mapping) and _scalar(user.get("id")):
            return str(user["id"])
    return None


def _scalar(value: Any) -> bool:
    """An id as Zalo sends one: a number, or a non-empty string without control characters (never a
    list, a mapping or a bool)."""
    if isinstance(value, str):
        return value.isprintable() and value != ""
    return isinstance(value, int) and not isinstance(value, bool)


# --- errors and values -----------------------------------------------------------------


class BadSignature(ZaloError):
    """The event lacks `X-ZEvent-Signature` or carries one that does not match."""

    code = "bad_signature"


class StaleEvent(BadSignature):
    """A signed event stamped outside the accepted window: a replay, or a clock far off."""

    code = "stale_event"


class BadPayload(ZaloError):
    """The body is not a JSON event."""

    code = "bad_payload"


class Kind(StrEnum):
    """What an OA event asks of us."""

    MESSAGE = "message"
    CHOICE = "choice"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    FEEDBACK = "feedback"


@dataclass(frozen=True, slots=True)
class ZaloInbound:
    """An `Inbound` plus what only Zalo has: the kind, the pressed button's step, a ZNS rating.

    Example: {"kind": "choice", "inbound": {"address": "84123", "choice": "5", …}, "step": "overall"}
    """

    kind: Kind
    inbound: Inbound
    step: str | None = None
    feedback: ZnsFeedback | None = None


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    """A refreshed pair: `{"access_token": "…", "refresh_token": "…", "expires_in": 90000}`."""

    access_token: str
    refresh_token: str
    expires_in: int

    def __repr__(self) -> str:  # never let a token reach a log through a repr
        return f"OAuthTokens(expires_in={self.expires_in})"


# --- parse ------------------------------------------------------------------------------

_CHOICE = re.compile(r"^c:([A-Za-z0-9_.-]{0,48}):([0-9]{1,2})$")


def check_signature(body: bytes, headers: Mapping[str, str], *, app_id: str, secret_key: str) -> dict[str, Any]:
    """The decoded event, or BadSignature unless the header signs this very body."""
    given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
    given = given.removeprefix("mac=").strip().lower()
    event = _decode(body)
    if not secret_key or not given:
        raise BadSignature("missing signature")
    expected = signature(str(event.get("app_id", app_id)), body, str(event.get("timestamp", "")), secret_key)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSignature("wrong signature")
    return event


def _decode(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadSignature("not a JSON event") from None  # unsigned garbage is treated as forged
    if not isinstance(event, dict):
        raise BadSignature("not a JSON object")
    return event


def check_fresh(event: Mapping[str, Any], *, now: datetime, max_age: timedelta) -> None:
    """StaleEvent unless the event's `timestamp` (UNCONFIRMED: milliseconds since the epoch) lies
    within `max_age` of `now`, before or after: a signed event replayed later is refused."""
    try:
        stamped = datetime.fromtimestamp(int(str(event.get("timestamp", "")).strip()) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        raise StaleEvent("no usable timestamp") from None
    age = now - stamped
    if abs(age) > max_age:
        side = "old" if age > timedelta(0) else "in the future"
        raise StaleEvent(f"stamped {int(abs(age).total_seconds())} s {side} (window {int(max_age.total_seconds())} s)")


def parse(body: bytes, headers: Mapping[str, str], *, app_id: str, secret_key: str,
          now: datetime, max_age: timedelta | None = None) -> list[ZaloInbound]:
    """A webhook delivery as inbound items; BadSignature when forged, StaleEvent when stamped more
    than `max_age` away from `now` (no check without one); unknown events give none."""
    event = check_signature(body, headers, app_id=app_id, secret_key=secret_key)
    if max_age is not None:
        check_fresh(event, now=now, max_age=max_age)
    return parse_event(event, now=now)


def parse_event(event: Mapping[str, Any], *, now: datetime) -> list[ZaloInbound]:
    """One verified event as inbound items; an event of a shape we do not know gives none."""
    name = event.get("event_name")
    if name == "user_feedback":
        return _feedback(event, now)
    user = _user_id(event)
    if user is None:
        return []
    if name in ("follow", "unfollow"):
        pid = f"{name}:{user}:{event.get('timestamp', '')}"
        inbound = Inbound(ChannelName.ZALO, user, pid, now)
        return [ZaloInbound(Kind.FOLLOW if name == "follow" else Kind.UNFOLLOW, inbound)]
    if name == "user_send_text":
        return _text(event, user, now)
    return []


def _text(event: Mapping[str, Any], user: str, now: datetime) -> list[ZaloInbound]:
    message = event.get("message")
    if not isinstance(message, Mapping) or not isinstance(message.get("text"), str):
        return []  # signed, but not a text message's shape: nothing to act on
    text, msg_id = message["text"].strip(), message.get("msg_id")
    if not text or not _scalar(msg_id):
        return []
    match = _CHOICE.match(text)
    if match is None:
        return [ZaloInbound(Kind.MESSAGE, Inbound(ChannelName.ZALO, user, str(msg_id), now, text=text))]
    inbound = Inbound(ChannelName.ZALO, user, str(msg_id), now, choice=match.group(2))
    return [ZaloInbound(Kind.CHOICE, inbound, step=match.group(1) or None)]


def _feedback(event: Mapping[str, Any], now: datetime) -> list[ZaloInbound]:
    message = event.get("message")
    feedback = parse_feedback(message) if isinstance(message, Mapping) else None
    if feedback is None:
        return []
    # A ZNS rating names no user: the address stays empty, the match is by tracking/msg id.
    inbound = Inbound(ChannelName.ZALO, "", f"feedback:{feedback.msg_id}", now)
    return [ZaloInbound(Kind.FEEDBACK, inbound, feedback=feedback)]


_KINDS = {Kind.MESSAGE: EventKind.MESSAGE, Kind.CHOICE: EventKind.CHOICE, Kind.FOLLOW: EventKind.HELLO,
          Kind.UNFOLLOW: EventKind.UNFOLLOW, Kind.FEEDBACK: EventKind.RATING}


def events(items: list[ZaloInbound]) -> list[Event]:
    """The channel-neutral events of one delivery."""
    return [Event.of(item.inbound, _KINDS[item.kind], step=item.step, rating=item.feedback) for item in items]


# --- render -----------------------------------------------------------------------------


def render(outbound: Outbound) -> ZaloRequest:
    """A consultation (`cs`) message; up to five single choices become hidden-query buttons."""
    text = outbound.text
    buttons = []
    if outbound.choices and not outbound.multi and len(outbound.choices) <= BUTTON_LIMIT:
        buttons = [{"title": c.label[:100], "type": "oa.query.hide",
                    "payload": choice_payload(outbound.step, c.code)} for c in outbound.choices]
    elif outbound.choices:
        text += "\n" + "\n".join(f"{c.code}. {c.label}" for c in outbound.choices)
    message: dict[str, Any] = {"text": _clip(text)}
    if buttons:
        message["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
    return ZaloRequest("POST", OA_MESSAGE_PATH, json={"recipient": {"user_id": outbound.address},
                                                      "message": message})


def choice_payload(step: str | None, code: str) -> str:
    """The text a button sends back: `c:<step>:<code>` (the step left out when it is odd)."""
    step = step if step and re.fullmatch(r"[A-Za-z0-9_.-]{1,48}", step) else ""
    return f"c:{step}:{code}"


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def render_refresh(*, app_id: str, app_secret: str, refresh_token: str) -> ZaloRequest:
    """UNCONFIRMED: the OAuth v4 refresh: form body, app secret in the `secret_key` header."""
    form = {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}
    return ZaloRequest("POST", OAUTH_REFRESH_PATH, form=form, headers={"secret_key": app_secret})


def parse_refresh(body: Mapping[str, Any]) -> OAuthTokens:
    """The new pair, or TokenRefused (`expires_in` comes as a string of seconds)."""
    if not body.get("access_token") or not body.get("refresh_token"):
        raise TokenRefused(f"refresh refused: error {body.get('error', '?')}")
    return OAuthTokens(str(body["access_token"]), str(body["refresh_token"]), int(body.get("expires_in") or 3600))


def within_window(last_inbound: datetime | None, now: datetime, hours: int) -> bool:
    """Whether a free reply is allowed: the citizen wrote less than `hours` ago."""
    return last_inbound is not None and now - last_inbound < timedelta(hours=hours)


# --- send -------------------------------------------------------------------------------


class ReplyWindow(Protocol):
    """Whether the OA may still send free messages to a user."""

    async def is_open(self, user_id: str) -> bool: ...


class OaSender:
    """Sends survey messages in the OA chat (the dispatcher's `Sender` for Zalo)."""

    channel = ChannelName.ZALO

    def __init__(self, http: aiohttp.ClientSession, base_url: str, tokens: TokenSource,
                 window: ReplyWindow) -> None:
        self._http, self._base, self._tokens, self._window = http, base_url, tokens, window

    async def send(self, outbound: Outbound) -> SendOutcome:
        """One message; outside the reply window it fails at once so another channel can take over."""
        if not await self._window.is_open(outbound.address):
            return SendOutcome(Delivery.FAILED, error="outside_window")
        request = render(outbound)
        return await send_with_token(self._http, self._base, request, self._tokens,
                                     unreachable=UNREACHABLE_ERRORS, outside_window=OUTSIDE_WINDOW_ERRORS)


async def refresh_tokens(http: aiohttp.ClientSession, base_url: str, *, app_id: str, app_secret: str,
                         refresh_token: str) -> OAuthTokens:
    """Trade the single-use refresh token for a new pair (the caller holds the lock)."""
    request = render_refresh(app_id=app_id, app_secret=app_secret, refresh_token=refresh_token)
    return parse_refresh(await call(http, base_url, request))
