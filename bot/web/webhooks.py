"""Webhook routes of the chat channels: Telegram, Zalo OA, Twilio (inbound and status), eSMS reports.

Each view authenticates the request before reading it, hands the parsed items to its channel's
desk (which records and applies each in one transaction) and answers only after those commits.
Each answers 404 while its channel is not configured. Twilio signs the URL it called, so the
signature is checked against HAILONG_PUBLIC_URL plus the path and query, never the URL this
process sees behind a proxy.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.conversation.sms import STATUS_PATH, SmsDesk, esms_config
from bot.web.keys import SETTINGS, SMS_DESK, TELEGRAM_DESK, ZALO_DESK
from channels import esms, twilio
from channels.telegram import BadPayload, BadSecret, check_secret, parse_update
from channels.zalo import BadSignature

log = logging.getLogger(__name__)
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def setup_routes(app: web.Application) -> None:
    """Every channel's webhook."""
    app.router.add_post("/webhooks/telegram", telegram_webhook, name="telegram_webhook")
    app.router.add_post("/webhooks/zalo", zalo_webhook, name="zalo_webhook")
    setup_sms_routes(app)


async def telegram_webhook(request: web.Request) -> web.Response:
    """`POST /webhooks/telegram`: check the secret, then apply the update once."""
    desk = request.app.get(TELEGRAM_DESK)
    if desk is None:
        raise web.HTTPNotFound()
    try:
        check_secret(request.headers, desk.secret)
    except BadSecret:
        return web.Response(status=401)
    try:
        payload = await request.json()
    except ValueError:
        return web.Response(status=400)
    try:
        items = parse_update(payload, now=desk.now())
    except BadPayload as exc:
        log.warning("telegram update ignored: %s", exc)  # a retry would not fix it
        items = []
    for item in items:
        await desk.handle(item)
    return web.Response(status=200)


async def zalo_webhook(request: web.Request) -> web.Response:
    """`POST /webhooks/zalo`: verify the signature over the raw body, then record and apply each event.

    Answered 200 only after every event's commit (a turn is database work only, well within the
    ~2 s Zalo waits); an event that fails answers 500 and is applied when Zalo delivers it again.
    """
    desk = request.app.get(ZALO_DESK)
    if desk is None:
        raise web.HTTPNotFound()
    body = await request.read()
    try:
        items = desk.parse(body, request.headers)
    except BadSignature:
        return web.Response(status=401)
    for item in items:
        await desk.handle(item)
    return web.Response(status=200)


def setup_sms_routes(app: web.Application) -> None:
    """The SMS webhooks; each answers 404 while its provider is not configured."""
    app.router.add_post("/webhooks/twilio", twilio_inbound, name="twilio_inbound")
    app.router.add_post(STATUS_PATH, twilio_status, name="twilio_status")
    app.router.add_get(esms.CALLBACK_PATH + "/{key}", esms_status, name="esms_status")


def _public_url(request: web.Request) -> str:
    return request.app[SETTINGS].public_url + str(request.rel_url)


async def _twilio_params(request: web.Request) -> tuple[SmsDesk, dict[str, str], str]:
    desk, token = request.app.get(SMS_DESK), request.app[SETTINGS].twilio_auth_token
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
    desk, settings = request.app.get(SMS_DESK), request.app[SETTINGS]
    if desk is None or not settings.esms_secret_key:
        raise web.HTTPNotFound()
    try:
        report = esms.parse_report(request.query, request.match_info["key"], esms_config(settings))
    except esms.BadKey:
        return web.Response(status=403)
    if report is not None:
        await desk.report(report)
    return web.Response(status=200, text="OK")
