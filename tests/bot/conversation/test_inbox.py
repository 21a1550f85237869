"""The one inbound path: a Telegram press, a Zalo OA message, a two-way SMS and a ZNS rating,
each parsed from a real-shaped provider payload by its channel, applied by the same
`Inbox.apply`, give the same evaluation of the same dossier (nothing of ours is patched)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot.common.settings import load_settings
from bot.conversation.inbox import Applied, Inbox
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from channels import telegram, zalo
from channels.contract import ChannelName, Event, Inbound
from storage import Evaluation, Survey, evaluation_answers, upsert_agency, upsert_dossier
from survey_flows import load_schema
from tests.channels.test_channels_telegram import callback, message
from tests.channels.test_channels_zalo import feedback_event, text_event

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"
PHONE = "+84912345678"


def tg(update: dict) -> list[Event]:
    return telegram.events(telegram.parse_update(update, now=NOW))


def za(event: dict) -> list[Event]:
    return zalo.events(zalo.parse_event(event, now=NOW))


def sms(sid: str, body: str) -> list[Event]:
    return [Event.of(Inbound(ChannelName.SMS, "0912345678", f"twilio:{sid}", NOW, text=body))]


# (name, the channel the evaluation is filed under, the events given the survey's token and id)
CASES: list[tuple[str, str, Callable[[str, int], list[Event]]]] = [
    ("telegram press", "telegram", lambda token, _: [
        *tg(message(1, f"/start {token}", command=True)), *tg(callback(2, "c:overall:5", 101)),
        *tg(callback(3, "c:officer:1", 102)), *tg(message(4, "bỏ qua"))]),
    ("zalo oa message", "zalo", lambda token, _: [
        *za(text_event("m1", CODE)), *za(text_event("m2", "5")), *za(text_event("m3", "1")),
        *za(text_event("m4", "bỏ qua"))]),
    ("two-way sms", "sms", lambda token, _: [*sms("1", "5"), *sms("2", "1"), *sms("3", "bo qua")]),
    ("zns rating", "zalo", lambda token, survey_id: za(feedback_event("z1", 5, str(survey_id)))),
]


@pytest.mark.parametrize(("channel", "events"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_every_channel_goes_through_the_same_service_to_the_same_evaluation(db, channel, events) -> None:
    settings = load_settings(env_file=None, database_url="sqlite+aiosqlite://", default_flow="quick")
    talk = Conversations(db, load_schema(), clock=lambda: NOW)
    inbox = Inbox(db, settings, talk, clock=lambda: NOW)
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=NOW)
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=NOW)
    invitation = await send_survey(db, settings, CODE, now=NOW)
    async with db.transaction() as s:
        survey = await s.scalar(select(Survey))
        if channel == "sms":  # the SMS invitation went out: the number's reply begins the survey
            assert await talk.start_in(s, survey, channel="sms", address=PHONE) is None

    applied = [await inbox.apply(event) for event in events(invitation.token, survey.id)]
    again = [await inbox.apply(event) for event in events(invitation.token, survey.id)]

    assert set(applied) == {Applied.APPLIED} and set(again) == {Applied.DUPLICATE}
    async with db.transaction() as s:
        [evaluation] = (await s.scalars(select(Evaluation))).all()
        answers = {a.field: a for a in await evaluation_answers(s, evaluation.id)}
    assert evaluation.channel == channel
    overall = answers["satisfaction.overall"]
    assert (overall.value, overall.level) == (5, 2)  # "rất hài lòng": the top level
    # The dossier's computed points are the same whatever the channel: returned a day early.
    assert {f: answers[f].value for f in answers if f.startswith("indicator.")} == {"indicator.1": 2}
