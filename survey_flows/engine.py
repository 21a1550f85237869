"""The flow engine: ``start`` and ``resume`` turn a session and a reply into a Sprint.

Pure: no clock, no ids of its own, no I/O. The caller stores ``Sprint.session`` and acts
on ``Sprint.events`` (send the messages, record the answers, close the survey).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from survey_flows import texts
from survey_flows.answers import AnswerValue
from survey_flows.conditions import holds
from survey_flows.errors import SessionMismatch, UnknownChannel
from survey_flows.events import (
    AnswerRecorded,
    AnswerSkipped,
    ChoiceOut,
    EndStatus,
    Env,
    Event,
    MessageSent,
    SkipReason,
    SurveyEnded,
)
from survey_flows.flow import Flow, Step, StepKind, choices_for
from survey_flows.i18n import fill, gettext
from survey_flows.replies import ChoiceReply, Control, ExpireReply, Parsed, Reply, TextReply, interpret
from survey_flows.session import Session, SessionStatus

__all__ = ["ChoiceReply", "Env", "ExpireReply", "Sprint", "TextReply", "evaluation_record", "resume", "start"]

_ENDED = {
    EndStatus.COMPLETED: SessionStatus.COMPLETED,
    EndStatus.EXPIRED: SessionStatus.EXPIRED,
    EndStatus.OPTED_OUT: SessionStatus.OPTED_OUT,
}


@dataclass(frozen=True, slots=True)
class Sprint:
    """The new session state and the events to act on, in order."""

    session: Session
    events: tuple[Event, ...]


class _Out:
    """Collects the events of one sprint; a pending prefix joins the next message."""

    def __init__(self, flow: Flow, session: Session, env: Env) -> None:
        self.flow, self.session, self.env = flow, session, env
        self.events: list[Event] = []
        self.prefix: list[str] = []

    def system(self, msgid: str, **values: object) -> str:
        return gettext(self.session.lang, msgid, **values)

    def send(self, step_id: str | None, text: str, choices: tuple[ChoiceOut, ...] = (), multi: bool = False) -> None:
        body = "\n\n".join([*self.prefix, text]) if text else "\n\n".join(self.prefix)
        self.prefix.clear()
        self.events.append(MessageSent(self.env.new_id(), self.env.now, step_id, body, choices, multi))

    def say(self, step: Step) -> None:
        """Send a step's text (and its choices when it asks)."""
        lang = self.session.lang
        text = fill(step.text_for(lang, self.session.channel), self.session.context)
        choices = tuple(ChoiceOut(code, label) for code, label in choices_for(step, lang))
        self.send(step.id, text, choices, step.kind is StepKind.REASONS)

    def flush(self) -> None:
        if self.prefix:
            self.send(None, "")

    def recorded(self, step: Step, answer: AnswerValue) -> None:
        self.events.append(AnswerRecorded(self.env.new_id(), self.env.now, step.id, str(step.writes),
                                          answer.value, answer.level, answer.text, answer.items))

    def skipped(self, step: Step, reason: SkipReason) -> None:
        self.events.append(AnswerSkipped(self.env.new_id(), self.env.now, step.id, str(step.writes), reason))

    def ended(self, status: EndStatus) -> None:
        self.flush()
        self.events.append(SurveyEnded(self.env.new_id(), self.env.now, status))


def start(flow: Flow, env: Env, *, lang: str = "vi", channel: str = "web",
          context: Mapping[str, str] | None = None) -> Sprint:
    """Open a session and run up to the first question (a language the flow lacks falls back to vi)."""
    if channel not in flow.schema.channel_ids():
        raise UnknownChannel(channel, flow.schema.channel_ids())
    session = Session(flow_id=flow.id, flow_version=flow.version, lang=flow.lang_for(lang), channel=channel,
                      status=SessionStatus.ACTIVE, step_id=None, started_at=env.now, updated_at=env.now,
                      context=context or {})
    out = _Out(flow, session, env)
    return Sprint(_advance(flow, session, 0, out), tuple(out.events))


def resume(flow: Flow, session: Session, env: Env, reply: Reply) -> Sprint:
    """Apply one reply (typed text, a pressed button, or the scheduler's expiry)."""
    _check_same_flow(flow, session)
    out = _Out(flow, session, env)
    if not session.active:
        # An ended survey never changes; a citizen gets one short note, the scheduler nothing.
        if not isinstance(reply, ExpireReply):
            out.send(None, out.system(texts.ALREADY_ENDED))
        return Sprint(session, tuple(out.events))
    if isinstance(reply, ExpireReply):
        out.send(None, out.system(texts.EXPIRED))
        new = _end(session, EndStatus.EXPIRED, out)
    else:
        step = flow.step(str(session.step_id))
        new = _apply(flow, session, step, interpret(step, reply), out)
    return Sprint(replace(new, updated_at=env.now), tuple(out.events))


