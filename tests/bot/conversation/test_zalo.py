"""Zalo end to end: signed OA events posted to the running app's webhook; every call to Zalo asserted
on a local server that speaks the OA, OAuth and ZNS APIs (nothing of ours is patched)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from live import serve_app_here
from sqlalchemy import func, select

from bot.app import create_app
from bot.cli.commands import simulate_json
from bot.common.settings import Settings, load_settings
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import send_survey
from bot.office.sms_templates import SAMPLE_DOSSIER
from bot.web.keys import SCHEDULER, SENDERS
from channels.contract import ChannelName, Delivery, Outbound
from storage import (
    ContactAddress,
    Dossier,
    Evaluation,
    InboundMessage,
    OutboxMessage,
    Survey,
    evaluation_answers,
    find_agency,
    find_contact_address,
    open_database,
    update_agency_settings,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from storage.provider_tokens import TokenPair, load_tokens, note_activity, save_tokens
from storage.tables import AddressActivity, SurveySession
from survey_flows import (
    Env,
    TextReply,
    evaluation_record,
    load_flow,
    load_schema,
    resume,
    start,
)
from tests.bot.conversation.test_sms import settled  # the same outbox waits
from tests.bot.conversation.test_telegram import _columns, drained
from tests.bot.dispatchkit import break_alert_rule
from tests.channels.test_channels_zalo import (
    USER,
    feedback_event,
    follow_event,
    stamp,
    text_event,
)
from tests.channels.zalo_fake import APP_ID, APP_SECRET, OA_SECRET, FakeZalo, sign

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CODE = "000.17.22.H56-261118-0001"
CODE2 = "000.17.22.H56-261118-0002"
PHONE = "+84912345678"
ALWAYS = {"contact_hours": ["00:00-23:59"], "contact_days": [1, 2, 3, 4, 5, 6, 7], "national_holidays": False}


@dataclass
class Running:
    """The app on a real port, the fake Zalo, the database, and the app (for its desk)."""

    url: str
    zalo: FakeZalo
    db: object
    app: web.Application
    settings: Settings
    statuses: list[int] = field(default_factory=list)

    async def post(self, event: dict, *, body: bytes | None = None, headers: dict | None = None) -> int:
        signed_body, signed_headers = sign(event)
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.url}/webhooks/zalo", data=body if body is not None else signed_body,
                headers=headers if headers is not None else signed_headers) as r:
            status = r.status
        await drained(self.db)  # the answers go out through the outbox, drained in the background
        return status


def zalo_settings(database_url: str, zalo: FakeZalo, **kw) -> Settings:
    values = {"database_url": database_url, "default_flow": "quick", "zalo_app_id": APP_ID,
              "zalo_app_secret": APP_SECRET, "zalo_oa_secret_key": OA_SECRET, "zalo_oa_access_token": "AT-1",
              "zalo_oa_refresh_token": "RT-1", "zalo_zns_rating_template_id": "tpl-9",
              "zalo_oa_api_base_url": zalo.base_url, "zalo_oauth_base_url": zalo.base_url,
              "zalo_zns_api_base_url": zalo.base_url} | kw
    return load_settings(env_file=None, **values)


async def seed(db, codes: tuple[str, ...] = (CODE, CODE2)) -> None:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        contact = await upsert_contact_address(s, channel="sms", address=PHONE, now=T0)
        for code in codes:
            await upsert_dossier(s, code=code, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                                 due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=T0,
                                 contact_id=contact.contact_id)


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def running(db, database_url: str, zalo: FakeZalo) -> AsyncIterator[Running]:
    settings = zalo_settings(database_url, zalo)
    await seed(db)
    app = create_app(settings)
    async with serve_app_here(app) as url:
        yield Running(url, zalo, db, app, settings)


def buttons(call) -> list[str]:
    attachment = call.body["message"].get("attachment") or {}
    return [b["payload"] for b in attachment.get("payload", {}).get("buttons", [])]


def simulated(lines: list[str]) -> dict:
    """The same replies given to survey_flows directly: the evaluation record's answers."""
    flow = load_flow("quick", load_schema())
    env = Env(now=T0, new_id=lambda: "x")
    session = start(flow, env, lang="vi", channel="zalo").session
    for line in lines:
        session = resume(flow, session, env, TextReply(line)).session
    assert str(session.status) == "completed"
    return evaluation_record(flow, session)["answers"]


