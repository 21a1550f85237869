"""The scoring schema: indicators, fields, scales, reasons, channels and rating bands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    """Who provides an indicator's points."""

    COMPUTED = "computed"
    CITIZEN = "citizen"
    AGENCY = "agency"
    SYSTEM = "system"


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
    """One of the nine indicators, e.g. ``{id: 3, scope: dossier, filled_by: citizen, points: {2: …}}``."""

    id: int
    name: Localized
    scope: Scope
    filled_by: FilledBy
    points: tuple[tuple[int, Localized], ...]
    thresholds: tuple[Threshold, ...] = ()

    def points_for(self, count: int) -> int | None:
        """Points for a count (indicator 3: contacts), via the first threshold that holds."""
        return next((t.points for t in self.thresholds if t.holds(count)), None)


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

    @property
    def max_score(self) -> int:
        return sum(max(points for points, _ in ind.points) for ind in self.indicators)

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
