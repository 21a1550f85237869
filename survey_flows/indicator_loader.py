"""Reads one indicator of a schema file: source, scope, method, rule, params, points."""

from __future__ import annotations

from typing import Any, cast

from survey_flows.i18n import Localized
from survey_flows.schema import FILLED_BY_SOURCE, SOURCE_FILLED_BY, FilledBy, Indicator, Scope, Source, Threshold
from survey_flows.schema_parts import SCHEMA_LANGS, localized, points_table
from survey_flows.yamlpos import Findings, Path_

INDICATOR_KEYS = frozenset({"id", "name", "scope", "source", "filled_by", "method", "rule", "params", "points",
                            "thresholds"})

# The computations survey_flows.scoring knows, the sources each may read and the numbers
# (params) each accepts, with their defaults. A new indicator that needs no new arithmetic
# uses ``answer`` (the citizen's answer is the points) or ``agency_entry`` (entered per agency).
METHODS: dict[str, tuple[frozenset[Source], dict[str, float]]] = {
    "dates": (frozenset({Source.DATES}), {}),
    "unit_dates": (frozenset({Source.DATES}), {}),
    "contacts": (frozenset({Source.CITIZEN}), {}),
    "bodies": (frozenset({Source.CITIZEN}), {}),
    "answer": (frozenset({Source.CITIZEN}), {}),
    "timeliness_and_complaints": (frozenset({Source.CITIZEN, Source.REGISTER}), {"late_without_complaint": 0}),
    "complaint_handling": (frozenset({Source.REGISTER}), {"on_time_full": 100, "on_time_partial": 90}),
    "online_services": (frozenset({Source.AGENCY, Source.DATES}),
                        {"procedures_online_min": 20, "dossiers_online_full": 30, "dossiers_online_partial": 15}),
    "agency_entry": (frozenset({Source.AGENCY}), {}),
}


def read_indicator(found: Findings, item: Any, path: Path_) -> Indicator:
    spec = found.mapping(item, path, "an indicator")
    found.unknown_keys(spec, INDICATOR_KEYS, path, "indicator: ")
    iid = found.integer(spec.get("id"), path + ("id",), "indicator id") or 0
    scope = spec.get("scope")
    if scope not in Scope.__members__.values():
        known = ", ".join(s.value for s in Scope)
        found.add(path + ("scope",), f"indicator {iid}: unknown scope {scope!r} (expected one of: {known})",
                  f"chỉ số {iid}: phạm vi (scope) {scope!r} không hợp lệ (chọn một trong: {known})")
    source, filled_by = _source(found, spec, path, iid)
    method = spec.get("method", "")
    if method and method not in METHODS:
        found.add(path + ("method",), f"indicator {iid}: unknown method {method!r} (expected one of: "
                  f"{', '.join(METHODS)})",
                  f"chỉ số {iid}: cách tính (method) {method!r} không có (chọn một trong: {', '.join(METHODS)})")
    elif method and source is not None and source not in METHODS[method][0]:
        sources = ", ".join(sorted(METHODS[method][0]))
        found.add(path + ("method",), f"indicator {iid}: method {method!r} reads {sources}, not source {source}",
                  f"chỉ số {iid}: cách tính {method!r} dùng nguồn {sources}, không dùng nguồn {source}")
    thresholds = tuple(_threshold(found, t, path + ("thresholds", i))
                       for i, t in enumerate(spec.get("thresholds") or ()))
    rule = spec.get("rule")
    return Indicator(
        id=iid, name=localized(found, spec.get("name"), path + ("name",), f"indicator {iid} name", SCHEMA_LANGS),
        scope=Scope(cast(str, scope)) if scope in Scope.__members__.values() else Scope.DOSSIER,
        filled_by=filled_by,
        points=_indicator_points(found, spec.get("points"), path + ("points",), iid),
        thresholds=thresholds,
        source=source,
        method=str(method or ""),
        rule=localized(found, rule, path + ("rule",), f"indicator {iid} rule", SCHEMA_LANGS) if rule is not None
        else None,
        params=_params(found, spec.get("params"), path + ("params",), iid, str(method or "")),
    )