async def answers(db, code: str) -> tuple[str, dict]:
    async with db.transaction() as s:
        evaluation = await s.scalar(select(Evaluation).join(Dossier, Dossier.id == Evaluation.dossier_id)
                                    .where(Dossier.code == code))
        rows = await evaluation_answers(s, evaluation.id)
    return evaluation.channel, {a.field: {"value": a.value, "level": a.level, "text": a.text, "items": a.items}
                                for a in rows if not a.field.startswith("indicator.")}


async def test_a_full_oa_survey_with_buttons_and_typing_writes_the_simulators_answers(running: Running) -> None:
    events = [text_event("m1", CODE.lower()), text_event("m2", "c:overall:5"), text_event("m3", "hai long"),
              text_event("m4", "Nhanh gọn")]
    for event in events:
        assert await running.post(event) == 200
    calls = running.zalo.sent()
    assert [c.body["recipient"] for c in calls] == [{"user_id": USER}] * 4
    assert {c.token for c in calls} == {"AT-1"}
    assert CODE in calls[0].body["message"]["text"]
    assert buttons(calls[0]) == [f"c:overall:{i}" for i in range(1, 6)]
    assert buttons(calls[1])[0] == "c:officer:1"
    assert buttons(calls[2]) == []  # the comment is typed
    assert await answers(running.db, CODE) == ("zalo", simulated(["5", "hai long", "Nhanh gọn"]))


async def test_a_survey_token_links_the_chat_too(running: Running) -> None:
    from bot.conversation.surveys import send_survey

    token = (await send_survey(running.db, running.settings, CODE2, now=datetime.now(UTC))).token
    await running.post(text_event("m1", token))
    assert CODE2 in running.zalo.texts()[0]
    async with running.db.transaction() as s:
        survey = await s.scalar(select(Survey).where(Survey.token == token))
        address = await s.scalar(select(ContactAddress).where(ContactAddress.channel == "zalo"))
    assert survey.contact_id == address.contact_id and address.address == USER


async def test_forged_events_are_refused_and_change_nothing(running: Running) -> None:
    body, headers = sign(text_event("m1", CODE), secret="not-the-oa-secret")
    assert await running.post({}, body=body, headers=headers) == 401
    body, headers = sign(text_event("m1", CODE))
    assert await running.post({}, body=body.replace(b"m1", b"m9"), headers=headers) == 401
    assert await running.post({}, body=body, headers={}) == 401
    assert running.zalo.calls == []
    assert await running.post(text_event("m1", CODE)) == 200  # not recorded as seen by the forgeries
    assert len(running.zalo.sent()) == 1


async def test_a_signed_event_40_days_old_is_refused_and_changes_nothing(running: Running, caplog) -> None:
    """A captured delivery replayed later is signed and well formed, but its stamp is outside
    HAILONG_ZALO_EVENT_MAX_AGE_SECONDS (600 s): refused like a forgery, nothing applied, one line logged."""
    caplog.set_level(logging.INFO)
    old = text_event("m1", CODE, ts=stamp(-40 * 24 * 3600))
    later = text_event("m2", CODE, ts=stamp(3600))  # a stamp an hour ahead of our clock
    before = await zalo_facts(running.db)
    assert await running.post(old) == 401
    assert await running.post(later) == 401
    assert await zalo_facts(running.db) == before and running.zalo.calls == []
    async with running.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(InboundMessage)) == 0
    refusals = [r for r in caplog.records if "zalo event refused" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.WARNING] * 2  # once per refused delivery
    logged = "\n".join(r.getMessage() for r in refusals)
    assert USER not in logged and CODE not in logged and "m1" not in logged
    assert await running.post(text_event("m1", CODE)) == 200  # the same event stamped now is applied
    assert len(running.zalo.sent()) == 1


