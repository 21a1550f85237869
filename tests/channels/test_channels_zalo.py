"""Zalo OA and ZNS adapters: tables of events in → inbound out, messages in → exact requests out.

The event fixtures below are the one statement of the (unconfirmed) envelope: when a real OA
shows otherwise, fix `channels.zalo` / `channels.zalo_zns` and these fixtures together.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from channels.contract import ChannelName, Choice, Delivery, Outbound
from channels.zalo import (
    BadSignature,
    Kind,
    OaSender,
    StaleEvent,
    check_signature,
    parse,
    parse_refresh,
    render,
    signature,
    within_window,
)
from channels.zalo_http import TokenRefused
from channels.zalo_zns import ZnsFeedback, ZnsSender, parse_feedback, zns_phone
from tests.channels.zalo_fake import APP_ID, OA_SECRET, FakeZalo, sign

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
USER = "8470100000001"
TS = "1764039600000"  # a fixed stamp for the pure parser's tables (it checks no window unless asked)


def stamp(offset_seconds: float = 0) -> str:
    """An event `timestamp` (milliseconds) this many seconds from the real clock: the running app
    refuses events stamped outside HAILONG_ZALO_EVENT_MAX_AGE_SECONDS of its clock."""
    return str(int((time.time() + offset_seconds) * 1000))


def text_event(msg_id: str, text: str, user: str = USER, ts: str | None = None) -> dict:
    """A `user_send_text` event as the OA webhook delivers it (envelope UNCONFIRMED), stamped now by default."""
    return {"app_id": APP_ID, "user_id_by_app": "55", "event_name": "user_send_text", "timestamp": ts or stamp(),
            "sender": {"id": user}, "recipient": {"id": "oa-1"}, "message": {"msg_id": msg_id, "text": text}}


def follow_event(name: str = "follow", user: str = USER, ts: str | None = None) -> dict:
    return {"app_id": APP_ID, "oa_id": "oa-1", "event_name": name, "timestamp": ts or stamp(),
            "source": "oa_profile", "follower": {"id": user}}


def feedback_event(msg_id: str, rate: int, tracking_id: str | None, note: str = "",
                   feedbacks: tuple[str, ...] = ()) -> dict:
    """A ZNS `user_feedback` event: stars, reasons, note, no user id (fields UNCONFIRMED)."""
    message = {"note": note, "rate": rate, "submit_time": "1764039600000", "msg_id": msg_id,
               "feedbacks": list(feedbacks)}
    if tracking_id is not None:
        message["tracking_id"] = tracking_id
    return {"app_id": APP_ID, "oa_id": "oa-1", "event_name": "user_feedback", "timestamp": stamp(),
            "message": message}


def test_signature_formula_is_sha256_of_app_id_body_timestamp_secret() -> None:
    body = b'{"app_id": "4321", "timestamp": "1700000000000"}'
    assert signature("4321", body, "1700000000000", "oa-secret-key") == (
        "743f0527859da9d57af2e4ba66467f5cf0b8e2977b28d9f3647045f6eac11097")


@pytest.mark.parametrize("prefix", ["mac=", ""])
def test_a_signed_event_passes_with_or_without_the_mac_prefix(prefix: str) -> None:
    body, headers = sign(text_event("m1", "hài lòng"), prefix=prefix)
    assert check_signature(body, headers, app_id=APP_ID, secret_key=OA_SECRET)["event_name"] == "user_send_text"


@pytest.mark.parametrize("forge", ["other secret", "tampered body", "no header", "not json", "no secret"])
def test_forged_events_are_refused(forge: str) -> None:
    body, headers = sign(text_event("m1", "5"), secret="other" if forge == "other secret" else OA_SECRET)
    secret = "" if forge == "no secret" else OA_SECRET
    if forge == "tampered body":
        body = body.replace(b'"5"', b'"1"')
    if forge == "no header":
        headers = {}
    if forge == "not json":
        body = b"\xff"
    with pytest.raises(BadSignature):
        parse(body, headers, app_id=APP_ID, secret_key=secret, now=NOW)


@pytest.mark.parametrize(("ts", "fresh"), [
    (str(int((NOW - timedelta(days=40)).timestamp() * 1000)), False),
    (str(int((NOW - timedelta(seconds=601)).timestamp() * 1000)), False),
    (str(int((NOW - timedelta(seconds=599)).timestamp() * 1000)), True),
    (str(int((NOW + timedelta(seconds=599)).timestamp() * 1000)), True),
    (str(int((NOW + timedelta(hours=1)).timestamp() * 1000)), False),
    (int(NOW.timestamp() * 1000), True),
    ("", False), ("soon", False), ("9" * 40, False),
])
def test_signed_events_stamped_outside_the_window_are_refused(ts: object, fresh: bool) -> None:
    body, headers = sign(text_event("m1", "5") | {"timestamp": ts})
    assert parse(body, headers, app_id=APP_ID, secret_key=OA_SECRET, now=NOW)  # no window asked: parsed
    if fresh:
        assert parse(body, headers, app_id=APP_ID, secret_key=OA_SECRET, now=NOW, max_age=timedelta(seconds=600))
        return
    with pytest.raises(StaleEvent) as refused:
        parse(body, headers, app_id=APP_ID, secret_key=OA_SECRET, now=NOW, max_age=timedelta(seconds=600))
    assert isinstance(refused.value, BadSignature) and USER not in str(refused.value)


PARSE_TABLE = [
    (text_event("m1", "  Hài lòng "), Kind.MESSAGE, USER, "m1", "Hài lòng", None, None),
    (text_event("m2", "c:overall:5"), Kind.CHOICE, USER, "m2", None, "5", "overall"),
    (text_event("m3", "c::2"), Kind.CHOICE, USER, "m3", None, "2", None),
    (text_event("m4", "c:overall:x"), Kind.MESSAGE, USER, "m4", "c:overall:x", None, None),
    (follow_event(ts=TS), Kind.FOLLOW, USER, f"follow:{USER}:{TS}", None, None, None),
    (follow_event("unfollow", ts=TS), Kind.UNFOLLOW, USER, f"unfollow:{USER}:{TS}", None, None, None),
    (feedback_event("z1", 4, "17"), Kind.FEEDBACK, "", "feedback:z1", None, None, None),
]


@pytest.mark.parametrize(("event", "kind", "address", "pid", "text", "choice", "step"), PARSE_TABLE)
def test_parse_table(event, kind, address, pid, text, choice, step) -> None:
    body, headers = sign(event)
    [item] = parse(body, headers, app_id=APP_ID, secret_key=OA_SECRET, now=NOW)
    assert (item.kind, item.inbound.channel, item.inbound.address, item.inbound.provider_message_id,
            item.inbound.text, item.inbound.choice, item.step) == (
        kind, ChannelName.ZALO, address, pid, text, choice, step)


@pytest.mark.parametrize("event", [
    {"app_id": APP_ID, "event_name": "user_send_image", "timestamp": "1", "sender": {"id": USER},
     "message": {"msg_id": "i1", "attachments": []}},
    text_event("m5", "   "),
    {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": "1", "message": {"msg_id": "x", "text": "hi"}},
    feedback_event("z2", 9, "17"),
])
def test_events_we_do_not_use_give_nothing(event: dict) -> None:
    body, headers = sign(event)
    assert parse(body, headers, app_id=APP_ID, secret_key=OA_SECRET, now=NOW) == []


def test_feedback_is_read_from_the_webhook_and_from_rating_get() -> None:
    webhook = feedback_event("z1", 2, "17", "Chậm", ("Giải quyết chậm, trễ hẹn",))["message"]
    pulled = {"note": "Chậm", "rate": 2, "submitDate": "1764039600000", "msgId": "z1",
              "feedbacks": ["Giải quyết chậm, trễ hẹn"], "trackingId": "17"}
    expected = ZnsFeedback(2, "Chậm", ("Giải quyết chậm, trễ hẹn",), "z1", "17")
    assert parse_feedback(webhook) == parse_feedback(pulled) == expected


STARS = tuple(Choice(str(i), f"{i} sao") for i in range(1, 6))


def test_single_choices_become_hidden_query_buttons() -> None:
    request = render(Outbound(ChannelName.ZALO, USER, "Mấy sao?", STARS, step="overall"))
    assert (request.method, request.path) == ("POST", "/v3.0/oa/message/cs")
    assert request.json == {"recipient": {"user_id": USER}, "message": {"text": "Mấy sao?", "attachment": {
        "type": "template", "payload": {"buttons": [
            {"title": f"{i} sao", "type": "oa.query.hide", "payload": f"c:overall:{i}"} for i in range(1, 6)]}}}}


@pytest.mark.parametrize("multi", [True, False])
def test_several_answers_or_more_than_five_choices_are_typed(multi: bool) -> None:
    choices = STARS if multi else (*STARS, Choice("6", "Khác"))
    request = render(Outbound(ChannelName.ZALO, USER, "Chọn", choices, step="s", multi=multi))
    assert "attachment" not in request.json["message"]
    assert request.json["message"]["text"].splitlines()[1] == "1. 1 sao"


def test_long_texts_are_clipped_to_2000_characters() -> None:
    request = render(Outbound(ChannelName.ZALO, USER, "a" * 2500))
    assert len(request.json["message"]["text"]) == 2000


@pytest.mark.parametrize(("raw", "phone"), [("+84912345678", "84912345678"), ("0912 345 678", "84912345678"),
                                           ("84912345678", "84912345678"), ("+14155550100", None)])
def test_phones_go_to_zns_as_84_without_the_leading_zero(raw: str, phone: str | None) -> None:
    assert zns_phone(raw) == phone


def test_refresh_answers() -> None:
    tokens = parse_refresh({"access_token": "a", "refresh_token": "r", "expires_in": "90000"})
    assert (tokens.access_token, tokens.refresh_token, tokens.expires_in) == ("a", "r", 90000)
    assert "a" not in repr(tokens)
    with pytest.raises(TokenRefused):
        parse_refresh({"error": -14014, "error_name": "Invalid refresh token"})


def test_the_reply_window() -> None:
    assert within_window(NOW - timedelta(hours=47), NOW, 48)
    assert not within_window(NOW - timedelta(hours=48), NOW, 48)
    assert not within_window(None, NOW, 48)


# --- senders against the local Zalo server ------------------------------------------------


class MemoryTokens:
    """A TokenSource over the fake's OAuth endpoint, counting refreshes."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeZalo, token: str) -> None:
        self.http, self.fake, self.token, self.refreshes = http, fake, token, 0

    async def access_token(self) -> str:
        return self.token

    async def refresh(self, stale: str) -> str:
        from channels.zalo import refresh_tokens

        self.refreshes += 1
        pair = await refresh_tokens(self.http, self.fake.base_url, app_id=APP_ID, app_secret="app-secret",
                                    refresh_token=self.fake.refresh_token)
        self.token = pair.access_token
        return self.token


