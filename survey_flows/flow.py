"""The flow model: a versioned list of steps that ask, record and branch."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from survey_flows.conditions import Condition
from survey_flows.i18n import Localized
from survey_flows.schema import Option, Schema, Threshold


class StepKind(StrEnum):
    """What a step does with the citizen's reply."""

    CHOICE = "choice"  # one option, from a schema scale or the step's own options
    NUMBER = "number"  # a whole number in min..max, scored through thresholds
    YESNO = "yesno"  # yes or no, each with its value
    REASONS = "reasons"  # several of the schema's reasons: "1 3" or "1,3"
    TEXT = "text"  # free text; optional ones accept "bỏ qua"
    MESSAGE = "message"  # says something, expects nothing


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
    writes: str | None = None
    when: Condition | None = None
    scale: str | None = None
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    thresholds: tuple[Threshold, ...] = ()
    optional: bool = False
    level_field: bool = False  # the written field stores a canonical level

    @property
    def asks(self) -> bool:
        """Whether the step waits for a reply."""
        return self.kind is not StepKind.MESSAGE

    def text_for(self, lang: str, channel: str) -> str:
        """The text to send: the shorter SMS text on the sms channel when the flow has one."""
        if channel == "sms" and self.sms is not None:
            return self.sms.get(lang)
        return self.text.get(lang)

    def points_for(self, count: int) -> int | None:
        return next((t.points for t in self.thresholds if t.holds(count)), None)


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

    def lang_for(self, lang: str) -> str:
        """``lang`` when the flow speaks it, else Vietnamese."""
        return lang if lang in self.languages else "vi"