async def test_redelivered_events_act_once(running: Running) -> None:
    events = [text_event("m1", CODE), text_event("m2", "c:overall:4"), text_event("m3", "c:officer:1"),
              text_event("m4", "bỏ qua")]
    for event in events:
        await running.post(event)
    once = list(running.zalo.calls)
    for _ in range(2):
        for event in events:
            assert await running.post(event) == 200
    assert running.zalo.calls == once
    await asyncio.gather(*(running.post(text_event("m9", "hello")) for _ in range(3)))
    assert len(running.zalo.calls) == len(once) + 1
    async with running.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Evaluation)) == 1


async def test_a_button_of_an_earlier_question_is_refused(running: Running) -> None:
    await running.post(text_event("m1", CODE))
    await running.post(text_event("m2", "c:overall:5"))
    await running.post(text_event("m3", "c:overall:1"))
    assert running.zalo.texts()[-1].startswith("Câu hỏi này đã được trả lời")


async def test_follow_welcomes_and_unfollow_marks_the_address_unreachable(running: Running) -> None:
    await running.post(follow_event())
    assert running.zalo.texts()[0].startswith("Xin chào!")
    await running.post(text_event("m1", CODE))
    await running.post(follow_event("unfollow", ts=stamp(100)))
    async with running.db.transaction() as s:
        address = await s.scalar(select(ContactAddress).where(ContactAddress.channel == "zalo"))
    assert address.unreachable_at is not None


async def invite_on_plan(db, settings: Settings, code: str, plan: list[str], *, now: datetime) -> int:
    """The dossier's survey with its invitation due now on the agency's channel plan (the timers
    API v1 records when a dossier is returned); the app's scheduler sends it."""
    async with db.transaction() as s:
        agency = await find_agency(s, "000.17.22.H56")
        agency_settings = await update_agency_settings(s, agency.id, ALWAYS | {"channel_plan": plan})
    invitation = await send_survey(db, settings, code, now=now)
    async with db.transaction() as s:
        await schedule_survey(s, survey_id=invitation.survey_id, agency_settings=agency_settings, returned_at=now,
                              expires_at=invitation.expires_at, now=now)
    return invitation.survey_id


@pytest.mark.parametrize("window_hours", [1, 3])
async def test_the_reply_window_setting_decides_between_the_oa_and_the_plans_next_channel(
    db, database_url: str, zalo: FakeZalo, window_hours: int,
) -> None:
    """The citizen follows the OA and last wrote two hours ago; the plan is OA chat, then ZNS.
    ZALO_REPLY_WINDOW_HOURS=1: the OA may not write, so the invitation goes by ZNS; =3: by the OA."""
    settings = zalo_settings(database_url, zalo, zalo_reply_window_hours=window_hours)
    await seed(db)
    now = datetime.now(UTC)
    async with db.transaction() as s:
        phone = await find_contact_address(s, "sms", PHONE)
        s.add(ContactAddress(contact_id=phone.contact_id, channel="zalo", address=USER, created_at=T0))
        await note_activity(s, channel="zalo", address=USER, now=now - timedelta(hours=2), wrote=True, following=True)
    app = create_app(settings)
    async with serve_app_here(app):
        survey_id = await invite_on_plan(db, settings, CODE, ["zalo", "zalo_zns"], now=now)
        await app[SCHEDULER].run_due()
        if window_hours == 1:
            expected = [("zalo", "failed", "invite", "outside_window"), ("zalo_zns", "sent", "invite", None)]
        else:
            expected = [("zalo", "sent", "invite", None)]
        assert await settled(db, expected) == expected
    templates = zalo.sent("/message/template")
    if window_hours == 1:
        assert zalo.sent() == []  # the OA stayed silent
        assert [c.body["tracking_id"] for c in templates] == [str(survey_id)]
        assert templates[0].body["phone"] == "84912345678"
    else:
        [call] = zalo.sent()
        assert call.body["recipient"] == {"user_id": USER} and "/s/" in call.body["message"]["text"]
        assert templates == []