def _source(found: Findings, spec: dict[str, Any], path: Path_, iid: int) -> tuple[Source | None, FilledBy]:
    """``source`` (new) and ``filled_by`` (older); either may be given, both must agree."""
    raw_source, raw_filled = spec.get("source"), spec.get("filled_by")
    source = filled_by = None
    if raw_source is not None:
        if raw_source in Source.__members__.values():
            source = Source(raw_source)
        else:
            known = ", ".join(s.value for s in Source)
            found.add(path + ("source",), f"indicator {iid}: unknown source {raw_source!r} (expected one of: {known})",
                      f"chỉ số {iid}: nguồn (source) {raw_source!r} không hợp lệ (chọn một trong: {known})")
    if raw_filled is not None:
        if raw_filled in FilledBy.__members__.values():
            filled_by = FilledBy(raw_filled)
        else:
            found.add(path + ("filled_by",), f"indicator {iid}: unknown filled_by {raw_filled!r}",
                      f"chỉ số {iid}: filled_by {raw_filled!r} không hợp lệ")
    if raw_source is None and raw_filled is None:
        found.add(path, f"indicator {iid}: missing 'source' (dates, citizen, agency or register)",
                  f"chỉ số {iid}: thiếu 'source' (nguồn: dates, citizen, agency hoặc register)")
    if source is not None and filled_by is None:
        filled_by = SOURCE_FILLED_BY[source]
    if filled_by is None:
        filled_by = FilledBy.SYSTEM
    if source is None and raw_filled in FilledBy.__members__.values():
        source = FILLED_BY_SOURCE[filled_by]
    return source, filled_by


def _indicator_points(found: Findings, value: Any, path: Path_, iid: int) -> tuple[tuple[int, Localized], ...]:
    points = points_table(found, value, path, f"indicator {iid} points")
    if value is not None and not points:
        found.add(path, f"indicator {iid}: needs at least one points entry, e.g. 2: {{vi: …, en: …}}",
                  f"chỉ số {iid}: cần ít nhất một mức điểm, ví dụ 2: {{vi: …, en: …}}")
    for number, _ in points:
        if number < 0:
            found.add(path + (number,), f"indicator {iid}: points cannot be negative ({number})",
                      f"chỉ số {iid}: điểm không được âm ({number})")
    return points


def _params(found: Findings, value: Any, path: Path_, iid: int, method: str) -> tuple[tuple[str, Any], ...]:
    """The method's numbers, defaults filled in; an unknown or non-numeric one is a problem."""
    table = found.mapping(value, path, f"indicator {iid} params")
    defaults = METHODS[method][1] if method in METHODS else {}
    out = dict(defaults)
    for key, number in table.items():
        if key not in defaults:
            allowed = ", ".join(defaults) or "none"
            found.add(path + (key,), f"indicator {iid}: method {method or '(none)'!r} has no parameter {key!r} "
                      f"(allowed: {allowed})",
                      f"chỉ số {iid}: cách tính {method or '(không có)'!r} không có tham số {key!r} "
                      f"(được dùng: {'không có' if not defaults else ', '.join(defaults)})")
        elif not isinstance(number, (int, float)) or isinstance(number, bool) or number < 0:
            found.add(path + (key,), f"indicator {iid}: parameter {key!r} must be a number ≥ 0, not {number!r}",
                      f"chỉ số {iid}: tham số {key!r} phải là số ≥ 0, không phải {number!r}")
        else:
            out[key] = number
    return tuple(sorted(out.items()))


def _threshold(found: Findings, item: Any, path: Path_) -> Threshold:
    spec = found.mapping(item, path, "a threshold")
    low = found.integer(spec.get("from", 0), path + ("from",), "threshold from") or 0
    high = spec.get("to")
    high = None if high is None else found.integer(high, path + ("to",), "threshold to")
    points = found.integer(spec.get("points"), path + ("points",), "threshold points") or 0
    return Threshold(low, high, points)
