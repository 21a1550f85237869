"""The conversation service: engine turns saved with their session, outbox and evaluation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.common.errors import DossierAlreadyEvaluated
from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from storage import (
    AnswerIn,
    Evaluation,
    OutboxMessage,
    Survey,
    evaluation_answers,
    find_survey,
    record_evaluation,
    upsert_agency,
    upsert_dossier,
)
from survey_flows import ChoiceReply, ExpireReply, TextReply, load_schema

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=5)
        return self.now


@pytest.fixture
async def survey(db) -> Survey:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=T0)
    settings = load_settings(env_file=None, default_flow="quick")
    invitation = await send_survey(db, settings, CODE, now=T0)
    async with db.transaction() as s:
        return await find_survey(s, token=invitation.token)


async def _status(db, survey_id: int) -> str:
    async with db.transaction() as s:
        return (await s.get(Survey, survey_id)).status


async def test_a_completed_chat_writes_one_evaluation_with_its_answers(db, survey) -> None:
    talk = Conversations(db, load_schema(), clock=Clock())
    turn = await talk.begin(survey, channel="telegram", address="chat-1")
    assert turn.messages and turn.messages[0].choices
    assert CODE in turn.messages[0].text  # the flow's {dossier_code}, filled from the dossier
    assert await _status(db, survey.id) == "active"
    await talk.reply(survey, ChoiceReply("5"), address="chat-1")  # five stars
    await talk.reply(survey, TextReply("hai long"), address="chat-1")
    turn = await talk.reply(survey, TextReply("Nhanh gọn"), address="chat-1")
    assert str(turn.session.status) == "completed"
    assert await _status(db, survey.id) == "completed"
    async with db.transaction() as s:
        evaluation = await s.scalar(select(Evaluation).where(Evaluation.dossier_id == survey.dossier_id))
        answers = {a.field: a for a in await evaluation_answers(s, evaluation.id)}
        outbox = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.survey_id == survey.id))
    assert evaluation.channel == "telegram" and evaluation.schema_version == load_schema().version
    assert answers["indicator.1"].value == 2  # returned on the 19th, due on the 20th: early
    assert answers["satisfaction.overall"].level == 2
    assert answers["satisfaction.officer_attitude"].level == 1
    assert answers["comment"].text == "Nhanh gọn"
    assert outbox >= 4  # every question and the thank-you went to the outbox


async def test_a_dossier_evaluated_meanwhile_at_the_kiosk_keeps_the_first_evaluation(db, survey) -> None:
    talk = Conversations(db, load_schema(), clock=Clock())
    await talk.begin(survey, channel="web")
    async with db.transaction() as s:
        await record_evaluation(s, dossier_id=survey.dossier_id, agency_id=1, channel="kiosk",
                                schema_version="x", completed_at=T0, answers=[AnswerIn("satisfaction.overall", level=0)])
    for reply in ("1", "1", "bo qua"):
        turn = await talk.reply(survey, TextReply(reply))
    assert str(turn.session.status) == "completed"
    assert await _status(db, survey.id) == "duplicate"
    async with db.transaction() as s:
        rows = (await s.scalars(select(Evaluation).where(Evaluation.dossier_id == survey.dossier_id))).all()
    assert [e.channel for e in rows] == ["kiosk"]
    settings = load_settings(env_file=None)
    with pytest.raises(DossierAlreadyEvaluated):
        await send_survey(db, settings, CODE, now=T0)


async def test_opt_out_and_expiry_close_the_survey(db, survey) -> None:
    talk = Conversations(db, load_schema(), clock=Clock())
    await talk.begin(survey, channel="sms")
    turn = await talk.reply(survey, TextReply("HUY"))
    assert str(turn.session.status) == "opted_out"
    assert await _status(db, survey.id) == "opted_out"


async def test_expiry_comes_back_through_the_same_path(db, survey) -> None:
    talk = Conversations(db, load_schema(), clock=Clock())
    await talk.begin(survey, channel="zalo")
    await talk.reply(survey, TextReply("1"))
    turn = await talk.reply(survey, ExpireReply())
    assert str(turn.session.status) == "expired"
    assert await _status(db, survey.id) == "expired"
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Evaluation)) == 0


async def test_a_session_begun_before_an_upgrade_goes_on_with_the_new_texts(db, survey) -> None:
    """hailong was upgraded while a citizen was half-way: the shipped flow's version changed (new
    wording), its questions did not; the next answer goes on instead of failing on every redelivery."""
    from storage.surveys import read_session, write_session

    talk = Conversations(db, load_schema(), clock=Clock())
    await talk.begin(survey, channel="telegram", address="chat-1")
    async with db.transaction() as s:
        row = await read_session(s, survey.id)
        state = dict(row.state) | {"flow_version": "2000.1"}  # as an older release wrote it
        await write_session(s, survey_id=survey.id, channel="telegram", status=row.status, state=state,
                            now=T0, expected_version=row.version)
    turn = await talk.reply(survey, ChoiceReply("5"), address="chat-1")
    assert str(turn.session.status) == "active" and turn.session.step_id != "overall"  # answered, moved on
    assert turn.session.flow_version == talk.flow("quick").version