async def test_an_invalid_token_is_refreshed_once_and_the_rotated_pair_stored(running: Running) -> None:
    async with running.db.transaction() as s:
        await save_tokens(s, "zalo_oa", TokenPair("AT-0", "RT-1", T0 + timedelta(days=900)), now=T0)
    await running.post(text_event("m1", CODE))
    assert [(c.path, c.token) for c in running.zalo.calls] == [
        ("/v3.0/oa/message/cs", "AT-0"), ("/v4/oa/access_token", None), ("/v3.0/oa/message/cs", "AT-2")]
    async with running.db.transaction() as s:
        pair = await load_tokens(s, "zalo_oa")
    assert (pair.access_token, pair.refresh_token) == ("AT-2", "RT-2")


async def test_two_concurrent_refreshes_use_the_refresh_token_once(running: Running, database_url: str) -> None:
    """Each worker has its own engine, as two processes would: only the database's lock is shared
    (on SQLite one Database's in-process writer lock would serialise them and prove nothing)."""
    from bot.conversation.zalo_tokens import DbTokens

    running.zalo.refresh_delay = 0.3
    async with running.db.transaction() as s:
        await save_tokens(s, "zalo_oa", TokenPair("AT-0", "RT-1", T0 + timedelta(days=900)), now=T0)
    async with open_database(database_url) as a, open_database(database_url) as b, aiohttp.ClientSession() as http:
        assert a.writer is not b.writer  # nothing in-process is shared between the two
        workers = [DbTokens(d, running.settings, http) for d in (a, b)]
        fresh = await asyncio.gather(*(w.refresh("AT-0") for w in workers))
    assert fresh == ["AT-2", "AT-2"]
    refreshes = running.zalo.sent("/v4/oa/access_token")
    assert [c.body["refresh_token"] for c in refreshes] == ["RT-1"]


@pytest.fixture
async def hosts() -> AsyncIterator[tuple[FakeZalo, FakeZalo, FakeZalo]]:
    """Zalo's OA, OAuth and ZNS hosts on three ports, each speaking only its own API."""
    fakes = FakeZalo.hosts()
    for fake in fakes:
        await fake.start()
    yield fakes
    for fake in fakes:
        await fake.stop()


async def test_each_zalo_api_is_called_on_its_own_host(db, database_url: str, hosts) -> None:
    """OA messages, the token refresh, ZNS invitations and rating/get each reach the host of their
    setting (a swapped base URL meets a host that answers 404 to the others' paths)."""
    from bot.cli.zalo import zalo_reconcile

    oa, oauth, zns = hosts
    assert len({oa.base_url, oauth.base_url, zns.base_url}) == 3
    settings = zalo_settings(database_url, oa, zalo_oauth_base_url=oauth.base_url,
                             zalo_zns_api_base_url=zns.base_url)
    await seed(db)
    async with db.transaction() as s:  # a stored token Zalo no longer takes: -124, refresh, retry
        await save_tokens(s, "zalo_oa", TokenPair("AT-0", "RT-1", T0 + timedelta(days=900)), now=T0)
    app = create_app(settings)
    async with serve_app_here(app) as url:
        assert await Running(url, oa, db, app, settings).post(text_event("m1", CODE)) == 200
        survey_id = await invite_on_plan(db, settings, CODE2, ["zalo_zns"], now=datetime.now(UTC))
        await app[SCHEDULER].run_due()
        expected = [("zalo", "sent", None, None), ("zalo_zns", "sent", "invite", None)]
        assert await settled(db, expected) == expected
    zns.ratings = [{"rate": 5, "msgId": "zz1", "trackingId": str(survey_id), "note": "", "feedbacks": []}]
    assert await zalo_reconcile(settings, days=7) == {"recorded": 1}

    assert [(c.path, c.token) for c in oa.calls] == [("/v3.0/oa/message/cs", "AT-0"), ("/v3.0/oa/message/cs", "AT-2")]
    assert [(c.path, c.body["refresh_token"], c.secret_key) for c in oauth.calls] == [
        ("/v4/oa/access_token", "RT-1", APP_SECRET)]
    assert [(c.path, c.token) for c in zns.calls] == [("/message/template", "AT-2"), ("/rating/get", "AT-2")]
    assert zns.calls[0].body["tracking_id"] == str(survey_id) and zns.calls[1].body["template_id"] == "tpl-9"


