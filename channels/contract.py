"""What every channel adapter hands the rest of the code, and what it is handed.

One module per provider follows (Telegram, Zalo, SMS), each with a pure `parse`, a pure
`render` and a short `send`; nothing provider-specific leaves this package. Inbound traffic
leaves it as channel-neutral `Event`s, which one service applies (bot/conversation/inbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class ChannelName(StrEnum):
    """The channels an evaluation can come from (the schema lists the same names), and e-mail."""

    PAPER = "paper"
    KIOSK = "kiosk"
    PORTAL = "portal"
    WEB = "web"
    TELEGRAM = "telegram"
    ZALO = "zalo"
    SMS = "sms"
    EMAIL = "email"  # notices to supervisors only; never an evaluation channel


@dataclass(frozen=True, slots=True)
class Inbound:
    """A citizen's message as the rest of the code sees it.

    Example: {"channel": "telegram", "address": "123456789", "text": "hài lòng",
    "choice": null, "provider_message_id": "update:5501", "received_at": "2026-11-25T03:00:00Z"}
    """

    channel: ChannelName
    address: str
    provider_message_id: str
    received_at: datetime
    text: str | None = None
    choice: str | None = None


class EventKind(StrEnum):
    """What an inbound event asks of us, whatever the channel."""

    MESSAGE = "message"  # typed text: an answer to the open survey (or a token or code, see `links_by_code`)
    CHOICE = "choice"  # a pressed button: its code and the question it belonged to
    START = "start"  # link this contact to the survey of `argument` (a token from a deep link)
    HELLO = "hello"  # the person opened the chat or followed the account: welcome them
    HELP = "help"
    STOP = "stop"  # end the survey (and, where the channel has opt-out, stop every message)
    UNFOLLOW = "unfollow"  # blocked the bot or unfollowed the account: unreachable here
    RATING = "rating"  # a rating the provider collected itself (Zalo ZNS), matched by its reference
    STAFF = "staff"  # reception staff asking for a dossier's survey (`argument`: the dossier code)


@dataclass(frozen=True, slots=True)
class Event:
    """One channel-neutral inbound event.

    Example: {"kind": "choice", "channel": "telegram", "address": "4242",
    "provider_message_id": "update:5501", "received_at": "2026-11-25T03:00:00Z", "choice": "5",
    "step": "overall", "ack": "77", "message": "10"}
    """

    kind: EventKind
    channel: str
    address: str
    provider_message_id: str
    received_at: datetime
    text: str | None = None
    choice: str | None = None
    step: str | None = None  # the question a pressed button belonged to (None: not known)
    argument: str | None = None  # START: the survey token; STAFF: the dossier code
    sender: str | None = None  # who wrote or pressed (staff commands are checked against it)
    ack: str | None = None  # the provider's handle for acknowledging a press (Telegram callback id)
    message: str | None = None  # the provider's id of the message pressed (the next question replaces it)
    rating: Any = None  # RATING: the provider's rating record

    @classmethod
    def of(cls, inbound: Inbound, kind: EventKind | None = None, **extra: Any) -> Event:
        """An `Inbound`'s text or choice as an event."""
        if kind is None:
            kind = EventKind.CHOICE if inbound.choice is not None else EventKind.MESSAGE
        return cls(kind, str(inbound.channel), inbound.address, inbound.provider_message_id, inbound.received_at,
                   text=inbound.text, choice=inbound.choice, **extra)


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer button: a short ASCII code and its label."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to send on one channel.

    Example: {"channel": "sms", "address": "+84912345678", "text": "Quy khach hai long?",
    "choices": [{"code": "1", "label": "Rat hai long"}]}
    """

    channel: ChannelName
    address: str
    text: str
    choices: tuple[Choice, ...] = ()
    step: str | None = None  # the question asked, so a pressed button can be checked against it
    multi: bool = False  # several choices may be picked (typed, no buttons)
    # Our id for a provider to echo back (Zalo ZNS tracking_id = the survey id); most ignore it.
    reference: str | None = None
    # Our id for this one message (the outbox row): providers that deduplicate on an id of ours
    # take it (eSMS RequestId), so a send repeated after a crash is delivered once.
    key: str | None = None
    # The provider's id of a message this one replaces in place (the question whose button was
    # pressed becomes the next question: one call, no second message in the chat).
    replaces: str | None = None


class Delivery(StrEnum):
    """How one send attempt ended, as the dispatcher needs to know it.

    sent: the provider took it; retry: try again later (after `retry_after` when given);
    failed: final for this message, try the next channel; unreachable: the address can't be
    reached on this channel (blocked, never started, invalid); opted_out: the person said stop.
    """

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The result of one send: `{"delivery": "retry", "retry_after": 3.0, "error": "429"}`."""

    delivery: Delivery
    provider_message_id: str | None = None
    retry_after: float | None = None
    error: str | None = None


class Sender(Protocol):
    """What every provider module offers the dispatcher: one message out, one outcome back."""

    @property
    def channel(self) -> str:
        """The channel's name (a ChannelName, or a plugin's or the outgoing webhook's own)."""
        ...

    async def send(self, outbound: Outbound) -> SendOutcome: ...


# --- channels that bring their own endpoint (declared in the registry with `plugin`) ---------


class Refused(Exception):
    """A webhook request that is not the provider's: a missing or wrong signature or secret."""


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What the generic webhook route hands a channel: the raw body, headers and query."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]


class Plugin(Protocol):
    """A channel's running parts: its inbound endpoint (`events`) and its sender, if it sends."""

    sender: Sender | None

    def events(self, request: WebhookRequest, now: datetime) -> list[Event]:
        """Authenticate first (Refused), then parse the request into events."""
        ...
