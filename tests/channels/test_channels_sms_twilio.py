"""Twilio: signatures (Twilio's own test vector, compute_signature), payloads in, exact REST requests out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest
from twilio.request_validator import RequestValidator

from channels.contract import ChannelName, Choice, Delivery, Inbound, Outbound
from channels.twilio import (
    BadPayload,
    BadSignature,
    TwilioConfig,
    check_signature,
    open_twilio,
    parse,
    parse_status,
    render,
)
from tests.channels.twilio_fake import FakeTwilio

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
TOKEN = "test-auth-token"
URL = "https://khaosat.example.vn/webhooks/twilio"
INBOUND = {"MessageSid": "SM" + "a" * 32, "AccountSid": "AC" + "0" * 32, "From": "+84912345678",
           "To": "+15005550006", "Body": " hai long ", "NumSegments": "1", "NumMedia": "0"}


def signed(url: str = URL, params: dict | None = None, token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params or INBOUND)}


def test_twilios_published_test_vector() -> None:
    params = {"CallSid": "CA1234567890ABCDE", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212", "Caller": "+14158675309"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert RequestValidator("12345").compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    check_signature(url, params, {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}, "12345")


def test_a_signed_inbound_sms() -> None:
    [item] = parse(INBOUND, signed(), url=URL, token=TOKEN, now=NOW)
    assert item == Inbound(ChannelName.SMS, "+84912345678", "twilio:SM" + "a" * 32, NOW, text="hai long")


@pytest.mark.parametrize("headers", [
    {}, {"X-Twilio-Signature": ""}, {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
    signed(token="another-token"), signed(url="http://10.0.0.5:8080/webhooks/twilio"),
    signed(url=URL + "?x=1"), signed(params=INBOUND | {"Body": "1"}),
], ids=["none", "empty", "other-request", "wrong-token", "internal-url", "other-query", "changed-body"])
def test_unsigned_or_wrongly_signed_requests_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        parse(INBOUND, headers, url=URL, token=TOKEN, now=NOW)


def test_a_signed_request_without_a_sender_is_a_bad_payload() -> None:
    params = {"MessageSid": "SM1", "Body": "x"}
    with pytest.raises(BadPayload):
        parse(params, signed(params=params), url=URL, token=TOKEN, now=NOW)


@pytest.mark.parametrize(("status", "error", "expected"), [
    ("delivered", None, ("delivered", None)), ("undelivered", "30003", ("undelivered", "30003")),
    ("failed", "21610", ("failed", "21610")), ("sent", None, ("sent", None)), ("accepted", None, None),
])
def test_status_callbacks(status: str, error: str | None, expected: tuple | None) -> None:
    url = URL + "/status"
    params = {"MessageSid": "SM1", "MessageStatus": status, "AccountSid": "AC1"} | ({"ErrorCode": error} if error else {})
    report = parse_status(params, signed(url, params), url=url, token=TOKEN)
    assert (report and (report.status, report.error)) == expected
    assert report is None or report.opted_out == (error == "21610")


CONFIG = TwilioConfig("AC" + "0" * 32, TOKEN, from_number="+15005550006",
                      status_callback="https://khaosat.example.vn/webhooks/twilio/status")
QUESTION = Outbound(ChannelName.SMS, "+84912345678", "Ông/Bà hài lòng không?", (Choice("1", "Có"), Choice("2", "Không")))


def test_render_prefers_a_messaging_service() -> None:
    assert render(QUESTION, CONFIG) == {"to": "+84912345678", "from_": "+15005550006",
                                        "body": "Ong/Ba hai long khong?\n1. Co\n2. Khong",
                                        "status_callback": CONFIG.status_callback}
    service = TwilioConfig("AC1", TOKEN, from_number="+15005550006", messaging_service_sid="MG1")
    assert render(QUESTION, service, unicode=True) == {
        "to": "+84912345678", "messaging_service_sid": "MG1", "body": "Ông/Bà hài lòng không?\n1. Có\n2. Không"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = FakeTwilio(account_sid=CONFIG.account_sid, auth_token=TOKEN)
    await server.start()
    yield server
    await server.stop()


def _config(fake: FakeTwilio) -> TwilioConfig:
    return TwilioConfig(CONFIG.account_sid, TOKEN, from_number=CONFIG.from_number,
                        api_base_url=fake.base_url, status_callback=CONFIG.status_callback)


async def test_send_makes_exactly_twilios_request(fake: FakeTwilio) -> None:
    async with open_twilio(_config(fake)) as sender:
        outcome = await sender.send(QUESTION)
    assert outcome.delivery is Delivery.SENT and outcome.provider_message_id == "SM" + "0" * 31 + "1"
    [(path, user, form)] = fake.requests
    assert path == f"/2010-04-01/Accounts/{CONFIG.account_sid}/Messages.json" and user == CONFIG.account_sid
    assert form == {"To": "+84912345678", "From": "+15005550006", "Body": "Ong/Ba hai long khong?\n1. Co\n2. Khong",
                    "StatusCallback": CONFIG.status_callback}


@pytest.mark.parametrize(("status", "code", "delivery"), [
    (400, 21610, Delivery.OPTED_OUT), (400, 21614, Delivery.UNREACHABLE), (400, 21211, Delivery.UNREACHABLE),
    (429, 20429, Delivery.RETRY), (500, 20500, Delivery.RETRY), (400, 21602, Delivery.FAILED),
])
async def test_twilio_errors(fake: FakeTwilio, status: int, code: int, delivery: Delivery) -> None:
    fake.fail(status, code)
    async with open_twilio(_config(fake)) as sender:
        outcome = await sender.send(QUESTION)
    assert (outcome.delivery, outcome.error, outcome.provider_message_id) == (delivery, str(code), None)


async def test_an_unreachable_api_is_a_retry() -> None:
    config = TwilioConfig("AC1", TOKEN, from_number="+15005550006", api_base_url="http://127.0.0.1:9")
    async with open_twilio(config) as sender:
        assert (await sender.send(QUESTION)).delivery is Delivery.RETRY
