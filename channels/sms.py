"""SMS text rules shared by every SMS provider: không dấu, GSM-7 or UCS-2, segments, cost, keywords.

One Vietnamese letter such as "ả" switches a whole SMS from GSM-7 (160 characters, 153 per
part) to UCS-2 (70, 67 per part), so SMS go without diacritics unless an agency allows Unicode.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from anyascii import anyascii

from channels.contract import Choice, Outbound

# The GSM 03.38 default alphabet; the extension characters take two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
INVITATION = "Moi Ong/Ba danh gia su hai long ve ho so {dossier_code}: {link} Tu choi: HUY"
INVITATION_UNICODE = "Mời Ông/Bà đánh giá sự hài lòng về hồ sơ {dossier_code}: {link} Từ chối: HUY"
_SPACES = re.compile(r"[ \t]+")
_EDGE = " \t\r\n.!?,;:'\"…"


class Encoding(StrEnum):
    """The SMS data coding: GSM-7 (7-bit alphabet) or UCS-2 (any letter, fewer per part)."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SmsSize:
    """How an SMS text travels: ``{"encoding": "GSM-7", "units": 58, "segments": 1}``."""

    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    @property
    def single(self) -> bool:
        return self.segments <= 1

    def cost(self, price_per_segment: Decimal) -> Decimal:
        """Estimated price: providers bill every segment."""
        return price_per_segment * self.segments


# Where anyascii and the texts hailong has always sent differ: typography keeps its old SMS form,
# and an emoji (anyascii spells ":thumbsup:") is dropped rather than spelled out.
_KEEP = {"—": "--", "←": "-", "→": "-", "★": "", "·": "*", "×": "x", "©": "(c)", "®": "(r)", "£": "PS",
         "¥": "Y=", "¼": " 1/4", "½": " 1/2", "¾": " 3/4"}


def ascii_of(char: str) -> str:
    """One character in ASCII: Vietnamese letters lose their marks ("ệ" → "e", "Đ" → "D")."""
    if char.isascii():
        return char
    if char in _KEEP:
        return _KEEP[char]
    plain = anyascii(char)
    return "" if len(plain) > 2 and plain.startswith(":") and plain.endswith(":") else plain


def unaccent(text: str) -> str:
    """The text "không dấu" in GSM-7: "Cảm ơn quý khách" → "Cam on quy khach"."""
    # Every non-ASCII letter goes, even GSM-7's own "à" or "é": a half-accented SMS reads worse.
    plain = "".join(map(ascii_of, text))
    return "".join(c for c in plain if c in GSM7_BASIC or c in GSM7_EXTENSION)


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM alphabet, else UCS-2."""
    return Encoding.GSM7 if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else Encoding.UCS2


def size_of(text: str) -> SmsSize:
    """Encoding, length in units and segment count (160/153 for GSM-7, 70/67 for UCS-2)."""
    encoding = encoding_of(text)
    if encoding is Encoding.GSM7:
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsSize(encoding, units, segments)


def sms_text(text: str, choices: tuple[Choice, ...] = (), *, unicode: bool = False) -> str:
    """The SMS body: the text, then one numbered line per choice; không dấu unless `unicode`."""
    lines = [text.strip()] + [f"{c.code}. {c.label}" for c in choices]
    body = "\n".join(_SPACES.sub(" ", line) for line in lines)
    return body if unicode else unaccent(body)


def render(outbound: Outbound, *, unicode: bool = False) -> str:
    """The body of one outbound SMS (choices as numbered lines)."""
    return sms_text(outbound.text, outbound.choices, unicode=unicode)


def invitation(dossier_code: str, link: str, *, unicode: bool = False) -> str:
    """The invitation SMS: one segment in GSM-7 with the survey's short link."""
    template = INVITATION_UNICODE if unicode else INVITATION
    return template.format(dossier_code=dossier_code, link=link)


# --- keywords ---------------------------------------------------------------------------


class Keyword(StrEnum):
    """What a whole SMS body says before any survey reads it."""

    STOP = "stop"  # opt out of every SMS
    MAYBE_STOP = "maybe_stop"  # "dung": "dừng" (stop) or "đúng" (yes); a stop only outside a question
    START = "start"  # opt back in
    YES = "yes"  # opts back in only a number that opted out (elsewhere it is an answer)


_STOP = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "huy", "huy bo", "tu choi"})
_START = frozenset({"start", "unstop", "dang ky", "bat dau"})


def fold(body: str) -> str:
    """Lower-case, không dấu, single spaces, no edge punctuation: "  Từ chối! " → "tu choi"."""
    return " ".join("".join(map(ascii_of, body)).lower().strip(_EDGE).split())


def keyword_of(body: str) -> Keyword | None:
    """The keyword that is the whole body, if any; "dừng" with its diacritics is always a stop."""
    folded, raw = fold(body), body.strip(_EDGE).lower()
    if raw.startswith("đúng"):
        return None  # written with its diacritics, "đúng" is only ever "yes"
    if folded in _STOP or raw in ("dừng", "dừng lại"):
        return Keyword.STOP
    if folded in ("dung", "dung lai"):
        return Keyword.STOP if folded == "dung lai" else Keyword.MAYBE_STOP
    if folded in _START:
        return Keyword.START
    if folded == "yes":
        return Keyword.YES
    return None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A provider's word on one sent SMS: ``{"provider_message_id": "SM…", "status": "delivered",
    "error": null}``; statuses are the outbox's (queued, sent, delivered, undelivered, failed)."""

    provider_message_id: str
    status: str
    error: str | None = None

    @property
    def opted_out(self) -> bool:
        return self.error == OPTED_OUT_ERROR


OPTED_OUT_ERROR = "21610"  # Twilio: the recipient replied STOP; the gateways' equivalents map to it
