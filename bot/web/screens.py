"""One question per screen: what to show for a session's current step, and the reply a form means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from survey_flows import ChoiceReply, Flow, Reply, Session, Step, StepKind, TextReply, choices_for
from survey_flows.i18n import fill

MAX_TEXT = 2000  # characters of a free-text answer; longer posts are refused, not cut
BACK, SKIP = "<", "bỏ qua"  # the engine's own control words: the web takes the chat's path


@dataclass(frozen=True, slots=True)
class Choice:
    """A button or checkbox: the 1-based code the engine expects, its label, and on a satisfaction
    scale its face (0 the unhappiest … 4 the happiest; None elsewhere)."""

    code: str
    label: str
    face: int | None = None


@dataclass(frozen=True, slots=True)
class Screen:
    """The current question as a page shows it."""

    step_id: str
    kind: str
    text: str
    choices: tuple[Choice, ...]
    optional: bool
    minimum: int | None
    maximum: int | None
    position: int
    total: int
    can_back: bool


def screen_of(flow: Flow, session: Session, lang: str) -> Screen:
    """The screen of the session's current step, in the page's language."""
    step = flow.step(str(session.step_id))
    asking = [s for s in flow.steps if flow.asks_on(s, session.channel)]
    # Counted among the steps this channel asks; a step it would not ask (a session begun before
    # the flow's kiosk marks changed) still gets a place among them.
    position = sum(1 for s in asking if flow.index(s.id) < flow.index(step.id)) + 1
    text = fill(step.text_for(lang, session.channel), session.context)
    faces = faces_of(step)
    choices = tuple(Choice(code, label, faces[i] if faces else None)
                    for i, (code, label) in enumerate(choices_for(step, lang)))
    return Screen(
        step.id, str(step.kind), text, choices, step.optional, step.minimum, step.maximum,
        position=position, total=max(len(asking), position), can_back=bool(session.history),
    )


def faces_of(step: Step) -> tuple[int, ...]:
    """A face per option of a step answered on a satisfaction scale (sat3, sat5, stars5): the
    option's value placed on 0 (unhappiest) … 4 (happiest); () for any other step."""
    values = [o.value for o in step.options]
    if not step.scale or not step.level_field or not values or None in values:
        return ()
    low, high = min(v for v in values if v is not None), max(v for v in values if v is not None)
    if low == high:
        return ()
    return tuple(round(4 * ((v or 0) - low) / (high - low)) for v in values)


def intro_of(flow: Flow, session_context: Mapping[str, str], lang: str, channel: str) -> list[str]:
    """The flow's opening messages (before its first question), for the welcome page."""
    texts = []
    for step in flow.steps:
        if step.asks:
            break
        texts.append(fill(step.text_for(lang, channel), session_context))
    return texts


def reply_of(flow: Flow, step_id: str, form: Mapping[str, str], picks: list[str]) -> Reply | None:
    """The engine reply a posted form means, or None when it says nothing usable."""
    action = form.get("action", "answer")
    if action == "back":
        return TextReply(BACK)
    step = flow.step(step_id)
    if action == "skip" and step.optional:
        return TextReply(SKIP)
    if step.kind in (StepKind.CHOICE, StepKind.YESNO):
        code = form.get("choice", "")
        return ChoiceReply(code) if code.isdigit() else None
    if step.kind is StepKind.REASONS:
        codes = [c for c in picks if c.isdigit()]
        return ChoiceReply(" ".join(codes)) if codes else None
    value = form.get("value", "").strip()
    return TextReply(value) if value else None
