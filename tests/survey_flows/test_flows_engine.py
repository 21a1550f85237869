"""Engine behaviour beyond the golden transcripts: JSON round-trip, ended sessions, errors."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from flows_testkit import START, env_at

from survey_flows import (
    AnswerRecorded,
    ChoiceReply,
    ExpireReply,
    Flow,
    MessageSent,
    Session,
    SessionStatus,
    SurveyEnded,
    TextReply,
    evaluation_record,
    resume,
    start,
)
from survey_flows.errors import SessionMismatch, UnknownChannel
from survey_flows.flow_loader import read_flow, shipped_flows


def walk(flow: Flow, replies: list, **options) -> Session:
    sprint = start(flow, env_at(0), **options)
    for turn, reply in enumerate(replies, 1):
        sprint = resume(flow, sprint.session, env_at(turn), reply)
    return sprint.session


@pytest.mark.parametrize("replies", [
    [],
    [TextReply("2")],
    [TextReply("khong hai long"), TextReply("x"), TextReply("1"), ChoiceReply("2")],
    [TextReply("3"), TextReply("0"), TextReply("1"), TextReply("1"), TextReply("co"), TextReply("1 2"),
     TextReply("Chờ lâu")],
    [TextReply("huy")],
])
def test_session_round_trips_through_json(nd61: Flow, replies: list) -> None:
    session = walk(nd61, replies, context={"dossier_code": "H56-250101-0001", "officer": "Lê Thị Bình"})
    data = json.loads(json.dumps(session.to_json()))
    assert data == session.to_json()
    again = Session.from_json(data)
    assert again == session
    assert again.to_json() == session.to_json()


def test_session_is_read_only(nd61: Flow) -> None:
    session = walk(nd61, [TextReply("1")], context={"agency": "UBND"})
    with pytest.raises(TypeError):
        session.answers["comment"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        session.context["agency"] = "x"  # type: ignore[index]


def test_start_stamps_time_and_ids(quick: Flow) -> None:
    sprint = start(quick, env_at(0), channel="telegram")
    assert sprint.session.started_at == START == sprint.session.updated_at
    assert [e.id for e in sprint.events] == ["t0-1"]
    assert all(e.at == START for e in sprint.events)
    assert sprint.session.step_id == "overall" and sprint.session.status == SessionStatus.ACTIVE


def test_resume_updates_time(quick: Flow) -> None:
    sprint = resume(quick, start(quick, env_at(0)).session, env_at(5), TextReply("5"))
    assert sprint.session.started_at == START
    assert sprint.session.updated_at == env_at(5).now


def test_button_labels_follow_language(quick: Flow) -> None:
    vi = start(quick, env_at(0)).events[0]
    en = start(quick, env_at(0), lang="en").events[0]
    assert isinstance(vi, MessageSent) and isinstance(en, MessageSent)
    assert [c.code for c in vi.choices] == ["1", "2", "3", "4", "5"]
    assert vi.choices[-1].label == "Rất tốt" and en.choices[-1].label == "Very good"


def test_unknown_language_falls_back_to_vietnamese(quick: Flow) -> None:
    sprint = start(quick, env_at(0), lang="fr")
    assert sprint.session.lang == "vi"


def test_sms_text_is_used_on_sms_only(quick: Flow) -> None:
    sms = start(quick, env_at(0), channel="sms", context={"dossier_code": "X-250101-0001"}).events[0]
    web = start(quick, env_at(0), channel="web", context={"dossier_code": "X-250101-0001"}).events[0]
    assert sms.text == "Cham diem ho so X-250101-0001: 1 (kem) den 5 (rat tot)?"
    assert web.text.startswith("Ông/Bà chấm mấy sao cho việc giải quyết hồ sơ X-250101-0001?")


def test_missing_placeholders_render_empty(nd61: Flow) -> None:
    first = start(nd61, env_at(0)).events[0]
    assert "{" not in first.text and "()" not in first.text and "  " not in first.text


def test_unknown_channel_is_refused(quick: Flow) -> None:
    with pytest.raises(UnknownChannel) as caught:
        start(quick, env_at(0), channel="fax")
    assert caught.value.code == "unknown_channel"


def test_ended_session_does_not_change(quick: Flow) -> None:
    ended = walk(quick, [TextReply("5"), TextReply("1"), TextReply("bỏ qua")])
    assert ended.status == SessionStatus.COMPLETED
    sprint = resume(quick, ended, env_at(9), TextReply("5"))
    assert sprint.session == ended
    assert len(sprint.events) == 1 and isinstance(sprint.events[0], MessageSent)
    assert sprint.events[0].text == "Khảo sát này đã kết thúc. Xin cảm ơn!"
    assert resume(quick, ended, env_at(9), ExpireReply()).events == ()


def test_expire_ends_an_active_session(quick: Flow) -> None:
    sprint = resume(quick, walk(quick, [TextReply("4")]), env_at(3), ExpireReply())
    assert sprint.session.status == SessionStatus.EXPIRED
    assert [type(e) for e in sprint.events] == [MessageSent, SurveyEnded]
    assert sprint.events[-1].status == "expired"


def test_a_flow_without_its_own_thanks_gets_the_catalog_one(quick: Flow) -> None:
    sprint = resume(quick, walk(quick, [TextReply("4"), TextReply("2")], lang="en"), env_at(3), TextReply("skip"))
    texts = [e.text for e in sprint.events if isinstance(e, MessageSent)]
    assert texts == ["Thank you for your evaluation!"]


def test_when_false_skips_silently(nd61: Flow) -> None:
    session = walk(nd61, [TextReply("1"), TextReply("0"), TextReply("1"), TextReply("1")])
    sprint = resume(nd61, session, env_at(9), TextReply("không"))
    assert [e.step_id for e in sprint.events if isinstance(e, MessageSent)] == ["thanks"]
    assert sprint.session.status == SessionStatus.COMPLETED


def test_help_does_not_count_as_an_attempt(quick: Flow) -> None:
    session = walk(quick, [TextReply("x"), TextReply("hd"), TextReply("y"), TextReply("?")])
    assert session.step_id == "overall" and session.attempts == 2


def test_resume_with_another_flow_version_is_refused(quick: Flow) -> None:
    session = start(quick, env_at(0)).session
    with pytest.raises(SessionMismatch):
        resume(replace(quick, version="2099.1"), session, env_at(1), TextReply("5"))


def test_evaluation_record(nd61: Flow) -> None:
    session = walk(nd61, [TextReply("3"), TextReply("2"), TextReply("2"), TextReply("1"), TextReply("có"),
                          TextReply("2 4"), TextReply("bỏ qua")], channel="zalo")
    record = evaluation_record(nd61, session)
    assert json.loads(json.dumps(record)) == record
    assert record == {
        "flow": "nd61-standard", "flow_version": nd61.version, "schema_version": "tt01-2018.1",
        "lang": "vi", "channel": "zalo", "status": "completed",
        "answers": {
            "indicator.3": {"value": 0, "level": None, "text": None, "items": None},
            "indicator.4": {"value": 1, "level": None, "text": None, "items": None},
            "indicator.6": {"value": 2, "level": None, "text": None, "items": None},
            "indicator.7": {"value": 0, "level": None, "text": None, "items": None},
            "reasons": {"value": None, "level": None, "text": None, "items": ["many_visits", "attitude"]},
            "satisfaction.overall": {"value": 0, "level": 0, "text": None, "items": None},
        },
    }


def test_recorded_events_match_the_session(nd61: Flow) -> None:
    sprint = start(nd61, env_at(0))
    recorded: dict[str, AnswerRecorded] = {}
    for turn, reply in enumerate([TextReply("2"), TextReply("1"), TextReply("3"), TextReply("3"), TextReply("2")], 1):
        sprint = resume(nd61, sprint.session, env_at(turn), reply)
        recorded.update({e.field: e for e in sprint.events if isinstance(e, AnswerRecorded)})
    assert {f: (e.value, e.level) for f, e in recorded.items()} == {
        f: (a.value, a.level) for f, a in sprint.session.answers.items()}


def test_a_required_text_is_not_skipped_by_skip_words(sat5_required: Flow, quick: Flow) -> None:
    session = walk(sat5_required, [TextReply("3"), TextReply("bỏ qua")], lang="en")
    assert session.step_id == "comment" and session.attempts == 1 and "comment" not in session.answers
    hints = [e.text.split("\n\n")[0] for e in resume(sat5_required, session, env_at(9), TextReply("skip")).events]
    assert hints == ["Please write your answer in a few words."]  # not "… or send SKIP"
    optional = resume(quick, walk(quick, [TextReply("4"), TextReply("2"), TextReply("")], lang="en"), env_at(9),
                      TextReply("..."))
    assert optional.events[0].text.startswith("Please write a few words, or send SKIP")
    done = resume(sat5_required, session, env_at(9), TextReply("Chờ lâu"))
    assert done.session.status == SessionStatus.COMPLETED
    assert evaluation_record(sat5_required, done.session)["answers"] == {
        "comment": {"value": None, "level": None, "text": "Chờ lâu", "items": None},
        "satisfaction.overall": {"value": 3, "level": 0, "text": None, "items": None},
    }


def asked(flow: Flow, replies: list, channel: str) -> list[str]:
    """The steps a session on `channel` stops at, replying `replies` in turn."""
    sprint = start(flow, env_at(0), channel=channel, context={"officer": "Lê Thị Bình"})
    seen = [str(sprint.session.step_id)]
    for turn, reply in enumerate(replies, 1):
        sprint = resume(flow, sprint.session, env_at(turn), reply)
        seen.append(str(sprint.session.step_id))
    assert sprint.session.status is SessionStatus.COMPLETED, seen
    return seen[:-1]


def test_the_kiosk_asks_only_the_steps_the_flow_marks(nd61: Flow) -> None:
    marked = [s.id for s in nd61.steps if s.kiosk]
    assert marked == ["overall", "officer_conduct", "reasons"]
    assert asked(nd61, [ChoiceReply("1"), ChoiceReply("2")], "kiosk") == ["overall", "officer_conduct"]
    low = asked(nd61, [ChoiceReply("3"), ChoiceReply("2"), ChoiceReply("1 2")], "kiosk")
    assert low == ["overall", "officer_conduct", "reasons"]  # the reasons still follow a low rating
    web = asked(nd61, [ChoiceReply("1"), TextReply("0"), ChoiceReply("1"), ChoiceReply("1"), ChoiceReply("2")], "web")
    assert web == ["overall", "contacts", "bodies", "published", "officer_conduct"]


def test_a_flow_marking_no_step_asks_its_satisfaction_steps_on_the_kiosk(quick: Flow) -> None:
    assert all(s.kiosk is None for s in quick.steps)
    assert asked(quick, [ChoiceReply("5"), ChoiceReply("1")], "kiosk") == ["overall", "officer"]
    assert asked(quick, [ChoiceReply("5"), ChoiceReply("1"), TextReply("bỏ qua")], "web") == ["overall", "officer", "comment"]


def test_the_kiosk_mark_is_true_or_false(schema) -> None:
    text = shipped_flows()["quick"].read_text(encoding="utf-8").replace("    scale: stars5\n", "    scale: stars5\n    kiosk: yes please\n", 1)
    flow, problems = read_flow(text, "quick.yaml", schema)
    assert flow is None or problems
    assert any("'kiosk' must be true or false" in p.message for p in problems), problems
    marked, problems = read_flow(text.replace("kiosk: yes please", "kiosk: false"), "quick.yaml", schema)
    assert problems == [] and marked is not None
    assert asked(marked, [ChoiceReply("1")], "kiosk") == ["officer"]  # the short set less the step marked false
