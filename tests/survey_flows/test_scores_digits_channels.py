"""Issue 12, on every channel: what a person presses or types on a 5-level or star scale is read as the
button with that label, as each channel really shows and sends it back (Telegram and Zalo buttons, the
numbered lines of an SMS or a typed chat reply, the web and kiosk form)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flows_testkit import flow_named

from bot.web.screens import reply_of
from channels import telegram, zalo
from channels.contract import ChannelName, Choice, Outbound
from channels.sms import sms_text
from survey_flows import ChoiceReply, Reply, Step, TextReply, choices_for
from survey_flows.replies import interpret

NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)


def _read(step: Step, reply: Reply | None) -> tuple[int | None, int | None]:
    assert reply is not None
    answer = interpret(step, reply).answer
    assert answer is not None
    return answer.value, answer.level


def _outbound(channel: ChannelName, step: Step) -> Outbound:
    return Outbound(channel, "1", "?", tuple(Choice(c, label) for c, label in choices_for(step, "vi")), step=step.id)


def _telegram(step: Step, label: str) -> Reply:
    [call] = telegram.render(_outbound(ChannelName.TELEGRAM, step), step=step.id)
    [data] = [row[0]["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"]
              if row[0]["text"] == label]
    pressed_step, code = telegram.parse_callback_data(data)
    assert pressed_step == step.id and code is not None
    return ChoiceReply(code)


def _zalo(step: Step, label: str) -> Reply:
    request = zalo.render(_outbound(ChannelName.ZALO, step))
    buttons = request.json["message"]["attachment"]["payload"]["buttons"]
    [payload] = [b["payload"] for b in buttons if b["title"] == label]
    event = {"event_name": "user_send_text", "sender": {"id": "u1"}, "message": {"text": payload, "msg_id": "m1"}}
    [item] = zalo.parse_event(event, now=NOW)
    assert item.step == step.id and item.inbound.choice is not None
    return ChoiceReply(item.inbound.choice)


def _sms(step: Step, label: str) -> Reply:
    """The person types the number printed before the label on its line."""
    lines = sms_text("?", _outbound(ChannelName.SMS, step).choices, unicode=True).splitlines()
    [number] = [line.split(". ", 1)[0] for line in lines[1:] if line.split(". ", 1)[1] == label]
    return TextReply(number)


def _web(step: Step, label: str, flow_id: str) -> Reply | None:
    [code] = [c for c, shown in choices_for(step, "vi") if shown == label]  # the radio's value (bot/web/screens)
    return reply_of(flow_named(flow_id), step.id, {"choice": code}, [])


@pytest.mark.parametrize(("flow_id", "step_id", "label", "value", "level"), [
    ("sat5-required", "overall", "Rất hài lòng", 5, 2),
    ("sat5-required", "overall", "Hài lòng", 4, 1),
    ("sat5-required", "overall", "Bình thường", 3, 0),
    ("sat5-required", "overall", "Rất không hài lòng", 1, 0),
    ("quick", "overall", "Rất tốt", 5, 2),
    ("quick", "overall", "Tốt", 4, 1),
    ("quick", "overall", "Kém", 1, 0),
    ("nd61-standard", "overall", "Rất hài lòng", 2, 2),
    ("nd61-standard", "overall", "Không hài lòng", 0, 0),
])
def test_every_channel_reads_the_label_the_person_chose(flow_id: str, step_id: str, label: str, value: int,
                                                        level: int) -> None:
    step = flow_named(flow_id).step(step_id)
    assert _read(step, TextReply(label)) == (value, level)  # the label typed in full
    for channel, reply in (("telegram", _telegram(step, label)), ("zalo", _zalo(step, label)),
                           ("sms", _sms(step, label)), ("web/kiosk", _web(step, label, flow_id))):
        assert _read(step, reply) == (value, level), channel