class Window:
    def __init__(self, open_: bool) -> None:
        self.open = open_

    async def is_open(self, user_id: str) -> bool:
        return self.open


@pytest.fixture
async def fake():
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()


async def test_oa_send_posts_the_message_with_the_access_token(fake: FakeZalo) -> None:
    async with aiohttp.ClientSession() as http:
        sender = OaSender(http, fake.base_url, MemoryTokens(http, fake, "AT-1"), Window(True))
        result = await sender.send(Outbound(ChannelName.ZALO, USER, "Xin chào"))
    assert (result.delivery, result.provider_message_id) == (Delivery.SENT, "oa-msg-1")
    [call] = fake.calls
    assert (call.method, call.path, call.token, call.body) == (
        "POST", "/v3.0/oa/message/cs", "AT-1", {"recipient": {"user_id": USER}, "message": {"text": "Xin chào"}})


async def test_minus_124_refreshes_once_and_retries_once(fake: FakeZalo) -> None:
    async with aiohttp.ClientSession() as http:
        tokens = MemoryTokens(http, fake, "AT-stale")
        result = await OaSender(http, fake.base_url, tokens, Window(True)).send(
            Outbound(ChannelName.ZALO, USER, "hi"))
    assert result.delivery is Delivery.SENT and tokens.refreshes == 1
    assert [(c.path, c.token) for c in fake.calls] == [
        ("/v3.0/oa/message/cs", "AT-stale"), ("/v4/oa/access_token", None), ("/v3.0/oa/message/cs", "AT-2")]
    assert fake.calls[1].body == {"refresh_token": "RT-1", "app_id": APP_ID, "grant_type": "refresh_token"}
    assert fake.calls[1].secret_key == "app-secret"


