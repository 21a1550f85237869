"""Twilio SMS: a pure `parse` of signed webhooks, a pure `render` of Messages.create, a short `send`.

The signature is checked with Twilio's own `RequestValidator` against the public URL Twilio
called (behind a proxy the URL our server sees differs). The SDK's request log holds phone
numbers and message bodies, so it gets a logger of its own that stays quiet.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.contract import ChannelName, Delivery, Inbound, Outbound, SendOutcome
from channels.sms import OPTED_OUT_ERROR, DeliveryReport
from channels.sms import render as render_text

SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_API = "https://api.twilio.com"
STATUSES = frozenset({"queued", "sending", "sent", "delivered", "undelivered", "failed", "read"})
_SID = re.compile(r"[A-Za-z0-9]{2,64}")  # SM + 32 hex digits, as Twilio writes it (kept loose)
_SENDER = re.compile(r"\+?[0-9]{2,20}")  # an E.164 number or a short code
# Twilio errors that mean "this number can't get SMS from us", as opposed to "try later".
# Not 21408 (the account's permission for a region): that is ours to fix, not the person's.
UNREACHABLE_ERRORS = frozenset({21211, 21612, 21614})
_QUIET = logging.getLogger("channels.twilio.sdk")
_QUIET.setLevel(logging.WARNING)


class TwilioError(Exception):
    """Errors of the Twilio adapter; `code` is stable for callers that branch on it."""

    code = "twilio"


class BadSignature(TwilioError):
    """The request lacks `X-Twilio-Signature` or it does not match the public URL and body."""

    code = "bad_signature"


class BadPayload(TwilioError):
    """A signed request without the fields Twilio always sends."""

    code = "bad_payload"


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    """Account and sender: ``{"account_sid": "AC…", "from_number": "+1500…", "messaging_service_sid": ""}``."""

    account_sid: str
    auth_token: str
    from_number: str = ""
    messaging_service_sid: str = ""
    api_base_url: str = TWILIO_API
    status_callback: str = ""  # our public /webhooks/twilio/status URL
    unicode: bool = False


# --- parse ------------------------------------------------------------------------------


def check_signature(url: str, params: Mapping[str, str], headers: Mapping[str, str], token: str) -> None:
    """Raise BadSignature unless the request was signed by Twilio for exactly this URL."""
    signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
    if not token or not signature or not RequestValidator(token).validate(url, dict(params), signature):
        raise BadSignature("missing or wrong X-Twilio-Signature")


def parse(
    params: Mapping[str, str], headers: Mapping[str, str], *, url: str, token: str, now: datetime
) -> list[Inbound]:
    """An incoming SMS (form fields `MessageSid, From, Body, …`) as one Inbound."""
    check_signature(url, params, headers, token)
    sid, sender = params.get("MessageSid") or params.get("SmsSid"), params.get("From")
    if not sid or not sender:
        raise BadPayload("MessageSid or From missing")
    if not _SID.fullmatch(sid) or not _SENDER.fullmatch(sender):
        raise BadPayload("MessageSid or From not as Twilio writes them")  # never a reply to such an address
    body = (params.get("Body") or "").strip()
    return [Inbound(ChannelName.SMS, sender, f"twilio:{sid}", now, text=body)]


def parse_status(params: Mapping[str, str], headers: Mapping[str, str], *, url: str, token: str) -> DeliveryReport | None:
    """A status callback as a DeliveryReport; None for statuses the outbox does not track."""
    check_signature(url, params, headers, token)
    sid, status = params.get("MessageSid"), (params.get("MessageStatus") or "").lower()
    if not sid:
        raise BadPayload("MessageSid missing")
    if not _SID.fullmatch(sid):
        raise BadPayload("MessageSid not as Twilio writes it")
    if status not in STATUSES:
        return None  # accepted, scheduled, receiving …: nothing the outbox needs
    return DeliveryReport(sid, status, params.get("ErrorCode") or None)


# --- render -----------------------------------------------------------------------------


def render(outbound: Outbound, config: TwilioConfig, *, unicode: bool | None = None) -> dict[str, Any]:
    """The keyword arguments of `messages.create_async` (a Messaging Service wins over From).

    `unicode` (an agency's own setting) overrides the configured default.
    """
    body = render_text(outbound, unicode=config.unicode if unicode is None else unicode)
    params: dict[str, Any] = {"to": outbound.address, "body": body}
    if config.messaging_service_sid:
        params["messaging_service_sid"] = config.messaging_service_sid
    else:
        params["from_"] = config.from_number
    if config.status_callback:
        params["status_callback"] = config.status_callback
    return params


# --- send -------------------------------------------------------------------------------


class _RedirectedHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # twilio ships no type information
    """The SDK's async client, sending to another API base (a regional edge or a test double)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(logger=_QUIET, timeout=15)
        self._base = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self._base + url[len(TWILIO_API):]
        return await super().request(method, url, *args, **kwargs)


class TwilioSender:
    """Sends SMS through Twilio's REST API; one instance per process, closed by `open_twilio`."""

    channel = ChannelName.SMS

    def __init__(self, config: TwilioConfig, client: Client) -> None:
        self.config, self._client = config, client

    async def send(self, outbound: Outbound, *, unicode: bool | None = None) -> SendOutcome:
        """One message out: 21610 → opted out, a bad number → unreachable, 429/5xx → retry."""
        try:
            params = render(outbound, self.config, unicode=unicode)
            message = await self._client.messages.create_async(**params)
        except TwilioRestException as exc:
            return _outcome(exc)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return SendOutcome(Delivery.RETRY, error=type(exc).__name__)
        return SendOutcome(Delivery.SENT, provider_message_id=message.sid)


def _outcome(exc: TwilioRestException) -> SendOutcome:
    code = str(exc.code or exc.status)
    if code == OPTED_OUT_ERROR:
        return SendOutcome(Delivery.OPTED_OUT, error=code)
    if exc.code in UNREACHABLE_ERRORS:
        return SendOutcome(Delivery.UNREACHABLE, error=code)
    if exc.status == 429 or exc.status >= 500:
        return SendOutcome(Delivery.RETRY, error=code)
    return SendOutcome(Delivery.FAILED, error=code)


@asynccontextmanager
async def open_twilio(config: TwilioConfig) -> AsyncIterator[TwilioSender]:
    """A sender on one pooled HTTP session, closed after."""
    http = _RedirectedHttpClient(config.api_base_url)
    client = Client(config.account_sid, config.auth_token, http_client=http)
    try:
        yield TwilioSender(config, client)
    finally:
        await http.close()