async def stored(db, code: str) -> tuple[dict, dict, Survey, Dossier]:
    """Every column of the dossier's evaluation, its answers (column by column), its survey and dossier."""
    async with db.transaction() as s:
        dossier = await s.scalar(select(Dossier).where(Dossier.code == code))
        evaluation = await s.scalar(select(Evaluation).where(Evaluation.dossier_id == dossier.id))
        rows = await evaluation_answers(s, evaluation.id)
        survey = await s.scalar(select(Survey).where(Survey.dossier_id == dossier.id)
                                .execution_options(populate_existing=True))
    answers = {a.field: _columns(a, leave_out=("id", "evaluation_id", "field")) for a in rows}
    assert len(answers) == len(rows)
    return _columns(evaluation), answers, survey, dossier


def real_only(header: dict, answers: dict, survey: Survey, dossier: Dossier, before: datetime,
              after: datetime) -> None:
    """What only a real evaluation has: its ids, when it was completed, the dossier's computed points."""
    assert before <= header.pop("completed_at") <= after
    assert header == {"id": header["id"], "dossier_id": dossier.id, "survey_id": survey.id,
                      "agency_id": dossier.agency_id, "officer_id": None}
    # Computed from the dossier's dates (received 18/11, due 20/11, returned 19/11: early), not asked.
    assert answers.pop("indicator.1") == {"value": 2, "level": None, "text": None, "items": None}


