"""A test-only channel, "parrot": everything it needs is in this folder plus one registry entry.

Its provider signs each webhook body with HMAC-SHA256 (header `X-Parrot-Signature`) and
delivers `{"id": "…", "from": "…", "text": "…"}` or a button press `{"id", "from", "press":
"<step>:<code>", "message": "…"}`; "/start <token>" links the chat. It sends by appending to
`outbox` (the fictional provider's API is the list).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.contract import (
    ChannelName,
    Delivery,
    Event,
    EventKind,
    Outbound,
    Refused,
    SendOutcome,
    WebhookRequest,
)
from channels.registry import Address, Spec

SECRET = "parrot-secret"
HEADER = "X-Parrot-Signature"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class ParrotSender:
    channel: ChannelName = "parrot"  # type: ignore[assignment]
    outbox: list[Outbound] = field(default_factory=list)

    async def send(self, outbound: Outbound) -> SendOutcome:
        self.outbox.append(outbound)
        return SendOutcome(Delivery.SENT, provider_message_id=f"p{len(self.outbox)}")


@dataclass
class Parrot:
    secret: str
    sender: ParrotSender = field(default_factory=ParrotSender)

    def events(self, request: WebhookRequest, now: datetime) -> list[Event]:
        given = request.headers.get(HEADER, "")
        if not hmac.compare_digest(given, sign(request.body, self.secret)):
            raise Refused("bad signature")
        data = json.loads(request.body)
        base = {"channel": "parrot", "address": str(data["from"]), "provider_message_id": f"parrot:{data['id']}",
                "received_at": now}
        if "press" in data:
            step, _, code = str(data["press"]).partition(":")
            return [Event(EventKind.CHOICE, **base, choice=code, step=step or None, message=data.get("message"))]
        text = str(data.get("text", "")).strip()
        if text.startswith("/start "):
            return [Event(EventKind.START, **base, argument=text.split(" ", 1)[1])]
        return [Event(EventKind.MESSAGE, **base, text=text)]


OPENED: list[Parrot] = []


@asynccontextmanager
async def open_parrot(settings: Mapping[str, Any]) -> AsyncIterator[Parrot]:
    parrot = Parrot(SECRET)
    OPENED.append(parrot)
    yield parrot


#: The one registry entry: a chat channel with buttons, filed as "portal" until a schema lists it.
SPEC = Spec("parrot", Address.CHAT, ("Parrot", "Parrot"), chat=True, buttons=True, records_as="portal",
            plugin=open_parrot)
