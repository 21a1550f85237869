"""An agency's total for a period over ALL indicators, and a band only when every one is present.

A partial total (say 11/14 from 7 of 9 indicators) is not a score out of 18: grading it
against the 18-point bands would call every agency "Trung bình". ``agency_total`` says what
is present, what is missing, and withholds the band until the total is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from survey_flows import texts
from survey_flows.i18n import gettext
from survey_flows.schema import Band, Indicator, Schema, Scope
from survey_flows.scoring import band_for, round_one


class EntryBy(StrEnum):
    """Who supplied an agency-level figure."""

    SELF = "self"  # the agency's own score (điểm tự chấm)
    APPRAISAL = "appraisal"  # the controlling office's appraisal (điểm thẩm định)
    COMPUTED = "computed"  # computed by the system (indicator 8 from the register, 9 from online counts)


class Basis(StrEnum):
    """Where the figure used in the total came from."""

    APPRAISAL = "appraisal"
    SELF = "self"
    COMPUTED = "computed"
    DOSSIERS = "dossiers"  # the mean over the period's evaluated dossiers


@dataclass(frozen=True, slots=True)
class AgencyEntry:
    """A figure for one indicator, agency and period: ``AgencyEntry(5, 2, EntryBy.APPRAISAL, "đạt chỉ tiêu")``."""

    indicator: int
    points: float | Fraction
    by: EntryBy
    note: str = ""


@dataclass(frozen=True, slots=True)
class IndicatorLine:
    """One indicator in a total: the figure used, where from, and every figure supplied."""

    indicator: int
    points: Fraction | None  # exact; None when missing
    basis: Basis | None
    maximum: int
    dossiers: int = 0  # evaluated dossiers that scored it
    dossier_mean: Fraction | None = None
    self_score: Fraction | None = None
    appraisal: Fraction | None = None
    computed: Fraction | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        def num(value: Fraction | None) -> float | None:
            return None if value is None else float(round(value, 2))

        return {"indicator": self.indicator, "points": num(self.points),
                "basis": self.basis.value if self.basis else None, "maximum": self.maximum,
                "dossiers": self.dossiers, "dossier_mean": num(self.dossier_mean), "self_score": num(self.self_score),
                "appraisal": num(self.appraisal), "computed": num(self.computed), "notes": list(self.notes)}


@dataclass(frozen=True, slots=True)
class AgencyTotal:
    """What an agency scored in a period, honestly: total, what it is out of, and the band if complete."""

    schema_version: str
    total: float  # sum of the present indicators, one decimal (half up)
    maximum: int  # the most the PRESENT indicators allow
    schema_maximum: int  # the most all indicators allow (18 in 2018)
    present: tuple[int, ...]
    missing: tuple[int, ...]
    band: Band | None  # only when complete
    lines: tuple[IndicatorLine, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def phrase(self, lang: str = "vi") -> str:
        """The total in words a reader understands, in Vietnamese (default) or English.

        Complete: "15,5/18 điểm — Xuất sắc". Partial: "Mới có 7/9 chỉ số: 11,0 điểm trên tối đa
        14 điểm của các chỉ số này. Chưa xếp loại vì còn thiếu chỉ số 5, 9."
        """
        total = f"{self.total:.1f}".replace(".", ",") if lang == "vi" else f"{self.total:.1f}"
        if self.complete and self.band is not None:
            return gettext(lang, texts.TOTAL_COMPLETE, total=total, maximum=self.maximum,
                           band=self.band.name.get(lang))
        return gettext(lang, texts.TOTAL_PARTIAL, present=len(self.present), count=len(self.present) + len(self.missing),
                       total=total, maximum=self.maximum, missing=", ".join(str(i) for i in self.missing))

    def to_json(self) -> dict[str, Any]:
        """JSON types only; the same figures every page, report, export and API should show."""
        band = None if self.band is None else {"code": self.band.code, "name": dict(self.band.name.items)}
        return {"schema_version": self.schema_version, "total": self.total, "maximum": self.maximum,
                "schema_maximum": self.schema_maximum, "present": list(self.present), "missing": list(self.missing),
                "complete": self.complete, "band": band, "indicators": [line.to_json() for line in self.lines],
                "phrase": {"vi": self.phrase("vi"), "en": self.phrase("en")}}


def _order(indicator: Indicator, prefer: EntryBy) -> tuple[Basis, ...]:
    if prefer is EntryBy.SELF:
        return Basis.SELF, Basis.COMPUTED, Basis.DOSSIERS
    if indicator.scope is Scope.DOSSIER:
        # An agency's own score never replaces what its citizens' dossiers say.
        return Basis.APPRAISAL, Basis.COMPUTED, Basis.DOSSIERS
    return Basis.APPRAISAL, Basis.SELF, Basis.COMPUTED, Basis.DOSSIERS


def _line(indicator: Indicator, scored: tuple[int, int] | None, entries: list[AgencyEntry],
          prefer: EntryBy) -> IndicatorLine:
    total, count = scored if scored else (0, 0)
    if count < 0 or total < 0 or total > indicator.max_points * count:
        raise ValueError(f"indicator {indicator.id}: {total} points over {count} dossiers is impossible")
    mean = Fraction(total, count) if count else None
    given: dict[Basis, Fraction] = {}
    for entry in entries:  # the last entry of each kind wins
        points = Fraction(str(entry.points)) if isinstance(entry.points, float) else Fraction(entry.points)
        if not 0 <= points <= indicator.max_points:
            raise ValueError(f"indicator {indicator.id}: {entry.by} points {entry.points} outside 0..{indicator.max_points}")
        given[Basis(entry.by.value)] = points
    if mean is not None:
        given[Basis.DOSSIERS] = mean
    basis = next((b for b in _order(indicator, prefer) if b in given), None)
    return IndicatorLine(indicator.id, given.get(basis) if basis else None, basis, indicator.max_points, count, mean,
                         given.get(Basis.SELF), given.get(Basis.APPRAISAL), given.get(Basis.COMPUTED),
                         tuple(e.note for e in entries if e.note))


def agency_total(schema: Schema, dossier_totals: Mapping[int, tuple[int, int]] | None = None,
                 entries: Iterable[AgencyEntry] = (), *, prefer: EntryBy = EntryBy.APPRAISAL) -> AgencyTotal:
    """An agency's total for one period under ``schema``, over every indicator it lists.

    ``dossier_totals``: per-dossier indicators as (sum of points, dossiers scored), as a database
    sums them (e.g. ``{1: (37, 20), 3: (30, 20), …}``); their mean is used. ``entries``: figures
    per agency and period (self-score, appraisal, or computed: 8 from the register, 9 from
    online counts), each with a note. Which figure is used, in order: the appraisal, then the
    self-score (only for agency-scoped indicators; never over dossiers' answers), then a
    computed figure, then the dossiers' mean. ``prefer=EntryBy.SELF`` gives the self-score view
    (appraisals ignored). The band is given only when every indicator is present; otherwise
    ``band`` is None and ``phrase`` says "x of y indicators".
    """
    by_indicator: dict[int, list[AgencyEntry]] = {}
    for entry in entries:
        if schema.indicator(entry.indicator) is None:
            raise ValueError(f"the schema {schema.version} has no indicator {entry.indicator}")
        if prefer is EntryBy.SELF and entry.by is EntryBy.APPRAISAL:
            continue
        by_indicator.setdefault(entry.indicator, []).append(entry)
    scored = dict(dossier_totals or {})
    unknown = set(scored) - {i.id for i in schema.indicators}
    if unknown:
        raise ValueError(f"the schema {schema.version} has no indicator {min(unknown)}")
    lines = tuple(_line(ind, scored.get(ind.id), by_indicator.get(ind.id, []), prefer) for ind in schema.indicators)
    present = tuple(line.indicator for line in lines if line.points is not None)
    missing = tuple(line.indicator for line in lines if line.points is None)
    exact = sum((line.points for line in lines if line.points is not None), Fraction(0))
    total = round_one(exact)
    maximum = sum(line.maximum for line in lines if line.points is not None)
    band = band_for(total, schema.bands) if not missing else None
    return AgencyTotal(schema.version, total, maximum, schema.max_score, present, missing, band, lines)