async def test_zns_rating_and_oa_conversation_give_evaluations_shaped_like_the_simulators(
    running: Running,
) -> None:
    """Both evaluations against `hailong simulate quick --channel zalo --json` given the same
    answers, field by field; what legitimately differs is named and checked on its own."""
    from bot.conversation.zalo_tokens import DbTokens
    from bot.conversation.zns import FLOW_ID, ZnsInvitations, invite_by_zns
    from channels.zalo_zns import ZnsSender

    before = datetime.now(UTC)
    async with aiohttp.ClientSession() as http:
        zns = ZnsSender(http, running.zalo.base_url, DbTokens(running.db, running.settings, http), "tpl-9")
        sender = ZnsInvitations(running.db, running.settings, zns)
        invite = await invite_by_zns(running.db, running.settings, sender, CODE2, now=datetime.now(UTC))
    [call] = running.zalo.sent("/message/template")
    assert call.body == {"phone": "84912345678", "template_id": "tpl-9",
                         "template_data": {"dossier_code": CODE2}, "tracking_id": str(invite.survey_id)}
    for event in [text_event("m1", CODE), text_event("m2", "c:overall:2"), text_event("m3", "c:officer:3"),
                  text_event("m4", "bỏ qua")]:
        await running.post(event)
    feedback = feedback_event("zns-msg-1", 4, None, "Cán bộ nhiệt tình",
                              ("Hướng dẫn không rõ ràng", "Phải chờ lâu"))
    assert await running.post(feedback) == 200
    assert await running.post(feedback) == 200  # redelivered: still one evaluation
    after = datetime.now(UTC)
    schema = load_schema()
    compared = ("flow", "lang", "schema_version", "channel", "status")

    # The OA conversation: the simulator's record, header and answers.
    record = simulate_json("quick", lang="vi", channel="zalo", lines=["2", "khong hai long", "bỏ qua"],
                           context=SAMPLE_DOSSIER | {"dossier_code": CODE})
    header, oa, survey, dossier = await stored(running.db, CODE)
    assert {"flow": header.pop("flow_id"), "lang": header.pop("language"),
            "schema_version": header.pop("schema_version"), "channel": header.pop("channel"),
            "status": survey.status} == {k: record[k] for k in compared}
    assert record["channel"] == "zalo" and record["status"] == "completed"
    # The revision the survey pinned when it started (0: the shipped file) is the simulator's version.
    assert header.pop("flow_revision") == survey.flow_revision == 0
    assert record["flow_version"] == load_flow("quick", schema).version
    real_only(header, oa, survey, dossier, before, after)
    assert oa == record["answers"]

    # The ZNS rating: the same header but for the flow (Zalo's template is not a flow file).
    record = simulate_json("quick", lang="vi", channel="zalo", lines=["4", "hai long", "bỏ qua"],
                           context=SAMPLE_DOSSIER | {"dossier_code": CODE2})
    header, zns, survey, dossier = await stored(running.db, CODE2)
    assert {"lang": header.pop("language"), "schema_version": header.pop("schema_version"),
            "channel": header.pop("channel"), "status": survey.status} == {
        k: record[k] for k in compared if k != "flow"}
    # Differs by design: the flow is the template's name, revision 0 (no flow file, no version);
    # the channel is "zalo" on both sides (the schema's channels have no "zalo_zns"; only the
    # outbox row of the invitation is on "zalo_zns").
    assert (header.pop("flow_id"), header.pop("flow_revision")) == (FLOW_ID, 0)
    assert record["flow"] == "quick" and record["flow_version"] == load_flow("quick", schema).version
    assert "zalo_zns" not in schema.channel_ids() and survey.channel == "zalo"
    real_only(header, zns, survey, dossier, before, after)
    # The answers: the rating's fields are schema fields, each answer with the simulator's columns;
    # the overall level is the simulator's for the same 4 stars. The template asks no officer
    # question; the flow asks no reasons and "bỏ qua" skipped its comment.
    assert zns["satisfaction.overall"] == record["answers"]["satisfaction.overall"]
    assert set(record["answers"]) - set(zns) == {"satisfaction.officer_attitude"}
    assert set(zns) - set(record["answers"]) == {"reasons", "comment"}
    assert all(schema.field(name) is not None for name in zns)
    assert {tuple(a) for a in (*zns.values(), *record["answers"].values())} == {("value", "level", "text", "items")}
    assert zns["reasons"] == {"value": None, "level": None, "text": None, "items": ["unclear_guidance", "other"]}
    assert set(zns["reasons"]["items"]) <= {o.code for o in schema.reasons}
    assert zns["comment"] == {"value": None, "level": None, "text": "Cán bộ nhiệt tình\nPhải chờ lâu", "items": None}


async def test_reconcile_pulls_the_ratings_the_webhook_missed(running: Running) -> None:
    from bot.cli.zalo import zalo_reconcile
    from bot.conversation.surveys import send_survey

    invitation = await send_survey(running.db, running.settings, CODE2, now=datetime.now(UTC))
    running.zalo.ratings = [{"rate": 5, "msgId": "zz1", "trackingId": str(invitation.survey_id),
                             "note": "", "feedbacks": [], "submitDate": "1764039600000"},
                            {"rate": 3, "msgId": "zz2", "trackingId": "999999", "note": "", "feedbacks": []}]
    assert await zalo_reconcile(running.settings, days=7) == {"recorded": 1, "unknown": 1}
    assert await zalo_reconcile(running.settings, days=7) == {"duplicate": 2}
    _, zns = await answers(running.db, CODE2)
    assert zns == {"satisfaction.overall": {"value": 5, "level": 2, "text": None, "items": None}}


