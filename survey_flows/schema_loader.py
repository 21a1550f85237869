"""Reads ``schema.yaml`` into a ``Schema`` and refuses an inconsistent one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from survey_flows.bands import band_findings, band_problems, tenths
from survey_flows.errors import SchemaInvalid
from survey_flows.indicator_loader import METHODS, read_indicator
from survey_flows.problems import Problem
from survey_flows.schema import Band, Digits, Field, FieldType, Option, Scale, Schema
from survey_flows.schema_parts import SCHEMA_LANGS, day, localized, number, points_table
from survey_flows.versions import version_problems
from survey_flows.yamlpos import Findings, load_located

__all__ = [
    "METHODS", "SCHEMA_LANGS", "band_problems", "check_schema_text", "load_schema", "load_schema_text", "localized",
    "schema_template_path", "shipped_schema_path", "tenths",
]

SCHEMA_KEYS = frozenset({"version", "effective_from", "effective_to", "source", "indicators", "levels", "fields",
                         "reasons", "scales", "channels", "bands"})


def shipped_schema_path() -> Path:
    """Where the default schema file lives inside the package."""
    return Path(str(resources.files("survey_flows") / "data" / "schema.yaml"))


def schema_template_path() -> Path:
    """The commented template an admin copies to write the next schema version."""
    return Path(str(resources.files("survey_flows") / "data" / "schema-template.yaml"))


def load_schema(path: str | Path | None = None) -> Schema:
    """Read and check a schema file (default: the shipped one); raises ``SchemaInvalid``."""
    file = Path(path) if path is not None else shipped_schema_path()
    return load_schema_text(file.read_text(encoding="utf-8"), str(file))


def _read(text: str, name: str, existing: Sequence[Schema] = ()) -> tuple[Schema | None, list[Problem]]:
    located, problems = load_located(text, name)
    if located is None or problems:
        return None, list(problems)
    found = Findings(name, located)
    if not isinstance(located.data, dict):
        found.add((), "the schema must be a mapping of keys (version, indicators, …)",
                  "bộ chỉ số phải là một bảng khóa (version, indicators, …)")
        return None, found.problems
    schema = _schema(found, located.data)
    if existing:
        before = {str(p) for p in version_problems(existing)}
        for problem in version_problems([*existing, schema]):
            if str(problem) not in before:
                where = ("version",) if "twice" in problem.message else ("effective_from",)
                found.add(where, problem.message, problem.vi)
    return schema, sorted(found.problems, key=lambda p: p.line)


def check_schema_text(text: str, name: str = "schema.yaml", existing: Sequence[Schema] = ()) -> list[Problem]:
    """Every problem of a schema file's text, by line, in Vietnamese and English; [] when valid.

    The admin's ``hailong schema check FILE``: nothing is stored. Each ``Problem`` has
    ``message`` (English) and ``vi``; ``problem.bilingual()`` prints both. With ``existing``
    (the versions already loaded) it also reports what adding this one would break: a version
    name already used, a start on the same day as another, an overlap or a gap.
    """
    return _read(text, name, existing)[1]


def load_schema_text(text: str, name: str = "schema.yaml", existing: Sequence[Schema] = ()) -> Schema:
    """The ``Schema`` written in ``text``; raises ``SchemaInvalid`` listing every problem.

    What an admin loads for a new legal text (e.g. Decree 118/2025, Circular 03/2025): the
    caller stores the text with its ``version`` and ``effective_from``; nothing here touches
    storage. ``name`` only labels the problems (``name:line: …``).
    """
    schema, problems = _read(text, name, existing)
    if schema is None or problems:
        raise SchemaInvalid(problems)
    return schema


def _schema(found: Findings, data: dict[str, Any]) -> Schema:
    found.unknown_keys(data, SCHEMA_KEYS, (), "")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        found.add(("version",), "version must be a non-empty string, e.g. \"tt03-2025.1\"",
                  "version (phiên bản) phải là một chuỗi không rỗng, ví dụ \"tt03-2025.1\"")
    effective_from = day(found, data.get("effective_from"), ("effective_from",), "effective_from")
    effective_to = day(found, data.get("effective_to"), ("effective_to",), "effective_to")
    if effective_from and effective_to and effective_to < effective_from:
        found.add(("effective_to",), f"effective_to {effective_to} is before effective_from {effective_from}",
                  f"ngày hết hiệu lực {effective_to} trước ngày có hiệu lực {effective_from}")
    indicators = tuple(read_indicator(found, item, ("indicators", i))
                       for i, item in enumerate(found.sequence(data.get("indicators"), ("indicators",), "indicators")))
    seen: dict[int, int] = {}
    for i, indicator in enumerate(indicators):
        if indicator.id in seen:
            found.add(("indicators", i, "id"), f"indicator {indicator.id} is listed twice",
                      f"chỉ số {indicator.id} bị khai báo hai lần")
        seen.setdefault(indicator.id, i)
    if not indicators:
        found.add(("indicators",), "a schema needs at least one indicator", "bộ chỉ số cần ít nhất một chỉ số")
    source = data.get("source")
    schema = Schema(
        version=str(version),
        indicators=indicators,
        levels=points_table(found, data.get("levels"), ("levels",), "levels"),
        fields=(),
        reasons=_reasons(found, data.get("reasons")),
        scales=(),
        channels=tuple((str(code), localized(found, text, ("channels", code), f"channel {code!r}", SCHEMA_LANGS))
                       for code, text in found.mapping(data.get("channels"), ("channels",), "channels").items()),
        bands=_bands(found, data.get("bands")),
        effective_from=effective_from,
        effective_to=effective_to,
        source=localized(found, source, ("source",), "source", SCHEMA_LANGS) if source is not None else None,
    )
    fields = tuple(_field(found, schema, name, spec)
                   for name, spec in found.mapping(data.get("fields"), ("fields",), "fields").items())
    scales = tuple(_scale(found, schema, sid, spec)
                   for sid, spec in found.mapping(data.get("scales"), ("scales",), "scales").items())
    schema = replace(schema, fields=fields, scales=scales)
    for message, vi, index in band_findings(schema.bands, schema.max_score):
        found.add(("bands", index), message, vi)
    return schema


def _field(found: Findings, schema: Schema, name: str, spec: Any) -> Field:
    path = ("fields", name)
    spec = found.mapping(spec, path, f"field {name!r}")
    kind = spec.get("type")
    if kind not in FieldType.__members__.values():
        found.add(path + ("type",), f"field {name!r}: unknown type {kind!r}",
                  f"trường {name!r}: kiểu {kind!r} không hợp lệ")
        kind = FieldType.TEXT
    indicator = spec.get("indicator")
    if kind == FieldType.POINTS and schema.indicator(indicator) is None:
        found.add(path + ("indicator",), f"field {name!r}: unknown indicator {indicator!r}",
                  f"trường {name!r}: không có chỉ số {indicator!r}")
    label = spec.get("name")
    return Field(name, FieldType(kind), indicator if kind == FieldType.POINTS else None,
                 localized(found, label, path + ("name",), f"field {name!r} name", SCHEMA_LANGS) if label else None)


def _reasons(found: Findings, value: Any) -> tuple[Option, ...]:
    out = []
    for i, item in enumerate(found.sequence(value, ("reasons",), "reasons")):
        spec = found.mapping(item, ("reasons", i), "a reason")
        code = spec.get("code")
        if not isinstance(code, str) or not code:
            found.add(("reasons", i), "a reason needs a code", "mỗi lý do cần một mã (code)")
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
            found.add(opath + ("level",), f"scale {sid!r}: option {value!r} maps to unknown level {level!r}",
                      f"thang {sid!r}: lựa chọn {value!r} ứng với mức {level!r} không có trong levels")
        label = localized(found, ospec.get("label"), opath + ("label",), f"scale {sid!r} option {value!r}", SCHEMA_LANGS)
        options.append(Option(value, level, label, tuple(map(str, ospec.get("aliases") or ()))))
    name = localized(found, spec.get("name"), path + ("name",), f"scale {sid!r} name", SCHEMA_LANGS)
    digits = spec.get("digits", Digits.POSITION.value)
    if digits not in Digits.__members__.values():
        found.add(path + ("digits",), f"scale {sid!r}: digits must be 'value' or 'position', not {digits!r}",
                  f"thang {sid!r}: digits phải là 'value' (số là giá trị) hoặc 'position' (số là thứ tự), "
                  f"không phải {digits!r}")
        digits = Digits.POSITION.value
    values = [o.value for o in options]
    if digits == Digits.VALUE and (len(set(values)) != len(values) or any(v is None or v < 1 for v in values)):
        found.add(path + ("digits",), f"scale {sid!r}: with digits: value, option values must differ and be ≥ 1",
                  f"thang {sid!r}: khi digits: value, giá trị các lựa chọn phải khác nhau và ≥ 1")
    return Scale(str(sid), name, tuple(options), Digits(digits))


def _bands(found: Findings, value: Any) -> tuple[Band, ...]:
    out = []
    for i, item in enumerate(found.sequence(value, ("bands",), "bands")):
        spec = found.mapping(item, ("bands", i), "a band")
        code = str(spec.get("code"))
        low, high = (number(found, spec.get(k), ("bands", i, k), f"band {code!r} {k!r}") for k in ("from", "to"))
        name = localized(found, spec.get("name"), ("bands", i, "name"), f"band {code!r} name", SCHEMA_LANGS)
        out.append(Band(code, low, high, name))
    return tuple(out)


