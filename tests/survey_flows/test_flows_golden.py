"""Golden transcripts: every shipped flow (and the test-only flows) through happy, unhappy, invalid, opt-out, back, ...

Each scenario's events are compared to ``golden/<flow>/<scenario>.json``; run with
``HAILONG_UPDATE_GOLDEN=1`` to rewrite them after an intended change (then read the diff).
Structural asserts below make sure a rewrite cannot bless a broken transcript.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flows_testkit import TEST_FLOWS, env_at, flow_ids, flow_named

from survey_flows import (
    AnswerRecorded,
    AnswerSkipped,
    ChoiceReply,
    ExpireReply,
    Flow,
    MessageSent,
    Reply,
    Session,
    SurveyEnded,
    TextReply,
    evaluation_record,
    event_to_json,
    resume,
    shipped_flows,
    start,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HAILONG_UPDATE_GOLDEN") == "1"
CONTEXT = {"dossier_code": "000.17.22.H56-210531-0001", "procedure": "Cấp giấy phép xây dựng",
           "agency": "UBND phường Bến Nghé", "officer": "Nguyễn Văn An"}


def t(text: str) -> TextReply:
    return TextReply(text)


def c(code: str) -> ChoiceReply:
    return ChoiceReply(code)


X = ExpireReply()

# flow id -> scenario -> (start options, replies)
SCENARIOS: dict[str, dict[str, tuple[dict[str, str], list[Reply]]]] = {
    "nd61-standard": {
        "happy": ({}, [t("Rất hài lòng"), t("0"), c("1"), t("cả hai"), t("không")]),
        "unhappy": ({}, [t("khong hai long"), t("3 lần"), t("3"), t("chi mot trong hai"), t("dung"),
                         t("1, 3"), t("Phải đi lại nhiều lần mới xong")]),
        "invalid": ({}, [t("tuyệt vời"), t("7"), t("abc"), t("nhiều lắm"), t("1"), c("1"), c("9"), c("1"),
                         t("ừ"), t("cũng được")]),
        "opt_out": ({}, [t("2"), t("HỦY"), t("1")]),
        "back": ({}, [t("<"), t("1"), t("QUAY LAI"), t("3"), t("1"), t("ql"), t("2"), c("2"), c("1"),
                      c("2"), t("back"), c("1"), t("3"), t("bỏ qua")]),
        "help_and_dung": ({}, [t("HD"), t("?"), t("hai long"), t("dung"), t("1")]),
        "expired": ({}, [t("😍"), X, t("1"), X]),
        "sms_en": ({"lang": "en", "channel": "sms"},
                   [t("not satisfied"), t("2"), t("only the desk"), t("both"), t("no"), t("2 5"), t("skip")]),
    },
    "quick": {
        "happy": ({}, [t("⭐⭐⭐⭐⭐"), t("rat hai long"), t("Cán bộ rất nhiệt tình")]),
        "unhappy": ({}, [t("1 sao"), t("😡"), t("Chờ quá lâu, không ai hướng dẫn")]),
        "invalid": ({}, [t("6"), t("sáu"), t("hôm nay"), c("3"), t(""), t("bỏ qua")]),
        "opt_out": ({}, [t("4"), t("TU CHOI"), t("hello")]),
        "back": ({}, [t("3"), t("<"), t("5"), t("2"), t("QL"), t("QL"), t("QL"), t("2"), t("1"), t("khong")]),
        "help_and_dung": ({}, [t("trợ giúp"), t("bốn"), t("dung"), t("ok")]),
        "expired": ({"channel": "zalo"}, [t("4"), X]),
        "sms_en": ({"lang": "en", "channel": "sms"}, [t("4 stars"), t("satisfied"), t("skip")]),
    },
    # Test-only (tests/survey_flows/flows): the sat5 scale and a required comment that refuses "skip".
    "sat5-required": {
        "happy": ({}, [t("Rất hài lòng"), t("Cán bộ hướng dẫn tận tình")]),
        "unhappy": ({}, [t("rat ko hai long"), t("Phải chờ cả buổi sáng")]),
        "invalid": ({}, [t("tuyệt vời"), t("6"), t("abc"), t("bỏ qua"), t("không"), t("Dạ, chờ hơi lâu ạ")]),
        "opt_out": ({}, [t("2"), t("TỪ CHỐI"), t("1")]),
        "back": ({}, [t("5"), t("<"), t("hai long"), t("QUAY LAI"), t("Dạ bình thường ạ"), c("3"),
                      t("Hướng dẫn chưa rõ")]),
        "sms_en": ({"lang": "en", "channel": "sms"}, [t("very satisfied"), t("skip"), t("Quick and friendly")]),
    },
}


def reply_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, TextReply):
        return {"text": reply.text}
    if isinstance(reply, ChoiceReply):
        return {"code": reply.code}
    return {"expire": True}


def run(flow: Flow, options: dict[str, str], replies: list[Reply]) -> dict[str, Any]:
    sprint = start(flow, env_at(0), context=CONTEXT, **options)
    turns = [{"reply": None, "events": [event_to_json(e) for e in sprint.events]}]
    for turn, reply in enumerate(replies, 1):
        sprint = resume(flow, sprint.session, env_at(turn), reply)
        turns.append({"reply": reply_json(reply), "events": [event_to_json(e) for e in sprint.events]})
    return {"flow": flow.id, "start": options, "turns": turns, "session": sprint.session.to_json(),
            "record": evaluation_record(flow, sprint.session)}


CASES = [(fid, name) for fid, scenarios in SCENARIOS.items() for name in scenarios]


def test_every_shipped_flow_has_scenarios() -> None:
    assert set(SCENARIOS) == set(flow_ids()) == {*shipped_flows(), *TEST_FLOWS}
    expected = {"happy", "unhappy", "invalid", "opt_out", "back"}
    assert all(expected <= set(scenarios) for scenarios in SCENARIOS.values())


@pytest.mark.parametrize(("flow_id", "scenario"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
def test_golden_transcript(flow_id: str, scenario: str) -> None:
    flow = flow_named(flow_id)
    options, replies = SCENARIOS[flow_id][scenario]
    actual = run(flow, options, replies)
    path = GOLDEN / flow_id / f"{scenario}.json"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with HAILONG_UPDATE_GOLDEN=1"
    assert json.loads(json.dumps(actual)) == json.loads(path.read_text(encoding="utf-8"))


def replay(flow_id: str, scenario: str) -> tuple[Flow, list, Session]:
    flow = flow_named(flow_id)
    options, replies = SCENARIOS[flow_id][scenario]
    sprint = start(flow, env_at(0), context=CONTEXT, **options)
    events = list(sprint.events)
    for turn, reply in enumerate(replies, 1):
        sprint = resume(flow, sprint.session, env_at(turn), reply)
        events.extend(sprint.events)
    return flow, events, sprint.session


def ends(events: list) -> list[str]:
    return [e.status.value for e in events if isinstance(e, SurveyEnded)]


def asked(flow: Flow, events: list) -> list[str]:
    asking = {s.id for s in flow.steps if s.asks}
    return [e.step_id for e in events if isinstance(e, MessageSent) and e.step_id in asking]


@pytest.mark.parametrize("flow_id", sorted(SCENARIOS))
def test_happy_path_asks_at_most_five_questions_and_completes(flow_id: str) -> None:
    flow, events, session = replay(flow_id, "happy")
    assert ends(events) == ["completed"]
    assert len(set(asked(flow, events))) <= 5
    assert not [e for e in events if isinstance(e, AnswerSkipped)]
    assert "reasons" not in session.answers


@pytest.mark.parametrize("flow_id", sorted(SCENARIOS))
def test_unhappy_path_records_a_low_level_and_a_comment(flow_id: str) -> None:
    flow, events, session = replay(flow_id, "unhappy")
    assert ends(events) == ["completed"]
    assert session.answers["satisfaction.overall"].level == 0
    assert session.answers["comment"].text
    if flow.id == "nd61-standard":
        assert session.answers["reasons"].items == ("slow", "unclear_guidance")


@pytest.mark.parametrize("flow_id", sorted(SCENARIOS))
def test_invalid_replies_are_reasked_then_skipped(flow_id: str) -> None:
    flow, events, _ = replay(flow_id, "invalid")
    skipped = [e for e in events if isinstance(e, AnswerSkipped) and e.reason == "invalid"]
    assert skipped, "three invalid replies must skip the step"
    first = skipped[0].step_id
    reasks = [e for e in asked(flow, events) if e == first]
    assert len(reasks) == flow.max_attempts  # the question, then max_attempts - 1 hints


@pytest.mark.parametrize("flow_id", sorted(SCENARIOS))
def test_opt_out_ends_and_later_replies_change_nothing(flow_id: str) -> None:
    flow, events, session = replay(flow_id, "opt_out")
    assert ends(events) == ["opted_out"]
    assert session.status == "opted_out"
    assert isinstance(events[-1], MessageSent) and events[-1].step_id is None


@pytest.mark.parametrize("flow_id", sorted(SCENARIOS))
def test_going_back_withdraws_the_previous_answer(flow_id: str) -> None:
    _, events, _ = replay(flow_id, "back")
    assert [e for e in events if isinstance(e, AnswerSkipped) and e.reason == "back"]
    recorded = [e.field for e in events if isinstance(e, AnswerRecorded)]
    assert len(recorded) > len(set(recorded)), "a withdrawn answer is given again"
