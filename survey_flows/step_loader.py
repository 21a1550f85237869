"""Reads and checks one flow step against the schema, resolving its options."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from survey_flows.flow import Step, StepKind
from survey_flows.i18n import CATALOG_LANGS, PLACEHOLDERS, Localized, Words, gettext, placeholders_in
from survey_flows.schema import Field, FieldType, FilledBy, Option, Schema
from survey_flows.schema_loader import localized
from survey_flows.when_loader import read_when
from survey_flows.yamlpos import Findings, Path_

KINDS = ", ".join(sorted(k.value for k in StepKind))
COMMON_KEYS = frozenset({"id", "kind", "text", "sms", "screen", "when"})
KIND_KEYS: dict[StepKind, frozenset[str]] = {
    StepKind.CHOICE: frozenset({"kiosk", "writes", "scale", "options"}),
    StepKind.NUMBER: frozenset({"kiosk", "writes", "min", "max"}),
    StepKind.YESNO: frozenset({"kiosk", "writes", "yes", "no"}),
    StepKind.REASONS: frozenset({"kiosk", "writes"}),
    StepKind.TEXT: frozenset({"kiosk", "writes", "optional"}),
    StepKind.MESSAGE: frozenset(),
}
# Which field types each kind can fill.
KIND_FIELDS: dict[StepKind, frozenset[FieldType]] = {
    StepKind.CHOICE: frozenset({FieldType.POINTS, FieldType.LEVEL}),
    StepKind.NUMBER: frozenset({FieldType.POINTS}),
    StepKind.YESNO: frozenset({FieldType.POINTS, FieldType.LEVEL}),
    StepKind.REASONS: frozenset({FieldType.REASONS}),
    StepKind.TEXT: frozenset({FieldType.TEXT}),
}
NUMBER_MAX = 99


class StepContext:
    """What a step needs to know about its flow while it is read."""

    def __init__(self, found: Findings, schema: Schema, languages: tuple[str, ...]) -> None:
        self.found, self.schema, self.languages = found, schema, languages
        self.earlier: dict[str, bool] = {}  # step id -> records an answer
        self.writers: dict[str, str] = {}  # field -> step id


def read_step(ctx: StepContext, spec: dict[str, Any], path: Path_, sid: str, later: set[str]) -> Step | None:
    """A Step, or None when its kind is unknown; problems go to ``ctx.found``."""
    found, where = ctx.found, Words(f"step {sid!r}: ", f"câu {sid!r}: ")
    kind_raw = spec.get("kind")
    if kind_raw is None:
        found.say(path, "{where}missing 'kind' (one of: {kinds})", where=where, kinds=KINDS)
        return None
    if kind_raw not in StepKind.__members__.values():
        found.say(path + ("kind",), "{where}unknown kind {kind!r} (expected one of: {kinds})", where=where,
                  kind=kind_raw, kinds=KINDS)
        return None
    kind = StepKind(kind_raw)
    found.unknown_keys(spec, COMMON_KEYS | KIND_KEYS[kind], path, where)
    text = _text(ctx, spec.get("text"), path + ("text",), where.then("text", "lời hỏi (text)"))
    sms = _text(ctx, spec["sms"], path + ("sms",), where.then("sms", "lời SMS (sms)")) if "sms" in spec else None
    screen = (_text(ctx, spec["screen"], path + ("screen",), where.then("screen", "lời trên trang (screen)"))
              if "screen" in spec else None)
    when = read_when(found, spec["when"], path + ("when",), where, ctx.earlier, later) if "when" in spec else None
    step = Step(sid, kind, text, sms, screen, when=when)
    if kind is StepKind.MESSAGE:
        return step
    field = _field(ctx, spec, path, where, kind, sid)
    return _answer_step(ctx, spec, path, where, step, field)


def _text(ctx: StepContext, value: Any, path: Path_, what: Words) -> Localized:
    if value is None:
        ctx.found.say(path, "{what} is missing", what=what)
        return Localized(())
    text = localized(ctx.found, value, path, what, ctx.languages)
    for name in sorted(set().union(*(placeholders_in(t) for t in text.values())) - PLACEHOLDERS):
        ctx.found.say(path, "{what} uses unknown placeholder {{{name}}}", what=what, name=name)
    return text


def _field(ctx: StepContext, spec: dict[str, Any], path: Path_, where: Words, kind: StepKind, sid: str) -> Field | None:
    name = spec.get("writes")
    if name is None:
        ctx.found.say(path, "{where}missing 'writes' (the schema field it fills)", where=where)
        return None
    field = ctx.schema.field(str(name))
    if field is None:
        ctx.found.say(path + ("writes",), "{where}unknown schema field {name!r}", where=where, name=name)
    elif _computed(ctx.schema, field):
        ctx.found.say(path + ("writes",), "{where}field {name!r} is computed from the dossier's dates; a flow cannot ask for it",
                      where=where, name=name)
        return None
    elif field.type not in KIND_FIELDS[kind]:
        ctx.found.say(path + ("writes",), "{where}a {kind} step cannot write {name!r} (a {type} field)", where=where,
                      kind=str(kind), name=name, type=str(field.type))
        return None
    elif name in ctx.writers:
        ctx.found.say(path + ("writes",), "{where}field {name!r} is already written by step {other!r}", where=where,
                      name=name, other=ctx.writers[name])
    else:
        ctx.writers[name] = sid
    return field


def _computed(schema: Schema, field: Field) -> bool:
    indicator = schema.indicator(field.indicator) if field.indicator is not None else None
    return indicator is not None and indicator.filled_by is FilledBy.COMPUTED


def _answer_step(ctx: StepContext, spec: dict[str, Any], path: Path_, where: Words, step: Step, field: Field | None) -> Step:
    kiosk = spec.get("kiosk")
    if kiosk is not None and not isinstance(kiosk, bool):
        ctx.found.say(path + ("kiosk",), "{where}'kiosk' must be true or false", where=where)
    base = replace(step, writes=field.name if field else spec.get("writes"),
                   level_field=bool(field and field.type is FieldType.LEVEL),
                   kiosk=kiosk if isinstance(kiosk, bool) else None)
    if step.kind is StepKind.CHOICE:
        scale = ctx.schema.scale(str(spec["scale"])) if "scale" in spec else None
        return replace(base, scale=spec.get("scale"), options=_choice_options(ctx, spec, path, where, field),
                       digits=scale.digits if scale is not None else base.digits)
    if step.kind is StepKind.NUMBER:
        return _number(ctx, spec, path, where, base, field)
    if step.kind is StepKind.YESNO:
        return replace(base, options=_yesno_options(ctx, spec, path, where, field))
    if step.kind is StepKind.REASONS:
        return replace(base, options=ctx.schema.reasons)
    optional = spec.get("optional", False)
    if not isinstance(optional, bool):
        ctx.found.say(path + ("optional",), "{where}'optional' must be true or false", where=where)
    return replace(base, optional=optional is True)


def _choice_options(ctx: StepContext, spec: dict[str, Any], path: Path_, where: Words, field: Field | None) -> tuple[Option, ...]:
    found = ctx.found
    if ("scale" in spec) == ("options" in spec):
        found.say(path, "{where}a choice step needs either 'scale' or 'options'", where=where)
        return ()
    if "scale" in spec:
        scale = ctx.schema.scale(str(spec["scale"]))
        if scale is None:
            known = ", ".join(s.id for s in ctx.schema.scales)
            found.say(path + ("scale",), "{where}unknown scale {scale!r} (expected one of: {known})", where=where,
                      scale=spec["scale"], known=known)
            return ()
        raw = [(o, path + ("scale",)) for o in scale.options]
    else:
        raw = [(_own_option(ctx, item, path + ("options", i), where), path + ("options", i))
               for i, item in enumerate(found.sequence(spec["options"], path + ("options",),
                                                       where.then("options", "lựa chọn (options)")))]
        if len(raw) < 2:
            found.say(path + ("options",), "{where}needs at least two options", where=where)
    return tuple(_mapped(ctx, option, opath, where, field) for option, opath in raw)


def _own_option(ctx: StepContext, item: Any, path: Path_, where: Words) -> Option:
    spec = ctx.found.mapping(item, path, where.then("an option", "một lựa chọn"))
    ctx.found.unknown_keys(spec, frozenset({"value", "level", "label", "aliases"}), path,
                           where.then("option: ", "lựa chọn: "))
    value = ctx.found.integer(spec.get("value"), path + ("value",), where.then("option value", "giá trị lựa chọn"))
    level = spec.get("level")
    if level is not None:
        level = ctx.found.integer(level, path + ("level",), where.then("option level", "mức của lựa chọn"))
    label = localized(ctx.found, spec.get("label"), path + ("label",),
                      where.then(f"option {value!r} label", f"nhãn của lựa chọn {value!r}"), ctx.languages)
    return Option(value, level, label, tuple(str(a) for a in spec.get("aliases") or ()))


def _mapped(ctx: StepContext, option: Option, path: Path_, where: Words, field: Field | None) -> Option:
    """The option as the field stores it; a value that maps to nothing is a problem."""
    if field is None:
        return option
    allowed = ctx.schema.allowed_values(field)
    shown = ", ".join(str(v) for v in sorted(allowed))
    if field.type is FieldType.POINTS:
        if option.value not in allowed:
            ctx.found.say(path, "{where}option value {value!r} is not allowed for field {field!r} (allowed: {shown})",
                          where=where, value=option.value, field=field.name, shown=shown)
        return replace(option, level=None)
    if option.level is None:
        ctx.found.say(path, "{where}option value {value!r} has no level for field {field!r}", where=where,
                      value=option.value, field=field.name)
    elif option.level not in allowed:
        ctx.found.say(path, "{where}option value {value!r} maps to level {level!r}, not a satisfaction level "
                            "(allowed: {shown})", where=where, value=option.value, level=option.level, shown=shown)
    return option


def _yesno_options(ctx: StepContext, spec: dict[str, Any], path: Path_, where: Words, field: Field | None) -> tuple[Option, ...]:
    options = []
    for key, msgid in (("yes", "Yes"), ("no", "No")):
        if key not in spec:
            ctx.found.say(path, "{where}missing {key!r} (the value a {key} records)", where=where, key=key)
            continue
        value = ctx.found.integer(spec[key], path + (key,), where.then(repr(key), repr(key)))
        label = Localized.of({lang: gettext(lang if lang in CATALOG_LANGS else "vi", msgid) for lang in ctx.languages})
        level = value if field is not None and field.type is FieldType.LEVEL else None
        options.append(_mapped(ctx, Option(value, level, label), path + (key,), where, field))
    return tuple(options)


def _number(ctx: StepContext, spec: dict[str, Any], path: Path_, where: Words, step: Step, field: Field | None) -> Step:
    low = ctx.found.integer(spec.get("min", 0), path + ("min",), where.then("'min'", "'min'"))
    high = ctx.found.integer(spec.get("max", NUMBER_MAX), path + ("max",), where.then("'max'", "'max'"))
    if low is None or high is None:
        return step
    if low > high:
        ctx.found.say(path + ("min",), "{where}'min' {low} is above 'max' {high}", where=where, low=low, high=high)
    indicator = ctx.schema.indicator(field.indicator) if field and field.indicator is not None else None
    if field is None or indicator is None:
        return replace(step, minimum=low, maximum=high)
    if not indicator.thresholds:
        ctx.found.say(path + ("writes",), "{where}number step writes {field!r}, which has no thresholds", where=where,
                      field=field.name)
    else:
        missing = [n for n in range(low, high + 1) if indicator.points_for(n) is None]
        if missing:
            ctx.found.say(path + ("writes",), "{where}thresholds of {field!r} give no points for {n}", where=where,
                          field=field.name, n=missing[0])
    return replace(step, minimum=low, maximum=high, thresholds=indicator.thresholds)
