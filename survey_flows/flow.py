"""The flow model: a versioned list of steps that ask, record and branch."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from survey_flows.conditions import Condition
from survey_flows.i18n import Localized
from survey_flows.schema import Digits, Option, Schema, Threshold


class StepKind(StrEnum):
    """What a step does with the citizen's reply."""

    CHOICE = "choice"  # one option, from a schema scale or the step's own options
    NUMBER = "number"  # a whole number in min..max, scored through thresholds
    YESNO = "yesno"  # yes or no, each with its value
    REASONS = "reasons"  # several of the schema's reasons: "1 3" or "1,3"
    TEXT = "text"  # free text; optional ones accept "bỏ qua"
    MESSAGE = "message"  # says something, expects nothing


SCREEN_CHANNELS = frozenset({"web", "kiosk"})  # channels that show a step as a page
KIOSK = "kiosk"  # the counter tablet: asks only the steps a flow marks ``kiosk: true`` (Flow.asks_on)


@dataclass(frozen=True, slots=True)
class Step:
    """One step; YAML e.g. ``{id: overall, kind: choice, scale: sat3, writes: satisfaction.overall,
    text: {vi: "…", en: "…"}, when: {step: x, level_in: [0]}}``.

    ``options`` is resolved at load time (scale options, yes/no, reasons), so the engine
    never needs the schema to understand a reply.
    """

    id: str
    kind: StepKind
    text: Localized
    sms: Localized | None = None
    screen: Localized | None = None  # the words of a page (web, kiosk): buttons, not typed replies
    writes: str | None = None
    when: Condition | None = None
    scale: str | None = None
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    thresholds: tuple[Threshold, ...] = ()
    optional: bool = False
    level_field: bool = False  # the written field stores a canonical level
    digits: Digits = Digits.POSITION  # what a typed digit or button code means (from the scale)
    kiosk: bool | None = None  # asked on the counter kiosk (YAML ``kiosk: true``); None: not marked

    @property
    def asks(self) -> bool:
        """Whether the step waits for a reply."""
        return self.kind is not StepKind.MESSAGE

    def text_for(self, lang: str, channel: str) -> str:
        """The words for that channel: `sms` (shorter, no diacritics) on SMS, `screen` on the pages
        (web and kiosk, where a person presses buttons instead of typing numbers or STOP), else
        `text` (the chats)."""
        variant = self.sms if channel == "sms" else self.screen if channel in SCREEN_CHANNELS else None
        return (variant or self.text).get(lang)

    def points_for(self, count: int) -> int | None:
        return next((t.points for t in self.thresholds if t.holds(count)), None)

    def code_of(self, position: int) -> str:
        """The code of the option at 1-based ``position``: its value on a ``digits: value`` scale."""
        option = self.options[position - 1]
        return str(option.value) if self.digits is Digits.VALUE else str(position)

    def option_for_code(self, code: int) -> Option | None:
        """The option a typed digit or button code ``code`` stands for, or None."""
        if self.digits is Digits.VALUE:
            return next((o for o in self.options if o.value == code), None)
        return self.options[code - 1] if 1 <= code <= len(self.options) else None


def choices_for(step: Step, lang: str) -> tuple[tuple[str, str], ...]:
    """The (code, label) pairs to show for ``step`` in ``lang``, in display order.

    Use these codes for buttons and numbered lists instead of numbering by position: on a
    ``digits: value`` scale (sat5, stars5) the code is the option's value, so "5" on a 5-level
    satisfaction scale is "Rất hài lòng" whether typed or pressed; elsewhere it is the 1-based
    position. A ``ChoiceReply(code)`` with one of these codes selects that option.
    Steps without options (number, text, message) give ().
    """
    return tuple((step.code_of(i), option.label.get(lang)) for i, option in enumerate(step.options, 1))


@dataclass(frozen=True, slots=True)
class Flow:
    """A loaded, valid flow: ``{id: quick, version: "1", name: {vi, en}, languages: [vi, en], steps: […]}``."""

    id: str
    version: str
    name: Localized
    languages: tuple[str, ...]
    max_attempts: int
    steps: tuple[Step, ...]
    schema: Schema
    source: str = ""

    def step(self, step_id: str) -> Step:
        """The step with ``step_id``; KeyError when the flow has none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == step_id)

    def asks_on(self, step: Step, channel: str) -> bool:
        """Whether ``step`` is asked on ``channel``. Every channel asks every step but the kiosk: a
        citizen at the counter answers the steps the flow marks ``kiosk: true``; in a flow that marks
        none true, the short set: the steps writing a satisfaction field (the overall rating, the
        officer), less those marked ``kiosk: false``."""
        if channel != KIOSK or not step.asks:
            return step.asks
        if step.kiosk is not None:
            return step.kiosk
        return not any(s.kiosk for s in self.steps) and (step.writes or "").startswith("satisfaction.")

    def lang_for(self, lang: str) -> str:
        """``lang`` when the flow speaks it, else Vietnamese."""
        return lang if lang in self.languages else "vi"