async def test_a_second_minus_124_is_not_retried_again(fake: FakeZalo) -> None:
    fake.errors["/v3.0/oa/message/cs"] = [-124, -124]
    async with aiohttp.ClientSession() as http:
        result = await OaSender(http, fake.base_url, MemoryTokens(http, fake, "AT-1"), Window(True)).send(
            Outbound(ChannelName.ZALO, USER, "hi"))
    assert (result.delivery, result.error) == (Delivery.FAILED, "-124")
    assert len(fake.sent()) == 2


async def test_outside_the_window_nothing_is_sent_and_the_dispatcher_falls_back(fake: FakeZalo) -> None:
    async with aiohttp.ClientSession() as http:
        result = await OaSender(http, fake.base_url, MemoryTokens(http, fake, "AT-1"), Window(False)).send(
            Outbound(ChannelName.ZALO, USER, "hi"))
    assert (result.delivery, result.error) == (Delivery.FAILED, "outside_window") and fake.calls == []


@pytest.mark.parametrize(("code", "delivery", "error"), [(-213, Delivery.UNREACHABLE, "-213"),
                                                         (-230, Delivery.FAILED, "outside_window"),
                                                         (-201, Delivery.FAILED, "-201")])
async def test_oa_error_codes(fake: FakeZalo, code: int, delivery: Delivery, error: str) -> None:
    fake.errors["/v3.0/oa/message/cs"] = [code]
    async with aiohttp.ClientSession() as http:
        result = await OaSender(http, fake.base_url, MemoryTokens(http, fake, "AT-1"), Window(True)).send(
            Outbound(ChannelName.ZALO, USER, "hi"))
    assert (result.delivery, result.error) == (delivery, error)


