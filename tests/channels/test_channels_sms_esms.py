"""eSMS: the exact JSON send (RequestId, IsUnicode, Sandbox), CodeResult outcomes, delivery reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from channels.contract import ChannelName, Choice, Delivery, Outbound
from channels.esms import BadKey, EsmsConfig, local_phone, open_esms, parse_report, request_id
from tests.channels.esms_fake import FakeEsms

QUESTION = Outbound(ChannelName.SMS, "+84912345678", "Ông/Bà hài lòng không?", (Choice("1", "Có"), Choice("2", "Không")))


@pytest.fixture
async def fake() -> AsyncIterator[FakeEsms]:
    server = FakeEsms()
    await server.start()
    yield server
    await server.stop()


def config(fake: FakeEsms, **changes) -> EsmsConfig:
    values = dict(api_key="KEY", secret_key="SECRET", brandname="UBND-P1", api_base_url=fake.base_url,
                  public_url="https://khaosat.example.vn") | changes
    return EsmsConfig(**values)


def test_phone_numbers_as_dialled_in_vietnam() -> None:
    assert local_phone("+84912345678") == "0912345678" and local_phone("+14158675309") == "14158675309"


async def test_send_makes_exactly_the_esms_request(fake: FakeEsms) -> None:
    settings = config(fake)
    async with open_esms(settings) as sender:
        outcome = await sender.send(QUESTION)
    assert (outcome.delivery, outcome.provider_message_id) == (Delivery.SENT, "esms-0001")
    assert fake.requests == [{
        "ApiKey": "KEY", "SecretKey": "SECRET", "Phone": "0912345678",
        "Content": "Ong/Ba hai long khong?\n1. Co\n2. Khong", "Brandname": "UBND-P1", "SmsType": "2",
        "IsUnicode": "0", "RequestId": request_id(QUESTION),
        "CallbackUrl": f"https://khaosat.example.vn/webhooks/esms/status/{settings.callback_key}",
    }]


async def test_a_retry_reuses_the_request_id_unicode_and_sandbox(fake: FakeEsms) -> None:
    async with open_esms(config(fake, sandbox=True)) as sender:
        first = await sender.send(QUESTION, unicode=True)
        again = await sender.send(QUESTION, unicode=True)
        keyed = await sender.send(replace(QUESTION, key="outbox-42"))
    assert first.provider_message_id == again.provider_message_id != keyed.provider_message_id
    body = fake.requests[0]
    assert body["IsUnicode"] == "1" and body["Content"].startswith("Ông/Bà") and body["Sandbox"] == "1"
    assert fake.requests[0]["RequestId"] == fake.requests[1]["RequestId"] and fake.requests[2]["RequestId"] == "outbox-42"
    assert fake.requests[2]["IsUnicode"] == "0"


@pytest.mark.parametrize(("code", "status", "delivery"), [
    ("101", 200, Delivery.FAILED), ("103", 200, Delivery.FAILED), ("104", 200, Delivery.FAILED),
    ("99", 200, Delivery.RETRY), ("", 502, Delivery.RETRY),
])
async def test_code_results(fake: FakeEsms, code: str, status: int, delivery: Delivery) -> None:
    fake.fail(code, status)
    async with open_esms(config(fake)) as sender:
        outcome = await sender.send(QUESTION)
    assert outcome.delivery is delivery and outcome.provider_message_id is None


REPORTS = [
    ({"SMSID": "s1", "SendStatus": "5", "SendSuccess": "1", "SendFailed": "0"}, ("delivered", None)),
    ({"SMSID": "s1", "SendStatus": "5", "SendSuccess": "0", "SendFailed": "1"}, ("undelivered", "esms:5")),
    ({"SMSID": "s1", "SendStatus": "4"}, ("failed", "esms:4")),
    ({"SMSID": "s1", "SendStatus": "7"}, ("sent", None)),
    ({"SMSID": "s1", "SendStatus": "2"}, ("queued", None)),
    ({"SendStatus": "5"}, None),
]


@pytest.mark.parametrize(("query", "expected"), REPORTS)
def test_delivery_reports(query: dict, expected: tuple | None) -> None:
    settings = EsmsConfig("KEY", "SECRET", "UBND-P1")
    report = parse_report(query | {"TypeId": "2", "phonenumber": "0912345678"}, settings.callback_key, settings)
    assert (report and (report.status, report.error)) == expected


def test_a_report_with_a_wrong_key_is_refused() -> None:
    with pytest.raises(BadKey):
        parse_report({"SMSID": "s1", "SendStatus": "5"}, "guess", EsmsConfig("KEY", "SECRET", "UBND-P1"))
