"""Reads ``schema.yaml`` into a ``Schema`` and refuses an inconsistent one."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from survey_flows.errors import SchemaInvalid
from survey_flows.i18n import Localized
from survey_flows.schema import (
    Band, Field, FieldType, FilledBy, Indicator, Option, Scale, Schema, Scope, Threshold,
)
from survey_flows.yamlpos import Findings, Path_, load_located

SCHEMA_LANGS = ("vi", "en")


def shipped_schema_path() -> Path:
    """Where the default schema file lives inside the package."""
    return Path(str(resources.files("survey_flows") / "data" / "schema.yaml"))


def load_schema(path: str | Path | None = None) -> Schema:
    """Read and check a schema file (default: the shipped one); raises ``SchemaInvalid``."""
    file = Path(path) if path is not None else shipped_schema_path()
    located, problems = load_located(file.read_text(encoding="utf-8"), str(file))
    if located is None or problems:
        raise SchemaInvalid(problems)
    found = Findings(str(file), located)
    schema = _schema(found, found.mapping(located.data, (), "the schema"))
    if found.problems:
        raise SchemaInvalid(found.problems)
    return schema


def localized(found: Findings, value: Any, path: Path_, what: str,
              languages: tuple[str, ...]) -> Localized:
    """A ``{vi: …, en: …}`` text; every language in ``languages`` must be present."""
    if not isinstance(value, dict) or not value:
        found.add(path, f"{what} must be a mapping of languages, e.g. {{vi: \"…\", en: \"…\"}}")
        return Localized(())
    table = value
    for lang in languages:
        if not (isinstance(table.get(lang), str) and table[lang].strip()):
            found.add(path, f"{what} lacks language {lang!r}")
    return Localized.of({k: v for k, v in table.items() if isinstance(v, str)})


def _schema(found: Findings, data: dict) -> Schema:
    version = data.get("version")
    if not isinstance(version, str) or not version:
        found.add(("version",), "version must be a non-empty string")
    indicators = tuple(_indicator(found, item, ("indicators", i))
                       for i, item in enumerate(found.sequence(data.get("indicators"), ("indicators",), "indicators")))
    schema = Schema(
        version=str(version),
        indicators=indicators,
        levels=_points(found, data.get("levels"), ("levels",), "levels"),
        fields=(),
        reasons=_reasons(found, data.get("reasons")),
        scales=(),
        channels=tuple((str(code), localized(found, text, ("channels", code), f"channel {code!r}", SCHEMA_LANGS))
                       for code, text in found.mapping(data.get("channels"), ("channels",), "channels").items()),
        bands=_bands(found, data.get("bands")),
    )
    fields = tuple(_field(found, schema, name, spec)
                   for name, spec in found.mapping(data.get("fields"), ("fields",), "fields").items())
    scales = tuple(_scale(found, schema, sid, spec)
                   for sid, spec in found.mapping(data.get("scales"), ("scales",), "scales").items())
    schema = replace(schema, fields=fields, scales=scales)
    for message, index in band_problems(schema.bands, schema.max_score):
        found.add(("bands", index), message)
    return schema


def _points(found: Findings, value: Any, path: Path_, what: str) -> tuple[tuple[int, Localized], ...]:
    table = found.mapping(value, path, what)
    out = []
    for key, text in table.items():
        if found.integer(key, path + (key,), f"{what} key") is not None:
            out.append((key, localized(found, text, path + (key,), f"{what} {key}", SCHEMA_LANGS)))
    return tuple(sorted(out, key=lambda pair: -pair[0]))


def _indicator(found: Findings, item: Any, path: Path_) -> Indicator:
    spec = found.mapping(item, path, "an indicator")
    iid = found.integer(spec.get("id"), path + ("id",), "indicator id") or 0
    scope, filled_by = spec.get("scope"), spec.get("filled_by")
    if scope not in Scope.__members__.values():
        found.add(path + ("scope",), f"indicator {iid}: unknown scope {scope!r}")
    if filled_by not in FilledBy.__members__.values():
        found.add(path + ("filled_by",), f"indicator {iid}: unknown filled_by {filled_by!r}")
    thresholds = tuple(_threshold(found, t, path + ("thresholds", i))
                       for i, t in enumerate(spec.get("thresholds") or ()))
    return Indicator(
        id=iid, name=localized(found, spec.get("name"), path + ("name",), f"indicator {iid} name", SCHEMA_LANGS),
        scope=Scope(scope) if scope in Scope.__members__.values() else Scope.DOSSIER,
        filled_by=FilledBy(filled_by) if filled_by in FilledBy.__members__.values() else FilledBy.SYSTEM,
        points=_points(found, spec.get("points"), path + ("points",), f"indicator {iid} points"),
        thresholds=thresholds,
    )


def _threshold(found: Findings, item: Any, path: Path_) -> Threshold:
    spec = found.mapping(item, path, "a threshold")
    low = found.integer(spec.get("from", 0), path + ("from",), "threshold from") or 0
    high = spec.get("to")
    high = None if high is None else found.integer(high, path + ("to",), "threshold to")
    points = found.integer(spec.get("points"), path + ("points",), "threshold points") or 0
    return Threshold(low, high, points)


def _field(found: Findings, schema: Schema, name: str, spec: Any) -> Field:
    path = ("fields", name)
    spec = found.mapping(spec, path, f"field {name!r}")
    kind = spec.get("type")
    if kind not in FieldType.__members__.values():
        found.add(path + ("type",), f"field {name!r}: unknown type {kind!r}")
        kind = FieldType.TEXT
    indicator = spec.get("indicator")
    if kind == FieldType.POINTS and schema.indicator(indicator) is None:
        found.add(path + ("indicator",), f"field {name!r}: unknown indicator {indicator!r}")
    label = spec.get("name")
    return Field(name, FieldType(kind), indicator if kind == FieldType.POINTS else None,
                 localized(found, label, path + ("name",), f"field {name!r} name", SCHEMA_LANGS) if label else None)


def _reasons(found: Findings, value: Any) -> tuple[Option, ...]:
    out = []
    for i, item in enumerate(found.sequence(value, ("reasons",), "reasons")):
        spec = found.mapping(item, ("reasons", i), "a reason")
        code = spec.get("code")
        if not isinstance(code, str) or not code:
            found.add(("reasons", i), "a reason needs a code")
        label = localized(found, spec.get("label"), ("reasons", i, "label"), f"reason {code!r}", SCHEMA_LANGS)
        out.append(Option(None, None, label, tuple(map(str, spec.get("aliases") or ())), str(code)))
    return tuple(out)


def _scale(found: Findings, schema: Schema, sid: str, spec: Any) -> Scale:
    path = ("scales", sid)
    spec = found.mapping(spec, path, f"scale {sid!r}")
    levels = {level for level, _ in schema.levels}
    options = []
    for i, item in enumerate(found.sequence(spec.get("options"), path + ("options",), f"scale {sid!r} options")):
        opath = path + ("options", i)
        ospec = found.mapping(item, opath, "an option")
        value = found.integer(ospec.get("value"), opath + ("value",), f"scale {sid!r} option value")
        level = ospec.get("level")
        if level not in levels:
            found.add(opath + ("level",), f"scale {sid!r}: option {value!r} maps to unknown level {level!r}")
        label = localized(found, ospec.get("label"), opath + ("label",), f"scale {sid!r} option {value!r}", SCHEMA_LANGS)
        options.append(Option(value, level, label, tuple(map(str, ospec.get("aliases") or ()))))
    name = localized(found, spec.get("name"), path + ("name",), f"scale {sid!r} name", SCHEMA_LANGS)
    return Scale(str(sid), name, tuple(options))


def _bands(found: Findings, value: Any) -> tuple[Band, ...]:
    out = []
    for i, item in enumerate(found.sequence(value, ("bands",), "bands")):
        spec = found.mapping(item, ("bands", i), "a band")
        code = str(spec.get("code"))
        low, high = (_number(found, spec.get(k), ("bands", i, k), f"band {code!r} {k!r}") for k in ("from", "to"))
        name = localized(found, spec.get("name"), ("bands", i, "name"), f"band {code!r} name", SCHEMA_LANGS)
        out.append(Band(code, low, high, name))
    return tuple(out)


def _number(found: Findings, value: Any, path: Path_, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    found.add(path, f"{what} must be a number, not {value!r}")
    return 0.0


def tenths(value: float) -> int | None:
    """``value`` as an exact count of tenths, or None when it is off the 0.1 grid."""
    try:
        scaled = Decimal(repr(value)) * 10
    except InvalidOperation:
        return None
    return int(scaled) if scaled == scaled.to_integral_value() else None


def band_problems(bands: tuple[Band, ...], max_score: int) -> list[tuple[str, int]]:
    """Why the bands fail to cover ``0..max_score`` exactly once, with the band's index."""
    out: list[tuple[str, int]] = []
    grid = []
    for index, band in enumerate(bands):
        low, high = tenths(band.low), tenths(band.high)
        if low is None or high is None:
            out.append((f"band {band.code!r}: bounds must be on the 0.1 grid", index))
        elif low > high:
            out.append((f"band {band.code!r}: 'from' {band.low} is above 'to' {band.high}", index))
        else:
            grid.append((low, high, index, band.code))
    expect, previous = 0, None
    for low, high, index, code in sorted(grid):
        if low > expect:
            out.append((f"rating bands leave a gap: {expect / 10}..{(low - 1) / 10} is in no band", index))
        elif low < expect:
            out.append((f"rating bands overlap: band {code!r} starts at {low / 10}, inside band {previous!r}", index))
        expect, previous = max(expect, high + 1), code
    last = max(grid)[2] if grid else 0
    if expect <= max_score * 10:
        out.append((f"rating bands leave a gap: {expect / 10}..{float(max_score)} is in no band", last))
    elif expect > max_score * 10 + 1:
        out.append((f"rating bands go beyond the maximum score {max_score}", last))
    return out
