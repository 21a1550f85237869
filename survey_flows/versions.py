"""Schema versions over time: which one is in force on a day, and how a period splits between them.

Each ``Schema`` carries ``effective_from`` (and optionally ``effective_to``); without
``effective_to`` a version lasts until the next one starts. A report over a period that spans
two versions reports each span separately (``version_spans``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from survey_flows.schema import Schema

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class VersionSpan:
    """The days ``start..end`` (both included) of a period scored by ``schema`` (None: no schema in force)."""

    schema: Schema | None
    start: date
    end: date

    @property
    def version(self) -> str | None:
        return self.schema.version if self.schema is not None else None

    def to_json(self) -> dict[str, str | None]:
        return {"version": self.version, "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True, slots=True)
class VersionProblem:
    """Why a set of versions is not a clean succession: English ``message`` and Vietnamese ``vi``."""

    version: str
    message: str
    vi: str

    def __str__(self) -> str:
        return f"{self.version}: {self.message}"


def _ordered(versions: Iterable[Schema]) -> list[Schema]:
    return sorted(versions, key=lambda s: (s.effective_from or date.min, s.version))


def _last_day(schema: Schema, following: Schema | None) -> date:
    """The last day ``schema`` applies: its ``effective_to``, else the day before the next one starts."""
    ends = [schema.effective_to] if schema.effective_to is not None else []
    if following is not None and following.effective_from is not None:
        ends.append(following.effective_from - _DAY)
    return min(ends) if ends else date.max


def schema_in_force(versions: Iterable[Schema], day: date) -> Schema | None:
    """The version that applies on ``day``: the latest ``effective_from`` on or before it, unless
    that version's ``effective_to`` has passed. None when no version covers the day."""
    ordered = _ordered(versions)
    for index in range(len(ordered) - 1, -1, -1):
        schema = ordered[index]
        if (schema.effective_from or date.min) <= day:
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            return schema if day <= _last_day(schema, following) else None
    return None


def version_spans(versions: Iterable[Schema], start: date, end: date) -> tuple[VersionSpan, ...]:
    """How ``start..end`` splits between versions, in order; days no version covers form a span
    with ``schema`` None. A quarter from 15 Jun to 14 Sep 2025 with a new schema from 1 Jul gives
    two spans: 15–30 Jun (old) and 1 Jul–14 Sep (new)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    ordered = _ordered(versions)
    spans: list[VersionSpan] = []
    day = start
    while day <= end:
        schema = schema_in_force(ordered, day)
        if schema is not None:
            index = ordered.index(schema)
            last = _last_day(schema, ordered[index + 1] if index + 1 < len(ordered) else None)
        else:
            starts = [s.effective_from for s in ordered if s.effective_from is not None and s.effective_from > day]
            last = min(starts) - _DAY if starts else date.max
        last = min(last, end)
        spans.append(VersionSpan(schema, day, last))
        if last == date.max:
            break
        day = last + _DAY
    return tuple(spans)


def version_problems(versions: Sequence[Schema]) -> list[VersionProblem]:
    """Duplicate version names, overlaps (two versions on the same day) and gaps (days none covers)."""
    problems: list[VersionProblem] = []
    seen: set[str] = set()
    for schema in versions:
        if schema.version in seen:
            problems.append(VersionProblem(schema.version, f"version {schema.version!r} is loaded twice",
                                           f"phiên bản {schema.version!r} bị nạp hai lần"))
        seen.add(schema.version)
    undated = [s for s in versions if s.effective_from is None]
    if len(undated) > 1 or (undated and len(versions) > 1):
        for schema in undated:
            problems.append(VersionProblem(schema.version, "has no effective_from, so it cannot be placed among "
                                           "the other versions",
                                           "thiếu effective_from (ngày có hiệu lực) nên không xếp được với các "
                                           "phiên bản khác"))
    dated = _ordered(s for s in versions if s.effective_from is not None)
    for before, after in zip(dated, dated[1:]):
        assert before.effective_from is not None and after.effective_from is not None
        if before.effective_from == after.effective_from:
            problems.append(VersionProblem(after.version, f"starts on {after.effective_from}, the same day as "
                                           f"{before.version!r}: two versions would be in force",
                                           f"có hiệu lực từ {after.effective_from}, cùng ngày với {before.version!r}: "
                                           f"hai phiên bản cùng hiệu lực"))
        elif before.effective_to is not None and before.effective_to >= after.effective_from:
            problems.append(VersionProblem(after.version, f"starts on {after.effective_from}, before "
                                           f"{before.version!r} ends ({before.effective_to}): overlap",
                                           f"có hiệu lực từ {after.effective_from}, trước khi {before.version!r} "
                                           f"hết hiệu lực ({before.effective_to}): chồng thời gian"))
        elif before.effective_to is not None and before.effective_to + _DAY < after.effective_from:
            gap_from, gap_to = before.effective_to + _DAY, after.effective_from - _DAY
            problems.append(VersionProblem(after.version, f"no version is in force from {gap_from} to {gap_to}",
                                           f"không có phiên bản nào có hiệu lực từ {gap_from} đến {gap_to}"))
    return problems
