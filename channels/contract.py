"""What every channel adapter hands the rest of the code, and what it is handed.

One module per provider follows (Telegram, Zalo, SMS), each with a pure `parse`, a pure
`render` and a short `send`; nothing provider-specific leaves this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


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

    channel: ChannelName

    async def send(self, outbound: Outbound) -> SendOutcome: ...
