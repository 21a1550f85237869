"""How a flow's questions look on each channel, and a chat with a flow that writes nothing.

The channel renderers are the real ones (channels/telegram.py, channels/zalo.py, the SMS rules of
channels/sms.py through bot/office/sms_templates.py); the simulator runs the real engine on the text
being edited. Its state travels in the page (a bounded, checked JSON field), never in the database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.office.sms_templates import SAMPLE_DOSSIER, flow_texts, row
from channels import telegram, zalo
from channels.contract import ChannelName, Choice, Outbound
from channels.registry import names
from survey_flows import (
    ChoiceReply,
    Env,
    Flow,
    FlowError,
    MessageSent,
    Session,
    SessionStatus,
    Sprint,
    StepKind,
    TextReply,
    choices_for,
    resume,
    start,
)
from survey_flows.i18n import fill
from survey_flows.terminal import render_event

SIM_CHANNELS = ("web", *names(lambda spec: spec.chat))
MAX_STATE = 16 * 1024  # characters of the simulator's JSON field
MAX_LINES = 60  # transcript lines kept (the oldest go first)
MAX_REPLY = 2000


def _sample() -> dict[str, str]:
    """The sample dossier the SMS templates are shown with (placeholders filled the same way)."""
    return SAMPLE_DOSSIER


@dataclass(frozen=True, slots=True)
class Bubble:
    """A chat message as the provider would show it: its text and its buttons."""

    text: str
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SmsPreview:
    """The SMS of a question (with any message before it): body, encoding, length, segments, cost."""

    text: str
    encoding: str
    units: int
    segments: int
    cost: Decimal


@dataclass(frozen=True, slots=True)
class StepPreview:
    """One step on Telegram, Zalo and SMS (None: sent with the next question's SMS)."""

    step_id: str
    kind: str
    asks: bool
    telegram: Bubble
    zalo: Bubble
    sms: SmsPreview | None


def _outbound(channel: ChannelName, flow: Flow, step_index: int, lang: str) -> Outbound:
    """What the engine would send for a step (its text for that channel and its choices)."""
    step = flow.steps[step_index]
    choices = tuple(Choice(code, label) for code, label in choices_for(step, lang))
    return Outbound(channel, "preview", fill(step.text_for(lang, channel.value), _sample()), choices,
                    step=step.id, multi=step.kind is StepKind.REASONS)


def _telegram(out: Outbound) -> Bubble:
    params = telegram.render(out, step=out.step, multi=out.multi)[0].params
    rows = params.get("reply_markup", {}).get("inline_keyboard", [])
    return Bubble(params["text"], tuple(button["text"] for line in rows for button in line))


def _zalo(out: Outbound) -> Bubble:
    body = zalo.render(out).json
    assert body is not None  # an OA message is always a JSON body
    message = body["message"]
    buttons = message.get("attachment", {}).get("payload", {}).get("buttons", [])
    return Bubble(message["text"], tuple(b["title"] for b in buttons))


def previews(flow: Flow, *, lang: str, sms_price: int) -> list[StepPreview]:
    """Every step of a flow as Telegram, Zalo and SMS would show it, in `lang`."""

    lang = flow.lang_for(lang)
    sms = {step_id: row(step_id, text, sms_price) for step_id, text in flow_texts(flow, lang=lang)}
    out = []
    for index, step in enumerate(flow.steps):
        tg, za = _outbound(ChannelName.TELEGRAM, flow, index, lang), _outbound(ChannelName.ZALO, flow, index, lang)
        text = sms.get(step.id) or (sms.get("end") if index == len(flow.steps) - 1 else None)
        sms_view = SmsPreview(text.text, text.encoding, text.units, text.segments, text.cost) if text else None
        out.append(StepPreview(step.id, str(step.kind), step.asks, _telegram(tg), _zalo(za), sms_view))
    return out


def preview_session(flow: Flow, step_id: str, lang: str, now: datetime) -> Session:
    """A session standing at a step (the questions before it answered), for the web screen."""
    asked = [s.id for s in flow.steps if s.asks]
    before = tuple(asked[: asked.index(step_id)]) if step_id in asked else ()
    return Session(flow_id=flow.id, flow_version=flow.version, lang=flow.lang_for(lang), channel="web",
                   status=SessionStatus.ACTIVE, step_id=step_id, started_at=now, updated_at=now,
                   context=_sample(), history=before)


# --- simulator --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One transcript line: who is "bot", "you" or "note"; `choices` are "code. label" strings."""

    who: str
    text: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Simulation:
    """The transcript, the state to send back with the next reply, and the buttons to offer."""

    lines: tuple[Line, ...]
    state: str
    active: bool
    buttons: tuple[tuple[str, str], ...]  # (code, label) of the last question
    restarted: bool = False


def simulate(flow: Flow, *, state: str, reply: str = "", press: str = "", lang: str = "vi",
             channel: str = "web", now: datetime) -> Simulation:
    """Start a chat (no or unusable state) or apply one reply to it; nothing is stored anywhere."""
    env = Env(now=now, new_id=lambda: uuid.uuid4().hex)
    loaded = _load_state(state, flow)
    if loaded is None or not (reply.strip() or press):
        channel = channel if channel in SIM_CHANNELS else "web"
        sprint = start(flow, env, lang=lang, channel=channel, context=_sample())
        return _result(sprint, [], restarted=loaded is None and bool(state))
    session, lines = loaded
    answer = ChoiceReply(press) if press else TextReply(reply[:MAX_REPLY])
    lines.append(Line("you", press and _label_of(lines, press) or reply[:MAX_REPLY]))
    try:
        sprint = resume(flow, session, env, answer)
    except (FlowError, KeyError):  # the text changed under the chat: begin again
        sprint = start(flow, env, lang=session.lang, channel=session.channel, context=_sample())
        return _result(sprint, [], restarted=True)
    return _result(sprint, lines)


def _label_of(lines: list[Line], code: str) -> str:
    last = next((line for line in reversed(lines) if line.who == "bot" and line.choices), None)
    return next((c for c in last.choices if c.split(".", 1)[0] == code), code) if last else code


def _result(sprint: Sprint, lines: list[Line], *, restarted: bool = False) -> Simulation:
    buttons: tuple[tuple[str, str], ...] = ()
    for event in sprint.events:
        if isinstance(event, MessageSent):
            lines.append(Line("bot", event.text, tuple(f"{c.code}. {c.label}" for c in event.choices)))
            buttons = tuple((c.code, c.label) for c in event.choices)
        else:
            lines.append(Line("note", render_event(event).strip()))
    lines = lines[-MAX_LINES:]
    state = json.dumps({"session": sprint.session.to_json(),
                        "lines": [[line.who, line.text, list(line.choices)] for line in lines]},
                       ensure_ascii=False)
    while len(state) > MAX_STATE and len(lines) > 1:  # keep the field bounded: drop the oldest lines
        lines = lines[len(lines) // 4 or 1:]
        state = json.dumps({"session": sprint.session.to_json(),
                            "lines": [[line.who, line.text, list(line.choices)] for line in lines]},
                           ensure_ascii=False)
    return Simulation(tuple(lines), state, sprint.session.active, buttons if sprint.session.active else (),
                      restarted)


def _load_state(state: str, flow: Flow) -> tuple[Session, list[Line]] | None:
    """The session and transcript the page sent back, or None when missing, too big or not ours."""
    if not state or len(state) > MAX_STATE:
        return None
    try:
        data: Any = json.loads(state)
        session = Session.from_json(data["session"])
        lines = [Line(str(who), str(text)[:MAX_REPLY * 2], tuple(str(c)[:200] for c in choices[:20]))
                 for who, text, choices in data["lines"][-MAX_LINES:] if who in ("bot", "you", "note")]
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None
    if session.flow_id != flow.id or session.flow_version != flow.version or not session.active:
        return None
    if session.lang not in flow.languages or session.channel not in SIM_CHANNELS:
        return None
    if session.step_id not in {s.id for s in flow.steps}:
        return None
    return session, lines
