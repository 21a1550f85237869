"""Flow revisions: drafts, publishing and rollback, the scored-change check, and surveys pinned to a revision."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.common.settings import load_settings
from bot.conversation.flows import shipped_source
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from bot.office.accounts import Principal, create_user
from bot.office.flow_editor import (
    EditorRefused,
    NeedsConfirmation,
    diff,
    list_flows,
    period_under_way,
    publish,
    revisions,
    save_draft,
    source_of,
)
from bot.office.flow_preview import MAX_STATE, previews, simulate
from storage import AuditEntry, Evaluation, FlowVersion, Survey, find_survey, upsert_agency, upsert_dossier
from survey_flows import ChoiceReply, TextReply, load_schema

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 2026-Q4's cut-off window runs 09-15 → 12-14
FIRST_DAY = datetime(2026, 12, 14, 18, 0, tzinfo=timezone.utc)  # 15 December 01:00 in Hà Nội: 2027-Q1 begins
AGENCY = "000.17.22.H56"
QUICK = shipped_source("quick") or ""
NEW_TEXT = QUICK.replace("Ông/Bà chấm mấy sao", "Xin Ông/Bà chấm mấy sao")
SCORED = QUICK.replace("scale: sat3", "scale: sat5")  # the officer question on another scale
SCHEMA = load_schema()
SETTINGS = load_settings(env_file=None, default_flow="quick")


@pytest.fixture
async def admin(db) -> Principal:
    user_id = await create_user(db, username="admin", password="mật khẩu đủ dài 2026", role="admin",
                                agency_code=None, actor="test", now=T0)
    return Principal(user_id, "admin", "Admin", "admin", None, None, None, "csrf")


async def _surveys(db, count: int) -> list[Survey]:
    async with db.transaction() as s:
        agency = await upsert_agency(s, code=AGENCY, name="UBND Phường 1", now=T0)
        for n in range(1, count + 1):
            await upsert_dossier(s, code=f"{AGENCY}-261118-000{n}", agency_id=agency.id, status=10,
                                 received_on=date(2026, 11, 18), due_on=date(2026, 11, 20),
                                 returned_on=date(2026, 11, 19), now=T0)
    out = []
    for n in range(1, count + 1):
        invitation = await send_survey(db, SETTINGS, f"{AGENCY}-261118-000{n}", now=T0)
        async with db.transaction() as s:
            out.append(await find_survey(s, token=invitation.token))
    return out


async def _audit(db, action: str) -> list[dict]:
    async with db.transaction() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [{"actor": r.actor, "subject": r.subject, **r.detail} for r in rows]


async def test_saving_checks_the_text_and_numbers_the_drafts(db, admin) -> None:
    with pytest.raises(EditorRefused) as refused:
        await save_draft(db, SCHEMA, flow_id="quick", source=QUICK.replace("scale: stars5", "scale: stars9"),
                         note="", who=admin, now=T0)
    assert refused.value.key == "flows_invalid"
    line = QUICK.splitlines().index("    scale: stars5") + 1
    assert [p.line for p in refused.value.problems] == [line] and "stars9" in refused.value.problems[0].message
    with pytest.raises(EditorRefused) as refused:  # a text of another flow
        await save_draft(db, SCHEMA, flow_id="quick", source=QUICK.replace("id: quick", "id: nd61-standard"),
                         note="", who=admin, now=T0)
    assert refused.value.problems[0].line == QUICK.splitlines().index("id: quick") + 1
    with pytest.raises(EditorRefused) as refused:
        await save_draft(db, SCHEMA, flow_id="quick", source=QUICK.replace("\n", "\r\n"), note="", who=admin, now=T0)
    assert refused.value.key == "flows_unchanged"  # the shipped text again, CRLF or not
    current, rows = await revisions(db, "quick")
    assert current == 0 and [r.revision for r in rows] == [0]  # nothing was saved: only the shipped file
    assert await save_draft(db, SCHEMA, flow_id="quick", source=NEW_TEXT, note="  câu  1 ", who=admin, now=T0) == 1
    assert await save_draft(db, SCHEMA, flow_id="quick", source=SCORED, note="", who=admin, now=T0) == 2
    current, rows = await revisions(db, "quick")
    assert current == 0 and [(r.revision, r.note, r.created_by, r.published_at) for r in rows] == [
        (2, "", "admin", None), (1, "câu 1", "admin", None), (0, "", None, None)]
    assert await source_of(db, "quick", 1) == (1, NEW_TEXT)
    assert [a["revision"] for a in await _audit(db, "flow.save")] == [1, 2]


async def test_publishing_and_rolling_back_move_the_current_revision(db, admin) -> None:
    await save_draft(db, SCHEMA, flow_id="quick", source=NEW_TEXT, note="", who=admin, now=T0)
    done = await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=1, who=admin, now=T0)
    assert (done.action, done.previous, done.scored_changed) == ("flow.publish", 0, False)
    assert (await source_of(db, "quick"))[0] == 1
    assert [f.current for f in await list_flows(db, SCHEMA) if f.flow_id == "quick"] == [1]
    with pytest.raises(EditorRefused) as refused:
        await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=1, who=admin, now=T0)
    assert refused.value.key == "flows_already_current"
    with pytest.raises(EditorRefused):
        await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=9, who=admin, now=T0)
    back = await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=0, who=admin, now=T0 + timedelta(minutes=1))
    assert back.action == "flow.rollback" and (await source_of(db, "quick")) == (0, QUICK)
    again = await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=1, who=admin, now=T0 + timedelta(minutes=2))
    assert again.action == "flow.rollback"  # published before: going back to it
    assert (await source_of(db, "quick"))[0] == 1
    assert [(a["revision"], a["previous"]) for a in await _audit(db, "flow.publish")] == [(1, 0)]
    assert [(a["revision"], a["previous"]) for a in await _audit(db, "flow.rollback")] == [(0, 1), (1, 0)]


async def test_a_scored_change_during_a_period_needs_confirmation(db, admin) -> None:
    assert period_under_way(T0.date(), SETTINGS) == (True, "2026-Q4")
    assert period_under_way(date(2026, 9, 15), SETTINGS) == (False, "2026-Q4")
    assert period_under_way(FIRST_DAY.date() + timedelta(days=1), SETTINGS) == (False, "2027-Q1")
    await save_draft(db, SCHEMA, flow_id="quick", source=SCORED, note="", who=admin, now=T0)
    with pytest.raises(NeedsConfirmation) as asked:
        await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=1, who=admin, now=T0)
    assert asked.value.period == "2026-Q4"
    assert (await source_of(db, "quick"))[0] == 0 and await _audit(db, "flow.publish") == []  # nothing changed
    done = await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=1, who=admin, now=T0, confirmed=True)
    assert done.scored_changed and done.confirmed
    [entry] = await _audit(db, "flow.publish")
    assert entry == {"actor": "user:admin", "subject": "flow:quick", "revision": 1, "previous": 0,
                     "scored_changed": True, "confirmed": True}
    # On the first day of a window nothing has been counted yet: no question asked.
    done = await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=0, who=admin, now=FIRST_DAY)
    assert done.scored_changed and not done.confirmed
    # A change of wording only never asks.
    await save_draft(db, SCHEMA, flow_id="quick", source=NEW_TEXT, note="", who=admin, now=T0)
    later = FIRST_DAY + timedelta(days=2)
    assert not (await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=2, who=admin, now=later)).scored_changed


async def test_a_survey_keeps_its_revision_and_its_evaluation_records_it(db, admin) -> None:
    before, after, third = await _surveys(db, 3)
    talk = Conversations(db, SCHEMA)
    turn = await talk.begin(before, channel="telegram")
    assert "Ông/Bà chấm mấy sao" in turn.messages[0].text and before.flow_revision == 0
    await save_draft(db, SCHEMA, flow_id="quick", source=NEW_TEXT, note="", who=admin, now=T0)
    await publish(db, SCHEMA, SETTINGS, flow_id="quick", revision=1, who=admin, now=T0)
    turn = await talk.begin(after, channel="web")
    assert turn.messages[0].text.startswith("Xin Ông/Bà chấm mấy sao") and after.flow_revision == 1
    for survey in (before, after):
        for reply in (ChoiceReply("5"), TextReply("1"), TextReply("bỏ qua")):
            turn = await talk.reply(survey, reply)
        assert str(turn.session.status) == "completed"
    # A survey object loaded before its session started learns its pin from the database.
    async with db.transaction() as s:
        stale = await find_survey(s, token=third.token)
    await talk.begin(third, channel="web")
    assert stale.flow_revision is None
    # A loaded revision is never read again: the turn works even if the stored text went bad.
    async with db.transaction() as s:
        await s.execute(update(FlowVersion).where(FlowVersion.revision == 1).values(source="broken: ["))
    assert str((await talk.reply(stale, ChoiceReply("4"))).session.status) == "active"
    async with db.transaction() as s:
        pinned = {i: r for i, r in await s.execute(select(Survey.id, Survey.flow_revision))}
        recorded = {i: r for i, r in await s.execute(select(Evaluation.survey_id, Evaluation.flow_revision))}
    assert pinned == {before.id: 0, after.id: 1, third.id: 1}
    assert recorded == {before.id: 0, after.id: 1}


async def test_previews_use_each_channel_renderer(db) -> None:
    flow = await _quick()
    [overall, officer, comment] = previews(flow, lang="vi", sms_price=850)
    assert overall.telegram.buttons == tuple(o.label.get("vi") for o in flow.steps[0].options)
    assert len(overall.zalo.buttons) == 5 and overall.zalo.text == overall.telegram.text
    assert overall.sms is not None and overall.sms.text.isascii() and "\n1. " in overall.sms.text
    assert overall.sms.segments == 1 and overall.sms.cost == 850 and overall.sms.encoding == "GSM-7"
    assert officer.telegram.buttons and comment.telegram.buttons == ()


async def _quick():
    from survey_flows import load_flow

    return load_flow("quick", SCHEMA)


async def test_the_simulator_runs_the_engine_and_distrusts_its_state(db) -> None:
    flow = await _quick()
    first = simulate(flow, state="", now=T0)
    assert first.active and len(first.buttons) == 5 and first.lines[0].who == "bot"
    second = simulate(flow, state=first.state, press="5", now=T0)
    assert [line.who for line in second.lines] == ["bot", "you", "note", "bot"]
    assert "satisfaction.overall" in second.lines[2].text and second.lines[1].text.startswith("5.")
    third = simulate(flow, state=second.state, reply="hài lòng", now=T0)
    assert "satisfaction.officer_attitude" in third.lines[-2].text
    forged = json.loads(second.state)
    forged["session"]["step_id"] = "no-such-step"
    for state in (json.dumps(forged), "{not json", "x" * (MAX_STATE + 1), json.dumps({"session": [], "lines": 3})):
        again = simulate(flow, state=state, reply="1", now=T0)
        assert again.restarted and [line.who for line in again.lines] == ["bot"]
    async with db.transaction() as s:
        assert (await s.scalar(select(Survey.id))) is None  # nothing was written anywhere


async def test_the_diff_lists_changed_lines_with_their_numbers(db, admin) -> None:
    await save_draft(db, SCHEMA, flow_id="quick", source=NEW_TEXT, note="", who=admin, now=T0)
    lines = await diff(db, "quick", 0, 1)
    changed = [(line.kind, line.old, line.new) for line in lines if line.kind in ("add", "del")]
    number = QUICK.splitlines().index(next(x for x in QUICK.splitlines() if "Ông/Bà chấm mấy sao" in x)) + 1
    assert changed == [("del", number, None), ("add", None, number)]
    assert await diff(db, "quick", 1, 1) == []
