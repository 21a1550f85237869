"""Every channel declared once: its name, the kind of address it reaches, what it can do.

The inbound service, the dispatcher, the staff desk, the agency settings form and the flow
preview read this table instead of writing channel names and rules of their own. Adding a
channel is a module in this package plus one entry here (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from channels.contract import Plugin
from channels.sms import Keyword, keyword_of


class Address(StrEnum):
    """What identifies a person on a channel."""

    NONE = "none"  # answered in place (web, kiosk, paper): nobody to write to
    CHAT = "chat"  # a chat id the provider gives us (Telegram)
    ZALO_USER = "zalo_user"  # a Zalo user id, scoped to our official account
    PHONE = "phone"  # a phone number, kept in E.164 (SMS, and ZNS which reaches it through Zalo)
    EMAIL = "email"
    URL = "url"  # an agency system's webhook endpoint


@dataclass(frozen=True, slots=True)
class Spec:
    """One channel.

    Example: {"name": "sms", "address": "phone", "chat": true, "buttons": false, "opt_out": true,
    "paid": true, "keywords": "channels.sms.keyword_of"}
    """

    name: str
    address: Address
    label: tuple[str, str]  # Vietnamese, English
    evaluations: bool = True  # an evaluation can come from it (e-mail carries notices only)
    chat: bool = False  # a conversation: inbound events go through the one inbound path
    invites: bool = False  # it can carry a survey invitation (the agency's channel plan lists it)
    buttons: bool = False  # choices are pressed (a press names its question), not typed
    acknowledges: bool = False  # a press must be acknowledged (stale presses are told so there)
    reply_window: bool = False  # the provider lets us write only for a while after the person did
    opt_out: bool = False  # a keyword opts the person out of the whole channel
    paid: bool = False  # every message costs: a courtesy answer at most once a day
    links_by_code: bool = False  # a survey token or dossier code typed in the chat links it
    address_of: str | None = None  # the channel whose address it writes to (ZNS: the SMS number)
    # The schema's channel its evaluations count under until a schema version lists it by name.
    records_as: str | None = None
    keywords: Callable[[str], Keyword | None] | None = field(default=None, compare=False)
    # A channel that brings its own webhook and sender: opened with the server's settings (a
    # mapping of setting names to values, secrets as pydantic SecretStr); it answers at
    # POST /webhooks/ext/<name>.
    plugin: Callable[[Mapping[str, Any]], AbstractAsyncContextManager[Plugin | None]] | None = field(
        default=None, compare=False)

    @property
    def address_channel(self) -> str:
        """The channel under which this channel's address is filed."""
        return self.address_of or self.name


_SPECS = (
    Spec("paper", Address.NONE, ("Phiếu giấy", "Paper")),
    Spec("kiosk", Address.NONE, ("Máy tính bảng tại quầy", "Counter tablet")),
    Spec("portal", Address.NONE, ("Cổng dịch vụ công", "Public service portal")),
    Spec("web", Address.NONE, ("Đường dẫn web", "Web link")),
    Spec("zalo_zns", Address.PHONE, ("Zalo ZNS (số điện thoại)", "Zalo ZNS (phone number)"), evaluations=False,
         invites=True, paid=True, address_of="sms"),
    Spec("zalo", Address.ZALO_USER, ("Zalo OA", "Zalo OA"), chat=True, invites=True, buttons=True,
         reply_window=True, links_by_code=True),
    Spec("telegram", Address.CHAT, ("Telegram", "Telegram"), chat=True, invites=True, buttons=True,
         acknowledges=True),
    Spec("sms", Address.PHONE, ("Tin nhắn SMS", "SMS"), chat=True, invites=True, opt_out=True, paid=True,
         keywords=keyword_of),
    Spec("email", Address.EMAIL, ("Thư điện tử", "E-mail"), evaluations=False),
    Spec("webhook", Address.URL, ("Webhook của hệ thống một cửa", "One-stop system webhook"), evaluations=False),
)

#: name -> Spec, in the order shown to people.
REGISTRY: Mapping[str, Spec] = {spec.name: spec for spec in _SPECS}


def spec_of(name: str, registry: Mapping[str, Spec] = REGISTRY) -> Spec:
    """The channel's entry; KeyError for a name nobody declared."""
    return registry[name]


def names(predicate: Callable[[Spec], bool] = lambda spec: True,
          registry: Mapping[str, Spec] = REGISTRY) -> tuple[str, ...]:
    """The names of the channels that satisfy `predicate`, in the registry's order."""
    return tuple(spec.name for spec in registry.values() if predicate(spec))


def with_channel(spec: Spec, registry: Mapping[str, Spec] = REGISTRY) -> dict[str, Spec]:
    """A copy of `registry` with one more channel (a deployment's own, or a test's)."""
    return {**registry, spec.name: spec}
