"""SMS webhook routes (Twilio inbound and status, eSMS delivery report) and the app's SMS provider.

Twilio signs the URL it called, so the signature is checked against HAILONG_PUBLIC_URL plus
the path and query, never the URL this process sees behind a proxy.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from bot.dispatch_app import SENDERS
from bot.keys import CONVERSATIONS, DATABASE, SETTINGS
from bot.settings import Settings
from bot.sms import AgencySms, SmsDesk, SmsSender
from channels import esms, twilio

log = logging.getLogger(__name__)
DESK = web.AppKey("sms_desk", SmsDesk)
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATUS_PATH = "/webhooks/twilio/status"


def twilio_config(settings: Settings) -> twilio.TwilioConfig:
    return twilio.TwilioConfig(
        account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
        from_number=settings.twilio_from_number, messaging_service_sid=settings.twilio_messaging_service_sid,
        api_base_url=settings.twilio_api_base_url, status_callback=settings.public_url + STATUS_PATH,
        unicode=settings.sms_unicode,
    )


def esms_config(settings: Settings) -> esms.EsmsConfig:
    return esms.EsmsConfig(
        api_key=settings.esms_api_key, secret_key=settings.esms_secret_key, brandname=settings.esms_brandname,
        api_base_url=settings.esms_api_base_url, public_url=settings.public_url,
        unicode=settings.sms_unicode, sandbox=settings.esms_sandbox,
    )


@asynccontextmanager
async def open_sms_sender(settings: Settings) -> AsyncIterator[SmsSender | None]:
    """Twilio when its account is configured, else eSMS when its key is, else None (SMS off)."""
    if settings.twilio_account_sid and settings.twilio_auth_token:
        async with twilio.open_twilio(twilio_config(settings)) as sender:
            yield sender
    elif settings.esms_api_key and settings.esms_secret_key:
        async with esms.open_esms(esms_config(settings)) as sender:
            yield sender
    else:
        yield None


async def sms_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the SMS desk on the app's database, when a provider is configured."""
    settings = app[SETTINGS]
    async with open_sms_sender(settings) as sender:
        if sender is not None:
            app[DESK] = SmsDesk(app[DATABASE], settings, app[CONVERSATIONS])
            if SENDERS in app:  # the outbox drain sends queued SMS (answers, invitations) through it
                app[SENDERS]["sms"] = AgencySms(app[DATABASE], settings, sender)
        yield


def setup_routes(app: web.Application) -> None:
    """The SMS webhooks; each answers 404 while its provider is not configured."""
    app.router.add_post("/webhooks/twilio", twilio_inbound, name="twilio_inbound")
    app.router.add_post(STATUS_PATH, twilio_status, name="twilio_status")
    app.router.add_get(esms.CALLBACK_PATH + "/{key}", esms_status, name="esms_status")


def _public_url(request: web.Request) -> str:
    return request.app[SETTINGS].public_url + str(request.rel_url)


async def _twilio_params(request: web.Request) -> tuple[SmsDesk, dict[str, str], str]:
    desk, token = request.app.get(DESK), request.app[SETTINGS].twilio_auth_token
    if desk is None or not token:
        raise web.HTTPNotFound()
    form = await request.post()
    return desk, {k: str(v) for k, v in form.items()}, token


async def twilio_inbound(request: web.Request) -> web.Response:
    """`POST /webhooks/twilio`: verify, then record the MessageSid and apply it in one transaction.

    Answered (empty TwiML) only after that commit; the answers go out through the outbox.
    """
    desk, params, token = await _twilio_params(request)
    try:
        items = twilio.parse(params, request.headers, url=_public_url(request), token=token, now=desk.now())
    except twilio.BadSignature:
        return web.Response(status=403)
    except twilio.BadPayload as exc:
        log.warning("twilio inbound ignored: %s", exc)
        items = []
    for item in items:
        await desk.handle(item)
    return web.Response(text=TWIML_EMPTY, content_type="text/xml")


async def twilio_status(request: web.Request) -> web.Response:
    """`POST /webhooks/twilio/status`: a delivery report, applied only if it moves forward."""
    desk, params, token = await _twilio_params(request)
    try:
        report = twilio.parse_status(params, request.headers, url=_public_url(request), token=token)
    except twilio.BadSignature:
        return web.Response(status=403)
    except twilio.BadPayload as exc:
        log.warning("twilio status ignored: %s", exc)
        report = None
    if report is not None:
        await desk.report(report)
    return web.Response(status=204)


async def esms_status(request: web.Request) -> web.Response:
    """`GET /webhooks/esms/status/{key}`: eSMS's delivery report, keyed by our callback key."""
    desk, settings = request.app.get(DESK), request.app[SETTINGS]
    if desk is None or not settings.esms_secret_key:
        raise web.HTTPNotFound()
    try:
        report = esms.parse_report(request.query, request.match_info["key"], esms_config(settings))
    except esms.BadKey:
        return web.Response(status=403)
    if report is not None:
        await desk.report(report)
    return web.Response(status=200, text="OK")
