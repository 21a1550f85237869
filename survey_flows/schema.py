"""The scoring schema: indicators, fields, scales, reasons, channels and rating bands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from survey_flows.i18n import Localized


class FieldType(StrEnum):
    """What a schema field stores."""

    POINTS = "points"  # an indicator's points, 0..2
    LEVEL = "level"  # the canonical satisfaction level, 0..2
    REASONS = "reasons"  # codes from the schema's reason list
    TEXT = "text"  # free text


class Scope(StrEnum):
    """What an indicator is scored per."""

    DOSSIER = "dossier"
    AGENCY = "agency"
    DOSSIER_AND_AGENCY = "dossier_and_agency"


class FilledBy(StrEnum):
    """Who provides an indicator's points (the older key; ``Source`` says it more precisely)."""

    COMPUTED = "computed"
    CITIZEN = "citizen"
    AGENCY = "agency"
    SYSTEM = "system"


class Source(StrEnum):
    """Where an indicator's points come from (schema key ``source``)."""

    DATES = "dates"  # computed from the dossier's (or each unit's) dates
    CITIZEN = "citizen"  # the applicant's answers, with exceptions staff may record
    AGENCY = "agency"  # a figure the agency enters (self-score) or its controlling office (appraisal)
    REGISTER = "register"  # the register of complaints and petitions (phản ánh, kiến nghị)


# The older ``filled_by`` each source stands for, so callers of ``Indicator.filled_by`` keep working.
SOURCE_FILLED_BY: dict[Source, FilledBy] = {
    Source.DATES: FilledBy.COMPUTED,
    Source.CITIZEN: FilledBy.CITIZEN,
    Source.AGENCY: FilledBy.AGENCY,
    Source.REGISTER: FilledBy.SYSTEM,
}
FILLED_BY_SOURCE: dict[FilledBy, Source] = {
    FilledBy.COMPUTED: Source.DATES,
    FilledBy.CITIZEN: Source.CITIZEN,
    FilledBy.AGENCY: Source.AGENCY,
    FilledBy.SYSTEM: Source.REGISTER,
}


class Digits(StrEnum):
    """What a typed digit (or a button code) means on a scale (schema key ``digits``)."""

    POSITION = "position"  # the 1-based position in the list shown (sat3: 1 = Rất hài lòng)
    VALUE = "value"  # the option's own value (sat5, stars5: 5 = the best, whatever the order shown)


@dataclass(frozen=True, slots=True)
class Threshold:
    """Counts ``low..high`` (``high`` None: no limit) score ``points``; YAML ``{from: 2, points: 0}``."""

    low: int
    high: int | None
    points: int

    def holds(self, count: int) -> bool:
        return count >= self.low and (self.high is None or count <= self.high)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One of the nine indicators, e.g. ``{id: 3, scope: dossier, source: citizen, method: contacts,
    rule: {vi: …, en: …}, params: {…}, points: {2: …}}``.

    ``method`` names the computation in ``survey_flows.scoring`` (see ``docs/schema.md``);
    ``params`` are its numbers (e.g. indicator 8's ``on_time_partial: 90``), kept as sorted
    ``(key, value)`` pairs so a schema stays hashable; read them with ``param``.
    """

    id: int
    name: Localized
    scope: Scope
    filled_by: FilledBy
    points: tuple[tuple[int, Localized], ...]
    thresholds: tuple[Threshold, ...] = ()
    source: Source | None = None
    method: str = ""
    rule: Localized | None = None
    params: tuple[tuple[str, Any], ...] = ()

    def points_for(self, count: int) -> int | None:
        """Points for a count (indicator 3: contacts), via the first threshold that holds."""
        return next((t.points for t in self.thresholds if t.holds(count)), None)

    @property
    def origin(self) -> Source:
        """``source``, or the one the older ``filled_by`` stands for."""
        return self.source if self.source is not None else FILLED_BY_SOURCE[self.filled_by]

    @property
    def max_points(self) -> int:
        return max((points for points, _ in self.points), default=0)

    @property
    def per_dossier(self) -> bool:
        """Scored on each dossier (then averaged over the period)."""
        return self.scope in (Scope.DOSSIER, Scope.DOSSIER_AND_AGENCY)

    @property
    def per_agency(self) -> bool:
        """Entered per agency and period (self-score, appraisal)."""
        return self.scope in (Scope.AGENCY, Scope.DOSSIER_AND_AGENCY) or self.origin is Source.AGENCY

    def param(self, name: str, default: Any = None) -> Any:
        """One of ``params``, or ``default``."""
        return next((value for key, value in self.params if key == name), default)


@dataclass(frozen=True, slots=True)
class Field:
    """A field a flow step may write, e.g. ``indicator.3: {type: points, indicator: 3}``."""

    name: str
    type: FieldType
    indicator: int | None = None
    label: Localized | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """One answer to pick: ``{value: 4, level: 1, label: {vi: Tốt, en: Good}, aliases: [⭐⭐⭐⭐]}``.

    Reasons use ``code`` instead of ``value``.
    """

    value: int | None
    level: int | None
    label: Localized
    aliases: tuple[str, ...] = ()
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """A named answer scale (``sat3``, ``sat5``, ``stars5``), options in display order."""

    id: str
    name: Localized
    options: tuple[Option, ...]
    digits: Digits = Digits.POSITION


@dataclass(frozen=True, slots=True)
class Band:
    """A rating band, a closed interval: ``{code: good, from: 12, to: 15, name: {vi: Tốt}}``."""

    code: str
    low: float
    high: float
    name: Localized


@dataclass(frozen=True, slots=True)
class Schema:
    """The whole scoring schema, as loaded from ``data/schema.yaml``."""

    version: str
    indicators: tuple[Indicator, ...]
    levels: tuple[tuple[int, Localized], ...]
    fields: tuple[Field, ...]
    reasons: tuple[Option, ...]
    scales: tuple[Scale, ...]
    channels: tuple[tuple[str, Localized], ...]
    bands: tuple[Band, ...]
    effective_from: date | None = None  # the first day the schema applies (None: always)
    effective_to: date | None = None  # the last day (None: until the next version)
    source: Localized | None = None  # the legal texts it follows

    @property
    def max_score(self) -> int:
        return sum(ind.max_points for ind in self.indicators)

    def indicator(self, id_: int) -> Indicator | None:
        return next((i for i in self.indicators if i.id == id_), None)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def scale(self, id_: str) -> Scale | None:
        return next((s for s in self.scales if s.id == id_), None)

    def channel_ids(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.channels)

    def allowed_values(self, field: Field) -> frozenset[int]:
        """Values a points or level field accepts (empty for reasons and text)."""
        if field.type is FieldType.LEVEL:
            return frozenset(level for level, _ in self.levels)
        indicator = self.indicator(field.indicator) if field.indicator is not None else None
        if field.type is FieldType.POINTS and indicator:
            return frozenset(points for points, _ in indicator.points)
        return frozenset()
