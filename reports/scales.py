"""Satisfaction answers kept on the scale they were given: five levels stay five, beside their 3-level roll-up.

An answer stores the option's own value and the canonical level it rolls up to (schema.yaml `scales`):
on the 3-level scale the value is the level (or only the level is stored, at kiosks and through the
API); on the 5-level scales (5 satisfaction levels, 1–5 stars) the value is 1..5 with 5 → level 2,
4 → 1 and 3, 2, 1 → 0. The (value, level) pairs of the two kinds never overlap, so each stored answer
says which kind of scale it was given on without looking up its flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from survey_flows import load_schema


class ScaleKind(StrEnum):
    """How many levels the scale of an answer had."""

    THREE = "3-level"
    FIVE = "5-level"
    OTHER = "other"


#: How each kind is named in reports, Vietnamese then English.
KIND_WORDS = {ScaleKind.THREE: ("thang 3 mức", "3-level"), ScaleKind.FIVE: ("thang 5 mức", "5-level"),
              ScaleKind.OTHER: ("thang khác", "other scale")}
FIVE_VALUES = (5, 4, 3, 2, 1)


@lru_cache(maxsize=1)
def _pairs() -> dict[tuple[int | None, int | None], ScaleKind]:
    """(value, level) → kind, from the schema's scales of three and of five options."""
    out: dict[tuple[int | None, int | None], ScaleKind] = {}
    for scale in load_schema().scales:
        kind = {3: ScaleKind.THREE, 5: ScaleKind.FIVE}.get(len(scale.options))
        if kind is None or any(o.level is None for o in scale.options):
            continue
        for option in scale.options:
            pair = (option.value, option.level)
            out[pair] = ScaleKind.OTHER if out.get(pair, kind) is not kind else kind
    return out


def scale_of(value: int | None, level: int | None) -> ScaleKind | None:
    """The kind of scale a satisfaction answer was given on; None for an answer without a level."""
    if level is None:
        return None
    if value is None:
        return ScaleKind.THREE  # only the canonical level was recorded (kiosk, API)
    return _pairs().get((value, level), ScaleKind.OTHER)


@dataclass(frozen=True, slots=True)
class ScaleCounts:
    """One question of one agency on one kind of scale: answers per raw value and per canonical level."""

    agency_id: int
    field: str
    kind: ScaleKind
    answers: int
    values: tuple[int, ...] | None  # answers with value 5, 4, 3, 2, 1 (5-level scales only)
    levels: tuple[int, int, int]  # the 3-level roll-up: level 2, 1, 0


def scale_counts(rows: Iterable[tuple[int, str, int | None, int | None, int]]) -> tuple[ScaleCounts, ...]:
    """Group `storage.results.answer_value_counts` rows by agency, question and kind of scale."""
    sums: dict[tuple[int, str, ScaleKind], tuple[list[int], list[int]]] = {}
    for agency_id, field, value, level, count in rows:
        kind = scale_of(value, level)
        if kind is None or level not in (0, 1, 2):
            continue
        values, levels = sums.setdefault((agency_id, field, kind), ([0] * 5, [0, 0, 0]))
        if kind is ScaleKind.FIVE and value in FIVE_VALUES:
            values[FIVE_VALUES.index(value)] += count
        levels[2 - level] += count
    return tuple(
        ScaleCounts(agency, field, kind, sum(levels), tuple(values) if kind is ScaleKind.FIVE else None,
                    (levels[0], levels[1], levels[2]))
        for (agency, field, kind), (values, levels) in sorted(sums.items(), key=lambda item: item[0])
    )
