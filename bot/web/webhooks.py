"""Webhook routes of the chat channels: Telegram, Zalo OA, Twilio (inbound and status), eSMS reports.

Each view authenticates the request before reading it, has its channel parse the payload into
channel-neutral events, hands each to the one inbound path (`Inbox.apply`, one transaction per
event) and answers only after those commits. Each answers 404 while its channel is not
configured. Twilio signs the URL it called, so the signature is checked against
HAILONG_PUBLIC_URL plus the path and query, never the URL this process sees behind a proxy.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from bot.conversation.inbox import Applied
from bot.conversation.sms import STATUS_PATH, SmsReports, esms_config
from bot.conversation.telegram import stale_notice
from bot.web.keys import INBOX, PLUGINS, SETTINGS, SMS_REPORTS
from channels import esms, telegram, twilio, zalo
from channels.contract import Event, Refused, WebhookRequest

log = logging.getLogger(__name__)
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def setup_routes(app: web.Application) -> None:
    """Every channel's webhook."""
    app.router.add_post("/webhooks/telegram", telegram_webhook, name="telegram_webhook")
    app.router.add_post("/webhooks/zalo", zalo_webhook, name="zalo_webhook")
    setup_sms_routes(app)
    app.router.add_post("/webhooks/ext/{channel}", plugin_webhook, name="plugin_webhook")


async def telegram_webhook(request: web.Request) -> web.Response:
    """`POST /webhooks/telegram`: check the secret, then apply the update once.

    A press is acknowledged in the reply itself (`answerCallbackQuery` as the webhook's answer,
    which the Bot API allows): no request of ours, and the spinner stops as the turn commits.
    """
    settings = request.app[SETTINGS]
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not (settings.telegram_bot_token.get_secret_value() and secret):
        raise web.HTTPNotFound()
    try:
        telegram.check_secret(request.headers, secret)
    except telegram.BadSecret:
        return web.Response(status=401)
    try:
        payload = await request.json()
    except ValueError:
        return web.Response(status=400)
    if not isinstance(payload, dict):
        return web.Response(status=400)
    inbox = request.app[INBOX]
    try:
        events = telegram.events(telegram.parse_update(payload, now=inbox.now()))
    except telegram.BadPayload as exc:
        log.warning("telegram update ignored: %s", exc)  # a retry would not fix it
        events = []
    answer = None
    for event in events:
        applied = await inbox.apply(event)
        if event.ack is not None:
            answer = telegram.webhook_answer(telegram.answer_callback(event.ack, stale_notice(applied)))
    return web.json_response(answer) if answer is not None else web.Response(status=200)


async def zalo_webhook(request: web.Request) -> web.Response:
    """`POST /webhooks/zalo`: verify the signature over the raw body, then record and apply each event.

    A signed event stamped more than HAILONG_ZALO_EVENT_MAX_AGE_SECONDS away from our clock is
    refused like a forged one (401, nothing applied, one warning line). Answered 200 only after
    every event's commit (a turn is database work only, well within the ~2 s Zalo waits); an event
    that fails answers 500 and is applied when Zalo delivers it again.
    """
    settings = request.app[SETTINGS]
    secret_key = settings.zalo_oa_secret_key.get_secret_value()
    if not secret_key:
        raise web.HTTPNotFound()
    inbox, body = request.app[INBOX], await request.read()
    try:
        items = zalo.parse(body, request.headers, app_id=settings.zalo_app_id,
                           secret_key=secret_key, now=inbox.now(),
                           max_age=timedelta(seconds=settings.zalo_event_max_age_seconds))
    except zalo.StaleEvent as exc:  # signed, but replayed (or a clock far off): refused like a forgery
        log.warning("zalo event refused: %s", exc)  # the stamp's distance only, never the user or the text
        return web.Response(status=401)
    except zalo.BadSignature:
        return web.Response(status=401)
    await _apply_all(request, zalo.events(items))
    return web.Response(status=200)


async def plugin_webhook(request: web.Request) -> web.Response:
    """`POST /webhooks/ext/{channel}`: a registry channel that brings its own parser (see Spec.plugin).

    The plugin authenticates the request before parsing it (Refused: 401); a signed payload it
    cannot read answers 400 (one warning line, nothing applied); each event then takes the one
    inbound path, and the answer comes after every commit.
    """
    plugin = request.app[PLUGINS].get(request.match_info["channel"])
    if plugin is None:
        raise web.HTTPNotFound()
    body = await request.read()
    try:
        events = plugin.events(WebhookRequest(body, request.headers, request.query), request.app[INBOX].now())
    except Refused:
        return web.Response(status=401)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # authenticated, but not a shape it reads
        log.warning("%s webhook: payload not read (%s)", request.match_info["channel"], type(exc).__name__)
        return web.Response(status=400)
    await _apply_all(request, events)
    return web.Response(status=200)


async def _apply_all(request: web.Request, events: list[Event]) -> list[Applied]:
    inbox = request.app[INBOX]
    return [await inbox.apply(event) for event in events]


def setup_sms_routes(app: web.Application) -> None:
    """The SMS webhooks; each answers 404 while its provider is not configured."""
    app.router.add_post("/webhooks/twilio", twilio_inbound, name="twilio_inbound")
    app.router.add_post(STATUS_PATH, twilio_status, name="twilio_status")
    app.router.add_get(esms.CALLBACK_PATH + "/{key}", esms_status, name="esms_status")


def _public_url(request: web.Request) -> str:
    return request.app[SETTINGS].public_url + str(request.rel_url)


async def _twilio_params(request: web.Request) -> tuple[SmsReports, dict[str, str], str]:
    """The desk, the posted form and the auth token; 400 for a body that is no form at all (Twilio
    signs the form's fields, so nothing can be authenticated before they are read; Twilio never
    sends such a body, so nothing retries it)."""
    desk, token = request.app.get(SMS_REPORTS), request.app[SETTINGS].twilio_auth_token.get_secret_value()
    if desk is None or not token:
        raise web.HTTPNotFound()
    try:
        form = await request.post()
    except ValueError:  # not UTF-8, a broken multipart body …
        raise web.HTTPBadRequest() from None
    return desk, {k: str(v) for k, v in form.items()}, token


async def twilio_inbound(request: web.Request) -> web.Response:
    """`POST /webhooks/twilio`: verify, then record the MessageSid and apply it in one transaction.

    Answered (empty TwiML) only after that commit; the answers go out through the outbox.
    """
    _, params, token = await _twilio_params(request)
    try:
        items = twilio.parse(params, request.headers, url=_public_url(request), token=token,
                             now=request.app[INBOX].now())
    except twilio.BadSignature:
        return web.Response(status=403)
    except twilio.BadPayload as exc:
        log.warning("twilio inbound ignored: %s", exc)
        items = []
    await _apply_all(request, [Event.of(item) for item in items])
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
    desk, settings = request.app.get(SMS_REPORTS), request.app[SETTINGS]
    if desk is None or not settings.esms_secret_key.get_secret_value():
        raise web.HTTPNotFound()
    try:
        report = esms.parse_report(request.query, request.match_info["key"], esms_config(settings))
    except esms.BadKey:
        return web.Response(status=403)
    if report is not None:
        await desk.report(report)
    return web.Response(status=200, text="OK")