async def test_no_token_user_id_or_phone_in_the_logs(running: Running, caplog) -> None:
    caplog.set_level(logging.INFO)
    await running.post(text_event("m1", CODE))
    await running.post(feedback_event("zns-x", 5, "12345"))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    for secret in ("AT-1", "RT-1", USER, PHONE, "84912345678", OA_SECRET):
        assert secret not in logged


def test_reconcile_without_zalo_keys_says_which_are_missing(sqlite_cli) -> None:
    result = sqlite_cli("zalo", "reconcile")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "ZALO_APP_ID" in result.stdout + result.stderr


async def test_the_zns_sender_of_the_outbox_uses_the_agency_template_and_finds_the_survey(
    running: Running,
) -> None:
    from bot.conversation.surveys import send_survey
    from storage import find_agency, update_agency_settings

    async with running.db.transaction() as s:
        agency = await find_agency(s, "000.17.22.H56")
        await update_agency_settings(s, agency.id, {"zalo_zns_template_id": "tpl-agency"})
    invitation = await send_survey(running.db, running.settings, CODE, now=datetime.now(UTC))
    sender = running.app[SENDERS]["zalo_zns"]
    queued = Outbound(ChannelName.ZALO, PHONE, "Mời đánh giá …")  # as the dispatcher builds it: no reference
    result = await sender.send(queued)
    assert (result.delivery, result.provider_message_id) == (Delivery.SENT, "zns-msg-1")
    [call] = running.zalo.sent("/message/template")
    assert call.body == {"phone": "84912345678", "template_id": "tpl-agency",
                         "template_data": {"dossier_code": CODE}, "tracking_id": str(invitation.survey_id)}
    nobody = await sender.send(Outbound(ChannelName.ZALO, "+84987654321", "…"))
    assert (nobody.delivery, nobody.error) == (Delivery.FAILED, "no_survey")
    # The rating names only the msg_id: the survey is found through the recorded message.
    await running.post(feedback_event("zns-msg-1", 5, None))
    assert (await answers(running.db, CODE))[1]["satisfaction.overall"]["level"] == 2


# --- the event id and the turn commit together (issue #7, point 4) -----------------------



async def facts(db) -> tuple:
    """What an event can change: ids seen, queued answers, evaluations, sessions, surveys."""
    async with db.transaction() as s:
        ids = sorted(await s.scalars(select(InboundMessage.provider_message_id)))
        outbox = await s.scalar(select(func.count()).select_from(OutboxMessage))
        evaluations = await s.scalar(select(func.count()).select_from(Evaluation))
        sessions = (await s.execute(select(SurveySession.survey_id, SurveySession.version, SurveySession.status)
                                    .order_by(SurveySession.survey_id))).all()
        surveys = (await s.execute(select(Survey.id, Survey.status).order_by(Survey.id)
                                   .execution_options(populate_existing=True))).all()
    return ids, outbox, evaluations, sessions, surveys


async def test_a_failed_oa_turn_records_no_event_id_so_its_redelivery_is_applied(running: Running) -> None:
    for event in [text_event("m1", CODE), text_event("m2", "c:overall:2"), text_event("m3", "c:officer:3")]:
        assert await running.post(event) == 200
    sent = len(running.zalo.sent())
    await break_alert_rule(running.db, True)
    before = await facts(running.db)
    status = await running.post(text_event("m4", "bỏ qua"))
    assert await facts(running.db) == before  # neither the msg_id nor any part of the turn
    assert status == 500  # not acknowledged: Zalo delivers it again
    assert "m4" not in before[0] and len(running.zalo.sent()) == sent
    await break_alert_rule(running.db, False)  # repaired
    assert await running.post(text_event("m4", "bỏ qua")) == 200  # the redelivery is applied
    after = await facts(running.db)
    assert "m4" in after[0] and after[2] == 1 and len(running.zalo.sent()) == sent + 1
    assert await answers(running.db, CODE) == ("zalo", simulated(["2", "khong hai long", "bỏ qua"]))
    assert await running.post(text_event("m4", "bỏ qua")) == 200  # replayed after success: nothing changes
    assert await facts(running.db) == after and len(running.zalo.sent()) == sent + 1


