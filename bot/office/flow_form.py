"""The flow editor's form: a flow's YAML as questions with menus, and the form back as YAML.

- `form_of(source, schema)` reads a text into a `FlowForm` (None when the text is not a flow the form
  can show: a YAML error, steps that are not a list of mappings; the YAML view still opens it).
- `apply(source, fields, schema)` turns the posted fields (a `Fields` view of the form) and an action
  (move up/down, delete, add) into a new text.
- `compose(base, data)` writes data back as YAML and keeps every part that did not change as it was:
  the whole text when nothing changed (byte for byte), else the header and each unchanged question
  with its comments and layout; only changed or new questions are written afresh. The result is
  read back and compared with the data; a text that would not read back the same is written whole.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiMapping

from survey_flows import Schema, StepKind
from survey_flows.i18n import gettext
from survey_flows.schema import FilledBy
from survey_flows.step_loader import COMMON_KEYS, KIND_FIELDS, KIND_KEYS
from survey_flows.yamlpos import Located, load_located

LANGS = ("vi", "en")
VARIANTS = ("text", "screen", "sms")  # chat text, the pages' text, the SMS text
OWN = "__own__"  # the scale menu's entry for a question with its own options
COMPARE = ("lt", "le", "gt", "ge")
STEP_ORDER = ("id", "kind", "kiosk", "scale", "min", "max", "writes", "yes", "no", "optional", "when",
              "text", "screen", "sms", "options")
HEADER_ORDER = ("id", "version", "name", "languages", "max_attempts", "steps")
KNOWN_KEYS = COMMON_KEYS.union(*KIND_KEYS.values())
MAX_STEPS = 60
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_RESERVED = frozenset({"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"})
_ODD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


Fields = MultiMapping[str]  # the posted form (aiohttp's request.post())


# --- reading a text ---------------------------------------------------------------------


def parse(source: str) -> Located | None:
    """The YAML data with its lines, or None when the text is not YAML."""
    located, _ = load_located(source, "flow.yaml")
    return located


def _steps_of(data: Any) -> list[dict[str, Any]] | None:
    if not isinstance(data, dict):
        return None
    steps = data.get("steps", [])
    if steps is None:
        return []
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        return None
    return steps


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a menu: the value posted and the words shown."""

    value: str
    label: str


@dataclass(slots=True)
class StepForm:
    """One question as the form shows it (strings, as the inputs hold them)."""

    index: int
    id: str
    kind: str
    scale: str = ""
    writes: str = ""
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # variant -> lang -> text
    minimum: str = ""
    maximum: str = ""
    yes: str = ""
    no: str = ""
    optional: bool = False
    kiosk: str = ""  # "" (the flow's default), "true" (asked at the counter kiosk), "false" (never there)
    when_step: str = ""
    when_test: str = ""  # "" (always), in, answered, unanswered, lt, le, gt, ge, keep (other conditions)
    when_values: tuple[str, ...] = ()
    when_number: str = ""
    when_yaml: str = ""  # a condition the menus cannot show, as YAML
    own_options: tuple[str, ...] = ()  # the labels of a question's own options (edited in YAML)
    sources: list[StepSource] = field(default_factory=list)  # earlier questions a condition can use


@dataclass(frozen=True, slots=True)
class StepSource:
    """An earlier question a condition may name, with its options (choice, yes/no) or none."""

    id: str
    number: int
    kind: str
    options: tuple[Choice, ...]


@dataclass(slots=True)
class FlowForm:
    """The whole form: the flow's names and version, its questions, and the menus' entries."""

    id: str
    version: str
    names: dict[str, str]
    steps: list[StepForm]
    kinds: tuple[Choice, ...]
    scales: tuple[Choice, ...]
    fields: dict[str, tuple[Choice, ...]]  # kind -> the schema fields it may write


