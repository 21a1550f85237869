"""Understanding a reply: control words, then the answer the current step expects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from survey_flows import words
from survey_flows.answers import AnswerValue
from survey_flows.flow import Step, StepKind
from survey_flows.schema import Option


@dataclass(frozen=True, slots=True)
class TextReply:
    """What the citizen typed: ``{"text": "rất hài lòng"}``."""

    text: str


@dataclass(frozen=True, slots=True)
class ChoiceReply:
    """A button press: ``{"code": "2"}``, a code from ``choices_for`` (the option's value on a
    ``digits: value`` scale such as sat5 or stars5, its 1-based position as shown otherwise)."""

    code: str


@dataclass(frozen=True, slots=True)
class ExpireReply:
    """The scheduler says the survey's time is up."""


Reply = TextReply | ChoiceReply | ExpireReply


class Control(StrEnum):
    """Words that steer the conversation instead of answering."""

    OPT_OUT = "opt_out"
    HELP = "help"
    BACK = "back"


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a reply means at a step: a control, an answer, a skip, or nothing (invalid)."""

    control: Control | None = None
    answer: AnswerValue | None = None
    skip: bool = False

    @property
    def invalid(self) -> bool:
        return self.control is None and self.answer is None and not self.skip


INVALID = Parsed()
_SEPARATORS = re.compile(r"[\s,;/+&]+")
_FILLERS = frozenset({"va", "and", "voi"})


def control_of(text: str) -> Control | None:
    """The control word that is the whole message, if any."""
    raw = text.strip()
    if raw and set(raw) <= {"?"}:
        return Control.HELP
    if raw in {"<", "<<"}:
        return Control.BACK
    folded = words.fold(text)
    bare = words.plain(folded)
    if folded in words.OPT_OUT_EXACT or bare in words.OPT_OUT:
        return Control.OPT_OUT
    if bare in words.HELP:
        return Control.HELP
    if bare in words.BACK:
        return Control.BACK
    return None


def interpret(step: Step, reply: TextReply | ChoiceReply) -> Parsed:
    """What ``reply`` means at ``step``."""
    if isinstance(reply, ChoiceReply):
        return _pressed(step, reply.code)
    control = control_of(reply.text)
    if control is not None:
        return Parsed(control=control)
    folded = words.fold(reply.text)
    if words.plain(folded) == words.AMBIGUOUS_STOP and folded != "đúng":
        # Bare "dung": an answer where a yes/no or a label reads it so, a stop elsewhere.
        parsed = _typed(step, reply.text, folded) if step.kind is not StepKind.TEXT else INVALID
        return Parsed(control=Control.OPT_OUT) if parsed.invalid else parsed
    return _typed(step, reply.text, folded)


def _typed(step: Step, text: str, folded: str) -> Parsed:
    parsed = _typed_as_is(step, text, folded)
    if not parsed.invalid or step.kind is StepKind.TEXT:
        return parsed
    # "Dạ, rất hài lòng ạ": retried without courtesy particles only when it means nothing as typed.
    polite = words.without_courtesy(folded)
    return _typed_as_is(step, text, polite) if polite and polite != folded else parsed


def _typed_as_is(step: Step, text: str, folded: str) -> Parsed:
    if step.kind is StepKind.CHOICE:
        return _answer(step, _option(step.options, folded) or _position(step, folded))
    if step.kind is StepKind.YESNO:
        return _answer(step, _yes_or_no(step.options, folded) or _position(step, folded))
    if step.kind is StepKind.NUMBER:
        return _number(step, text, folded)
    if step.kind is StepKind.REASONS:
        return _reasons(step, folded)
    if step.kind is StepKind.TEXT:
        return _text(step, text, folded)
    return INVALID


def _pressed(step: Step, code: str) -> Parsed:
    if step.kind is StepKind.REASONS:
        return _reasons(step, code.strip(), digits_only=True)
    if step.kind not in (StepKind.CHOICE, StepKind.YESNO) or not code.strip().isdigit():
        return INVALID
    return _answer(step, step.option_for_code(int(code.strip())))


def _answer(step: Step, option: Option | None) -> Parsed:
    if option is None:
        return INVALID
    level = option.level if step.level_field else None
    return Parsed(answer=AnswerValue(value=option.value, level=level))


def _option(options: tuple[Option, ...], folded: str) -> Option | None:
    """Match a label (any language) or an alias: exactly first, then without diacritics."""
    exact = {words.fold(key): o for o in reversed(options) for key in (*o.label.values(), *o.aliases)}
    if folded in exact:
        return exact[folded]
    bare = {words.plain(k): o for k, o in exact.items() if words.plain(k)}
    return bare.get(words.plain(folded)) if words.plain(folded) else None


def _position(step: Step, folded: str) -> Option | None:
    """A typed digit or number word: the value on a ``digits: value`` scale, else the position."""
    number = words.count_in(folded)
    return step.option_for_code(number) if number is not None else None


def _yes_or_no(options: tuple[Option, ...], folded: str) -> Option | None:
    if len(options) != 2:
        return None
    for option, vocabulary in zip(options, (words.YES, words.NO)):
        if folded in vocabulary:
            return option
    bare = words.plain(folded)
    for option, vocabulary in zip(options, (words.YES, words.NO)):
        if bare and bare in {words.plain(w) for w in vocabulary}:
            return option
    return None


def _number(step: Step, text: str, folded: str) -> Parsed:
    # fold() drops edge punctuation, which would turn "-1" into "1".
    count = None if text.strip().startswith("-") else words.count_in(folded, loose=True)
    low = step.minimum if step.minimum is not None else 0
    if count is None:
        return _at_least(step, folded, low)
    if count < low or (step.maximum is not None and count > step.maximum):
        return INVALID
    points = step.points_for(count) if step.thresholds else count
    return Parsed(answer=AnswerValue(value=points)) if points is not None else INVALID


def _at_least(step: Step, folded: str, low: int) -> Parsed:
    """ "nhiều lần" on a step that scores counts: its points when every count it may mean scores the same
    (indicator 3: 2 or more contacts score 0); otherwise the count matters, and it is asked again."""
    least = words.at_least_in(folded)
    if least is None or not step.thresholds:
        return INVALID
    high = step.maximum if step.maximum is not None else max(least, *(t.high or t.low for t in step.thresholds)) + 1
    points = {step.points_for(n) for n in range(max(least, low), high + 1)}
    if len(points) != 1 or None in points:
        return INVALID
    return Parsed(answer=AnswerValue(value=points.pop()))


def _reasons(step: Step, folded: str, *, digits_only: bool = False) -> Parsed:
    single = None if digits_only else _option(step.options, folded)
    if single is not None:
        return Parsed(answer=AnswerValue(items=(str(single.code),)))
    tokens = [t for t in _SEPARATORS.split(words.plain(folded) if not digits_only else folded)
              if t and t not in _FILLERS]
    chosen: list[str] = []
    for token in tokens:
        number = int(token) if token.isdigit() else None if digits_only else words.NUMBER_WORDS.get(token)
        if number is None or not 1 <= number <= len(step.options):
            return INVALID
        code = str(step.options[number - 1].code)
        if code not in chosen:
            chosen.append(code)
    return Parsed(answer=AnswerValue(items=tuple(chosen))) if chosen else INVALID


def _text(step: Step, text: str, folded: str) -> Parsed:
    if words.plain(folded) in words.SKIP:
        return Parsed(skip=True) if step.optional else INVALID
    if not folded:
        return INVALID
    return Parsed(answer=AnswerValue(text=text.strip()))