async def test_a_failed_zns_rating_records_no_event_id_so_its_redelivery_is_applied(running: Running) -> None:
    from bot.conversation.surveys import send_survey

    invitation = await send_survey(running.db, running.settings, CODE2, now=datetime.now(UTC))
    rating = feedback_event("zns-msg-7", 5, str(invitation.survey_id))
    await break_alert_rule(running.db, True)
    before = await facts(running.db)
    status = await running.post(rating)
    assert await facts(running.db) == before and "feedback:zns-msg-7" not in before[0]
    assert status == 500
    await break_alert_rule(running.db, False)
    assert await running.post(rating) == 200
    after = await facts(running.db)
    assert "feedback:zns-msg-7" in after[0] and after[2] == 1 and (invitation.survey_id, "completed") in after[4]
    assert await running.post(rating) == 200
    assert await facts(running.db) == after
    assert running.zalo.calls == []  # a rating is answered by nobody


# --- every follow, unfollow and rating replayed three times (issue #6) --------------------


async def zalo_facts(db) -> tuple:
    """`facts` and what follow and unfollow change: the address's reachability and its activity."""
    async with db.transaction() as s:
        addresses = (await s.execute(
            select(ContactAddress.channel, ContactAddress.address, ContactAddress.unreachable_at)
            .order_by(ContactAddress.id).execution_options(populate_existing=True))).all()
        activity = (await s.execute(
            select(AddressActivity.channel, AddressActivity.address, AddressActivity.last_inbound_at,
                   AddressActivity.following, AddressActivity.updated_at)
            .order_by(AddressActivity.id).execution_options(populate_existing=True))).all()
    return await facts(db), addresses, activity


async def test_follow_unfollow_and_ratings_replayed_three_times_act_once(running: Running) -> None:
    invitation = await send_survey(running.db, running.settings, CODE2, now=datetime.now(UTC))
    events = [follow_event(), text_event("m1", CODE), follow_event("unfollow", ts=stamp(100)),
              follow_event(ts=stamp(200)), feedback_event("zns-msg-5", 3, str(invitation.survey_id), "Chậm")]
    for event in events:
        before = await zalo_facts(running.db)
        assert await running.post(event) == 200
        after, calls = await zalo_facts(running.db), list(running.zalo.calls)
        assert after != before, event["event_name"]
        for _ in range(2):  # the second and third deliveries change nothing and send nothing
            assert await running.post(event) == 200
            assert await zalo_facts(running.db) == after and running.zalo.calls == calls
    final = after
    _, addresses, activity = final
    assert [(a.channel, a.unreachable_at) for a in addresses if a.channel == "zalo"] == [("zalo", None)]
    assert [a.following for a in activity] == [True]
    assert len(running.zalo.texts()) == 3  # two welcomes and the first question
    for _ in range(2):  # the whole history again, the old unfollow included: still followed, reachable
        for event in events:
            assert await running.post(event) == 200
    assert await zalo_facts(running.db) == final and running.zalo.calls == calls
    again = follow_event(ts=stamp(300))
    statuses = await asyncio.gather(*(running.post(again) for _ in range(3)))
    assert statuses == [200] * 3 and len(running.zalo.texts()) == 4  # three at once: one welcome
    assert (await answers(running.db, CODE2))[1]["satisfaction.overall"]["value"] == 3