def _check_same_flow(flow: Flow, session: Session) -> None:
    if (session.flow_id, session.flow_version) != (flow.id, flow.version):
        raise SessionMismatch(f"session of {session.flow_id}@{session.flow_version} "
                              f"resumed with {flow.id}@{flow.version}")
    if session.active and not any(step.id == session.step_id for step in flow.steps):
        raise SessionMismatch(f"flow {flow.id} has no step {session.step_id!r}")


def _apply(flow: Flow, session: Session, step: Step, parsed: Parsed, out: _Out) -> Session:
    if parsed.control is Control.OPT_OUT:
        out.send(None, out.system(texts.OPTED_OUT))
        return _end(session, EndStatus.OPTED_OUT, out)
    if parsed.control is Control.HELP:
        out.prefix.append(out.system(texts.HELP))
        out.say(step)
        return session
    if parsed.control is Control.BACK:
        return _back(flow, session, step, out)
    if parsed.answer is not None:
        out.recorded(step, parsed.answer)
        answers = {**session.answers, str(step.writes): parsed.answer}
        return _next(flow, replace(session, answers=answers), step, out)
    if parsed.skip:
        out.skipped(step, SkipReason.DECLINED)
        return _next(flow, session, step, out)
    return _invalid(flow, session, step, out)


def _invalid(flow: Flow, session: Session, step: Step, out: _Out) -> Session:
    attempts = session.attempts + 1
    if attempts >= flow.max_attempts:
        out.skipped(step, SkipReason.INVALID)
        out.prefix.append(out.system(texts.MOVING_ON))
        return _next(flow, session, step, out)
    out.prefix.append(_hint(step, out))
    out.say(step)
    return replace(session, attempts=attempts)


def _hint(step: Step, out: _Out) -> str:
    if step.kind is StepKind.NUMBER:
        return out.system(texts.HINT_NUMBER, min=step.minimum, max=step.maximum)
    if step.kind is StepKind.TEXT:
        return out.system(texts.HINT_TEXT_OPTIONAL if step.optional else texts.HINT_TEXT)
    return out.system({StepKind.CHOICE: texts.HINT_CHOICE, StepKind.YESNO: texts.HINT_YESNO,
                       StepKind.REASONS: texts.HINT_REASONS}[step.kind])


def _back(flow: Flow, session: Session, step: Step, out: _Out) -> Session:
    if not session.history:
        out.prefix.append(out.system(texts.NOTHING_TO_GO_BACK_TO))
        out.say(step)
        return session
    previous = flow.step(session.history[-1])
    answers = dict(session.answers)
    if answers.pop(str(previous.writes), None) is not None:
        out.skipped(previous, SkipReason.BACK)
    out.prefix.append(out.system(texts.GOING_BACK))
    out.say(previous)
    return replace(session, step_id=previous.id, answers=answers, history=session.history[:-1], attempts=0)


def _next(flow: Flow, session: Session, step: Step, out: _Out) -> Session:
    moved = replace(session, history=(*session.history, step.id))
    return _advance(flow, moved, flow.index(step.id) + 1, out)


def _advance(flow: Flow, session: Session, index: int, out: _Out) -> Session:
    """Say messages and skip steps whose ``when`` is false, up to the next question or the end."""
    ended_with_message = False
    for step in flow.steps[index:]:
        if not holds(step.when, lambda sid: _answer_of(flow, session, sid)):
            continue
        if step.asks and not flow.asks_on(step, session.channel):
            continue  # not a kiosk question: the counter asks the flow's short set
        if step.asks:
            out.say(step)
            return replace(session, step_id=step.id, attempts=0)
        out.say(step)
        ended_with_message = True
    if not ended_with_message:
        # A flow that ends on its own message has said thank you already.
        out.send(None, out.system(texts.THANKS))
    return _end(session, EndStatus.COMPLETED, out)


def _answer_of(flow: Flow, session: Session, step_id: str) -> AnswerValue | None:
    writes = flow.step(step_id).writes
    return session.answers.get(writes) if writes else None


def _end(session: Session, status: EndStatus, out: _Out) -> Session:
    out.ended(status)
    return replace(session, status=_ENDED[status], step_id=None, attempts=0)


def evaluation_record(flow: Flow, session: Session) -> dict[str, Any]:
    """The evaluation as stored with the schema: JSON types only.

    ``{"flow": "quick", "flow_version": "2025.1", "schema_version": "tt01-2018.1", "lang": "vi",
    "channel": "zalo", "status": "completed", "answers": {"comment": {"value": null, "level": null,
    "text": "Nhanh", "items": null}}}``
    """
    _check_same_flow(flow, session)
    return {
        "flow": flow.id,
        "flow_version": flow.version,
        "schema_version": flow.schema.version,
        "lang": session.lang,
        "channel": session.channel,
        "status": session.status.value,
        "answers": {name: answer.to_json() for name, answer in sorted(session.answers.items())},
    }