def _text_of(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        text = value.get(lang, "")
        return text if isinstance(text, str) else str(text)
    if isinstance(value, str):
        return value if lang == "vi" else ""
    return ""


def _scalar(value: Any) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def options_of(step: dict[str, Any], schema: Schema, lang: str = "vi") -> tuple[tuple[int, int | None, str], ...]:
    """(value, level, label) of each option a question offers, from its scale, its own options or yes/no."""
    kind = step.get("kind")
    if kind == "choice" and isinstance(step.get("scale"), str):
        scale = schema.scale(step["scale"])
        return tuple((o.value, o.level, o.label.get(lang)) for o in scale.options
                     if o.value is not None) if scale else ()
    if kind == "choice" and isinstance(step.get("options"), list):
        out = []
        for item in step["options"]:
            if isinstance(item, dict) and _is_int(item.get("value")):
                level = item.get("level") if _is_int(item.get("level")) else None
                out.append((item["value"], level, _text_of(item.get("label"), lang) or str(item["value"])))
        return tuple(out)
    if kind == "yesno":
        return tuple((step[key], step[key], gettext(lang, msgid)) for key, msgid in (("yes", "Yes"), ("no", "No"))
                     if _is_int(step.get(key)))
    return ()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _when_form(form: StepForm, when: Any, steps: list[dict[str, Any]], schema: Schema) -> None:
    """The menus' values for a condition; one they cannot show is kept as YAML."""
    if when is None:
        return
    simple = isinstance(when, dict) and len(when) == 2 and isinstance(when.get("step"), str)
    test = next((k for k in when if k != "step"), None) if simple else None
    source = next((s for s in steps if s.get("id") == when.get("step")), None) if simple else None
    if simple and source is not None and test in ("level_in", "value_in") and isinstance(when[test], list):
        wanted = set(when[test])
        picked = tuple(str(value) for value, level, _ in options_of(source, schema)
                       if (level if test == "level_in" else value) in wanted)
        if picked:
            form.when_step, form.when_test, form.when_values = when["step"], "in", picked
            return
    if simple and source is not None and test == "answered" and isinstance(when[test], bool):
        form.when_step, form.when_test = when["step"], "answered" if when[test] else "unanswered"
        return
    if simple and source is not None and test in COMPARE and _is_int(when[test]):
        form.when_step, form.when_test, form.when_number = when["step"], test, str(when[test])
        return
    form.when_test, form.when_yaml = "keep", _flow_style(when)


def form_of(source: str, schema: Schema, lang: str = "vi") -> FlowForm | None:
    """The form for a text, or None when the form cannot show it (open it as YAML)."""
    located = parse(source)
    steps = _steps_of(located.data) if located is not None else None
    if located is None or steps is None:
        return None
    data = located.data
    name = data.get("name")
    forms: list[StepForm] = []
    for index, step in enumerate(steps):
        form = StepForm(index, _scalar(step.get("id")), _scalar(step.get("kind")),
                        writes=_scalar(step.get("writes")), minimum=_scalar(step.get("min")),
                        maximum=_scalar(step.get("max")), yes=_scalar(step.get("yes")), no=_scalar(step.get("no")),
                        optional=step.get("optional") is True,
                        kiosk=("true" if step["kiosk"] else "false") if isinstance(step.get("kiosk"), bool) else "")
        if "options" in step and "scale" not in step:
            form.scale = OWN
            form.own_options = tuple(label for _, _, label in options_of(step, schema, lang))
        else:
            form.scale = _scalar(step.get("scale"))
        form.texts = {v: {lang_: _text_of(step.get(v), lang_) for lang_ in LANGS} for v in VARIANTS}
        form.sources = [StepSource(str(s["id"]), n + 1, str(s.get("kind")),
                                   tuple(Choice(str(v), label) for v, _, label in options_of(s, schema, lang)))
                        for n, s in enumerate(steps[:index])
                        if isinstance(s.get("id"), str) and s.get("kind") in {k.value for k in StepKind} - {"message"}]
        _when_form(form, step.get("when"), steps[:index], schema)
        forms.append(form)
    kinds = tuple(Choice(k.value, k.value) for k in StepKind)
    scales = tuple(Choice(s.id, f"{s.name.get(lang)} ({' · '.join(o.label.get(lang) for o in s.options)})")
                   for s in schema.scales)
    return FlowForm(_scalar(data.get("id")), _scalar(data.get("version")),
                    {lang_: _text_of(name, lang_) for lang_ in LANGS}, forms, kinds, scales,
                    _fields(schema, lang))


def _fields(schema: Schema, lang: str) -> dict[str, tuple[Choice, ...]]:
    out: dict[str, tuple[Choice, ...]] = {}
    for kind, types in KIND_FIELDS.items():
        choices = []
        for f in schema.fields:
            indicator = schema.indicator(f.indicator) if f.indicator is not None else None
            if f.type not in types or (indicator is not None and indicator.filled_by is FilledBy.COMPUTED):
                continue
            words = f.label.get(lang) if f.label else indicator.name.get(lang) if indicator else ""
            choices.append(Choice(f.name, f"{f.name}: {words}" if words else f.name))
        out[kind.value] = tuple(choices)
    return out


# --- the posted form ----------------------------------------------------------------------


class FormUnusable(Exception):
    """The posted form cannot be applied (no base text, a form it does not fit)."""


def _get(fields: Fields, key: str) -> str:
    value = fields.get(key, "")
    return str(value).replace("\r\n", "\n").replace("\r", "\n") if value is not None else ""


def _number(raw: str) -> int | str | None:
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if re.fullmatch(r"-?[0-9]{1,9}", raw) else raw


def _texts(raw: Any, values: dict[str, str], required: bool) -> Any:
    """A step's `text`/`screen`/`sms` with the form's words, keeping what the form does not show."""
    if isinstance(raw, str) and values.get("vi") == raw and not values.get("en"):
        return raw
    out = dict(raw) if isinstance(raw, dict) else {}
    for lang in LANGS:
        if values.get(lang):
            out[lang] = values[lang]
        elif lang in out and isinstance(out[lang], str):
            del out[lang]
    return out if out or required else None


def _ordered(raw: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new`'s keys in the order `raw` had them, the others in the usual order."""
    keys = [k for k in raw if k in new]
    for key in (k for k in STEP_ORDER if k in new and k not in keys):
        rank = STEP_ORDER.index(key)
        before = [i for i, k in enumerate(keys) if k in STEP_ORDER and STEP_ORDER.index(k) < rank]
        keys.insert(before[-1] + 1 if before else 0, key)
    keys += [k for k in new if k not in keys]
    return {k: new[k] for k in keys}


def _when_data(fields: Fields, prefix: str, raw: Any, steps: list[dict[str, Any]], schema: Schema) -> Any:
    test = _get(fields, prefix + "when.test")
    step_id = _get(fields, prefix + "when.step").strip()
    if test == "keep":
        return raw
    if not test or not step_id:
        return None
    if test in ("answered", "unanswered"):
        return {"step": step_id, "answered": test == "answered"}
    if test in COMPARE:
        return {"step": step_id, test: _number(_get(fields, prefix + "when.number"))}
    chosen = {str(v).split(":", 1)[1] for v in fields.getall(prefix + "when.values", [])
              if str(v).startswith(step_id + ":")}
    source = next((s for s in steps if s.get("id") == step_id), {})
    options = options_of(source, schema)
    values = [value for value, _, _ in options if str(value) in chosen]
    if isinstance(raw, dict) and raw.get("step") == step_id and len(raw) == 2:
        for key, pick in (("level_in", 1), ("value_in", 0)):
            if isinstance(raw.get(key), list):
                kept = {str(o[0]) for o in options if o[pick] in raw[key]}
                if kept == chosen:
                    return raw  # unchanged: keep how it was written (level_in stays level_in)
    return {"step": step_id, "value_in": values or [v for v in (_number(c) for c in sorted(chosen)) if v is not None]}


def _step_data(fields: Fields, i: int, base_steps: list[dict[str, Any]], earlier: list[dict[str, Any]],
               schema: Schema) -> dict[str, Any]:
    prefix = f"s{i}."
    origin = _number(_get(fields, prefix + "origin"))
    raw = copy.deepcopy(base_steps[origin]) if isinstance(origin, int) and 0 <= origin < len(base_steps) else {}
    kind = _get(fields, prefix + "kind").strip() or "message"
    new: dict[str, Any] = {"id": _get(fields, prefix + "id").strip(), "kind": kind}
    allowed = COMMON_KEYS | KIND_KEYS.get(StepKind(kind), frozenset()) if kind in set(StepKind) else COMMON_KEYS
    for key, value in raw.items():  # keys the form does not show, and keys unknown to the engine
        if key not in KNOWN_KEYS or (key == "options" and key in allowed):
            new[key] = value
    if kind == "choice":
        scale = _get(fields, prefix + "scale").strip()
        if scale == OWN:
            new.setdefault("options", raw.get("options", []))
        else:
            new.pop("options", None)
            new["scale"] = scale
    if kind == "number":
        for key in ("min", "max"):
            value = _number(_get(fields, f"{prefix}{key}"))
            if value is not None:
                new[key] = value
    if kind == "yesno":
        for key in ("yes", "no"):
            value = _number(_get(fields, f"{prefix}{key}"))
            if value is not None:
                new[key] = value
    if kind == "text" and (_get(fields, prefix + "optional") or raw.get("optional") is False):
        new["optional"] = bool(_get(fields, prefix + "optional"))
    if kind != "message":
        kiosk = _get(fields, prefix + "kiosk").strip()
        if kiosk in ("true", "false"):
            new["kiosk"] = kiosk == "true"
        writes = _get(fields, prefix + "writes").strip()
        new["writes"] = writes
    when = _when_data(fields, prefix, raw.get("when"), earlier, schema)
    if when is not None:
        new["when"] = when
    for variant in VARIANTS:
        words = {lang: _get(fields, f"{prefix}{variant}.{lang}") for lang in LANGS}
        value = _texts(raw.get(variant), words, variant == "text")
        if value is not None:
            new[variant] = value
    return _ordered(raw, new)


def _new_step(steps: list[dict[str, Any]]) -> dict[str, Any]:
    taken = {s.get("id") for s in steps}
    n = len(steps) + 1
    while f"q{n}" in taken:
        n += 1
    return {"id": f"q{n}", "kind": "text", "optional": True, "writes": "comment", "text": {"vi": "", "en": ""}}


def apply(source: str, fields: Fields, schema: Schema, action: str = "") -> str:
    """The text the posted form stands for, after `action` ("up:N", "down:N", "delete:N", "add");
    FormUnusable when the base text is not one the form shows."""
    located = parse(source)
    base_steps = _steps_of(located.data) if located is not None else None
    if located is None or base_steps is None:
        raise FormUnusable(source)
    data = copy.deepcopy(located.data)
    count = _number(_get(fields, "steps"))
    if not isinstance(count, int) or not 0 <= count <= MAX_STEPS:
        raise FormUnusable(source)
    header = {"version": _get(fields, "version").strip()}
    for key, value in header.items():
        if value or key in data:
            data[key] = value
    if "name" in fields or "name.vi" in fields:
        data["name"] = _texts(data.get("name"), {lang: _get(fields, f"name.{lang}").strip() for lang in LANGS}, True)
    steps: list[dict[str, Any]] = []
    for i in range(count):
        steps.append(_step_data(fields, i, base_steps, steps, schema))
    verb, _, where = action.partition(":")
    at = _number(where)
    if isinstance(at, int) and 0 <= at < len(steps):
        if verb == "up" and at > 0:
            steps[at - 1], steps[at] = steps[at], steps[at - 1]
        elif verb == "down" and at + 1 < len(steps):
            steps[at + 1], steps[at] = steps[at], steps[at + 1]
        elif verb == "delete":
            del steps[at]
    if verb == "add" and len(steps) < MAX_STEPS:
        steps.append(_new_step(steps))
    data["steps"] = steps
    return compose(source, data)


def new_flow(flow_id: str, names: dict[str, str], copy_of: str | None) -> str:
    """The text a new flow starts from: a copy of `copy_of` (its text) with the new id and names, or
    one optional comment question."""
    if copy_of is not None:
        located = parse(copy_of)
        if located is not None and isinstance(located.data, dict):
            data = copy.deepcopy(located.data)
            data["id"], data["name"] = flow_id, {k: v for k, v in names.items() if v}
            return compose(copy_of, data)
    data = {"id": flow_id, "version": "1", "name": {k: v for k, v in names.items() if v},
            "languages": ["vi", "en"], "steps": [_new_step([])]}
    return emit(data)


# --- writing YAML ---------------------------------------------------------------------------


def scalar(value: Any) -> str:
    """One YAML scalar as the project's flows write it: plain words, double-quoted texts."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=bool(_ODD.search(text)))


def _flow_style(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {_flow_style(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow_style(v) for v in value) + "]"
    return scalar(value)


_FLOW_KEYS = frozenset({"when", "label", "aliases", "languages"})


def _block(key: Any, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    head = f"{pad}{scalar(key)}:"
    if isinstance(value, dict) and value and key not in _FLOW_KEYS:
        return [head] + [line for k, v in value.items() for line in _block(k, v, indent + 2)]
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value) and key not in _FLOW_KEYS:
        return [head] + [line for item in value for line in _item(item, indent + 2)]
    return [f"{head} {_flow_style(value)}"]


def _item(value: Any, indent: int) -> list[str]:
    """One list item at `indent` ("- " then the mapping's keys under each other)."""
    if isinstance(value, dict) and value:
        lines = [line for k, v in value.items() for line in _block(k, v, indent + 2)]
        return [" " * indent + "- " + lines[0].lstrip()] + lines[1:]
    return [" " * indent + "- " + _flow_style(value)]


def emit_step(step: dict[str, Any], indent: int = 2) -> str:
    return "\n".join(_item(step, indent)) + "\n"


def emit(data: dict[str, Any], comments: str = "") -> str:
    """A whole flow in the shipped files' layout (a blank line between questions)."""
    keys = [k for k in HEADER_ORDER if k in data and k != "steps"] + [k for k in data if k not in HEADER_ORDER]
    lines = [line for k in keys for line in _block(k, data[k], 0)]
    out = comments + "\n".join(lines) + ("\n" if lines else "")
    steps = data.get("steps")
    if isinstance(steps, list) and steps:
        out += "steps:\n" + "\n".join(emit_step(s) for s in steps)
    elif "steps" in data:
        out += f"steps: {_flow_style(steps)}\n"
    return out


def _leading_comments(lines: list[str]) -> str:
    out = []
    for line in lines:
        if not line.strip().startswith("#"):
            break
        out.append(line)
    return "".join(out)


def _chunks(source: str, located: Located, count: int) -> tuple[str, list[str], int] | None:
    """(header, each question's text with the comments just above it, the items' indent), or None
    when the text is not laid out one question after another below a last `steps:` key."""
    lines = source.splitlines(keepends=True)
    if count == 0:
        return None
    starts = [located.lines.get(("steps", i)) for i in range(count)]
    steps_line = located.lines.get(("steps",))
    header_lines = [n for path, n in located.lines.items() if len(path) == 1 and path != ("steps",)]
    if steps_line is None or any(s is None for s in starts) or any(n > steps_line for n in header_lines):
        return None
    begin = [int(s) - 1 for s in starts]  # type: ignore[arg-type]
    if begin != sorted(set(begin)) or begin[0] <= steps_line - 1:
        return None
    indent = len(lines[begin[0]]) - len(lines[begin[0]].lstrip(" "))
    if not lines[begin[0]][indent:].startswith("- ") or any(not lines[b][indent:].startswith("- ") for b in begin):
        return None
    for i, b in enumerate(begin):  # comments just above a question go with it
        while b - 1 > (begin[i - 1] if i else steps_line - 1) and lines[b - 1].strip().startswith("#"):
            b -= 1
        begin[i] = b
    chunks = ["".join(lines[b:e]).rstrip("\n") + "\n" for b, e in zip(begin, begin[1:] + [len(lines)])]
    return "".join(lines[:begin[0]]), chunks, indent


def compose(base: str, data: dict[str, Any]) -> str:
    """`data` as YAML, keeping from `base` the header and each question that did not change."""
    located = parse(base)
    old = located.data if located is not None else None
    if old == data:
        return base
    text = _composed(base, located, data) if located is not None and isinstance(old, dict) else None
    if text is not None and _reads_as(text, data):
        return text
    comments = _leading_comments(base.splitlines(keepends=True))
    return emit(data, comments)


def _composed(base: str, located: Located, data: dict[str, Any]) -> str | None:
    old = located.data
    old_steps, new_steps = _steps_of(old), _steps_of(data)
    if not old_steps or not new_steps:
        return None
    parts = _chunks(base, located, len(old_steps))
    if parts is None:
        return None
    header, chunks, indent = parts
    if {k: v for k, v in old.items() if k != "steps"} != {k: v for k, v in data.items() if k != "steps"}:
        header = emit({k: v for k, v in data.items() if k != "steps"},
                      _leading_comments(base.splitlines(keepends=True))) + "steps:\n"
    spaced = sum(c.endswith("\n") for c in base.split("\n\n")) > 0 and "\n\n" in base.split("steps:", 1)[-1]
    unused = list(range(len(old_steps)))
    out = []
    for step in new_steps:
        same = next((k for k in unused if old_steps[k] == step), None)
        if same is not None:
            unused.remove(same)
            out.append(chunks[same])
        else:
            out.append(emit_step(step, indent))
    return header + ("\n" if spaced else "").join(out)


def _reads_as(text: str, data: dict[str, Any]) -> bool:
    located = parse(text)
    return located is not None and located.data == data


def place_of(located: Located | None, line: int, steps: list[dict[str, Any]] | None) -> tuple[int, str, str] | None:
    """(question number, its id, the key) a problem's line points at, or None for the flow's header."""
    if located is None or steps is None:
        return None
    best: tuple[int, tuple[Any, ...]] | None = None
    for path, n in located.lines.items():
        if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int) and n <= line:
            if best is None or n > best[0] or (n == best[0] and len(path) < len(best[1])):
                best = (n, path)
    if best is None:
        return None
    index = best[1][1]
    key = str(best[1][2]) if len(best[1]) > 2 else ""
    step_id = steps[index].get("id") if 0 <= index < len(steps) else None
    return index + 1, str(step_id or ""), key