async def test_a_dead_server_means_retry_later() -> None:
    async with aiohttp.ClientSession() as http:
        result = await OaSender(http, "http://127.0.0.1:9", _NoTokens(), Window(True)).send(
            Outbound(ChannelName.ZALO, USER, "hi"))
    assert result.delivery is Delivery.RETRY


class _NoTokens:
    async def access_token(self) -> str:
        return "x"

    async def refresh(self, stale: str) -> str:
        return "y"


async def test_zns_rating_invitation_request(fake: FakeZalo) -> None:
    async with aiohttp.ClientSession() as http:
        sender = ZnsSender(http, fake.base_url, MemoryTokens(http, fake, "AT-1"), "tpl-9")
        result = await sender.send(Outbound(ChannelName.ZALO, "+84912345678", "H56-1", reference="17"))
        bad = await sender.send(Outbound(ChannelName.ZALO, "+14155550100", "H56-1", reference="17"))
    assert (result.delivery, result.provider_message_id) == (Delivery.SENT, "zns-msg-1")
    assert (bad.delivery, bad.error) == (Delivery.UNREACHABLE, "bad_phone")
    [call] = fake.calls
    assert (call.path, call.token, call.body) == ("/message/template", "AT-1", {
        "phone": "84912345678", "template_id": "tpl-9", "template_data": {"dossier_code": "H56-1"},
        "tracking_id": "17"})


async def test_zns_ratings_are_pulled_page_by_page(fake: FakeZalo) -> None:
    fake.ratings = [{"rate": 1 + i % 5, "msgId": f"z{i}", "trackingId": str(i), "note": "", "feedbacks": []}
                    for i in range(150)]
    async with aiohttp.ClientSession() as http:
        sender = ZnsSender(http, fake.base_url, MemoryTokens(http, fake, "AT-1"), "tpl-9")
        found = await sender.ratings("tpl-9", since=NOW - timedelta(days=7), until=NOW)
    assert [f.msg_id for f in found] == [f"z{i}" for i in range(150)]
    assert [c.body for c in fake.calls] == [
        {"template_id": "tpl-9", "from_time": str(int((NOW - timedelta(days=7)).timestamp() * 1000)),
         "to_time": str(int(NOW.timestamp() * 1000)), "offset": str(o), "limit": "100"} for o in (0, 100)]
