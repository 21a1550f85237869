"""Zalo Notification Service: the service-rating template sent to a phone, and the rating it brings back.

Every UNCONFIRMED detail (paths, field names, error codes) lives in the first section only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from channels.contract import ChannelName, Delivery, Outbound, SendOutcome
from channels.zalo_http import (
    TokenSource,
    ZaloRequest,
    call_with_token,
    send_with_token,
)

# --- ZNS facts (UNCONFIRMED, one place each) ---------------------------------------------

ZNS_MESSAGE_PATH = "/message/template"
RATING_PATH = "/rating/get"
RATING_PAGE = 100
# The approved rating template's one parameter: the dossier code the rating is about.
TEMPLATE_PARAM = "dossier_code"
# ZNS errors meaning this phone can't get ZNS (invalid number, no Zalo account, blocked ZNS).
UNREACHABLE_ERRORS = frozenset({-108, -118, -119})
# Rating field names: the webhook uses snake_case, rating/get camelCase; both are read.
_FIELDS = {"msg_id": ("msg_id", "msgId"), "tracking_id": ("tracking_id", "trackingId"),
           "submitted": ("submit_time", "submitDate", "submit_date")}


@dataclass(frozen=True, slots=True)
class ZnsFeedback:
    """A citizen's rating of a ZNS template message (no user id: matched by tracking/msg id).

    Example: {"rate": 4, "note": "Nhanh", "feedbacks": ["Thái độ tốt"], "msg_id": "a1", "tracking_id": "17"}
    """

    rate: int
    note: str
    feedbacks: tuple[str, ...]
    msg_id: str
    tracking_id: str | None


def _get(data: Mapping[str, Any], name: str) -> Any:
    return next((data[k] for k in _FIELDS[name] if data.get(k) not in (None, "")), None)


def _id_like(value: Any) -> bool:
    """An id as Zalo sends one: a number or a string without control characters (a list or a mapping
    is a forged shape)."""
    if isinstance(value, str):
        return value.isprintable()
    return isinstance(value, int) and not isinstance(value, bool)


def parse_feedback(data: Mapping[str, Any]) -> ZnsFeedback | None:
    """A rating from the `user_feedback` event's message or a rating/get row; None when unusable."""
    msg_id = _get(data, "msg_id")
    try:
        rate = int(data.get("rate"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not _id_like(msg_id) or not 1 <= rate <= 5:
        return None
    listed = data.get("feedbacks")
    feedbacks: list[Any] = listed if isinstance(listed, list) else []
    tracking = _get(data, "tracking_id")
    tracking = tracking if _id_like(tracking) else None
    return ZnsFeedback(rate, str(data.get("note") or "").strip(),
                       tuple(str(f).strip() for f in feedbacks if str(f).strip()),
                       str(msg_id), str(tracking) if tracking is not None else None)


def parse_rating_page(body: Mapping[str, Any]) -> tuple[list[ZnsFeedback], int]:
    """The ratings of one rating/get page and the total count."""
    data = body.get("data") or {}
    rows = data.get("data") or []
    ratings = [r for r in (parse_feedback(row) for row in rows if isinstance(row, Mapping)) if r]
    return ratings, int(data.get("total") or 0)


# --- render -----------------------------------------------------------------------------


def zns_phone(address: str) -> str | None:
    """A Vietnamese phone as ZNS wants it: `+84912345678` or `0912345678` → `84912345678`."""
    digits = re.sub(r"[^0-9]", "", address)
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if re.fullmatch(r"84[0-9]{8,10}", digits) else None


def render_rating(*, phone: str, template_id: str, tracking_id: str, data: Mapping[str, str]) -> ZaloRequest:
    """The rating invitation: template, its parameters, and our survey id to be echoed back."""
    body = {"phone": phone, "template_id": template_id, "template_data": dict(data), "tracking_id": tracking_id}
    return ZaloRequest("POST", ZNS_MESSAGE_PATH, json=body)


def render_rating_query(*, template_id: str, since: datetime, until: datetime, offset: int) -> ZaloRequest:
    """One page of the template's ratings submitted between two instants (milliseconds)."""
    params = {"template_id": template_id, "from_time": str(int(since.timestamp() * 1000)),
              "to_time": str(int(until.timestamp() * 1000)), "offset": str(offset), "limit": str(RATING_PAGE)}
    return ZaloRequest("GET", RATING_PATH, params=params)


# --- send -------------------------------------------------------------------------------


class ZnsSender:
    """Sends the service-rating invitation to a phone (a dispatcher `Sender` for ZNS).

    The Outbound's address is the phone, its `reference` the survey id (tracking_id) and its
    text the dossier code filling the template; the template text itself is Zalo-approved.
    """

    channel = ChannelName.ZALO

    def __init__(self, http: aiohttp.ClientSession, base_url: str, tokens: TokenSource, template_id: str) -> None:
        self._http, self._base, self._tokens, self._template = http, base_url, tokens, template_id

    async def send(self, outbound: Outbound) -> SendOutcome:
        """The invitation with the default template."""
        return await self.send_rating(outbound, template_id=self._template)

    async def send_rating(self, outbound: Outbound, *, template_id: str) -> SendOutcome:
        """The invitation with an agency's own template."""
        phone = zns_phone(outbound.address)
        if phone is None:
            return SendOutcome(Delivery.UNREACHABLE, error="bad_phone")
        if not outbound.reference or not template_id:
            return SendOutcome(Delivery.FAILED, error="no_reference" if template_id else "no_template")
        request = render_rating(phone=phone, template_id=template_id, tracking_id=outbound.reference,
                                data={TEMPLATE_PARAM: outbound.text})
        return await send_with_token(self._http, self._base, request, self._tokens,
                                     unreachable=UNREACHABLE_ERRORS)

    async def ratings(self, template_id: str, *, since: datetime, until: datetime) -> list[ZnsFeedback]:
        """Every rating of the template in the time range, page by page."""
        found: list[ZnsFeedback] = []
        offset, total = 0, 1
        while offset < total:
            request = render_rating_query(template_id=template_id, since=since, until=until, offset=offset)
            body = await call_with_token(self._http, self._base, request, self._tokens)
            page, total = parse_rating_page(body)
            found += page
            offset += RATING_PAGE
        return found
