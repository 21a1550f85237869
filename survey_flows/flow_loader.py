"""Loads flow files: every problem found with its line, or a valid ``Flow``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from survey_flows.errors import FlowInvalid, UnknownFlow
from survey_flows.flow import Flow, Step
from survey_flows.i18n import Localized, Words, check_text
from survey_flows.problems import Problem
from survey_flows.schema import Schema
from survey_flows.schema_loader import load_schema, localized
from survey_flows.step_loader import StepContext, read_step
from survey_flows.yamlpos import Findings, load_located

HEADER_KEYS = frozenset({"id", "version", "name", "languages", "max_attempts", "steps"})
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
DEFAULT_MAX_ATTEMPTS = 3


def shipped_flows() -> dict[str, Path]:
    """Flow id -> file, for the flows that ship in ``survey_flows/data/flows``."""
    folder = resources.files("survey_flows") / "data" / "flows"
    return {Path(str(f)).stem: Path(str(f)) for f in sorted(folder.iterdir(), key=lambda f: f.name)
            if f.name.endswith(".yaml")}


def load_flow(source: str | Path, schema: Schema | None = None) -> Flow:
    """A shipped flow by id (``"quick"``) or a flow file by path; FlowInvalid / UnknownFlow."""
    schema = schema or load_schema()
    path = _resolve(source)
    flow, problems = read_flow(path.read_text(encoding="utf-8"), str(path), schema)
    if problems or flow is None:
        raise FlowInvalid(problems)
    return flow


def validate_files(paths: Iterable[str | Path], schema: Schema) -> list[Problem]:
    """Every problem in the given flow files, in file order; also flow ids used twice."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(_problem(str(path), "cannot read file: {error}", error=exc))
            continue
        flow, found = read_flow(text, str(path), schema)
        problems.extend(found)
        if flow is not None and flow.id in seen:
            problems.append(_problem(str(path), "flow id {id!r} is already used by {other}", id=flow.id,
                                     other=seen[flow.id]))
        elif flow is not None:
            seen[flow.id] = str(path)
    return problems


def _problem(file: str, msgid: str, **values: object) -> Problem:
    """A problem with a whole file (line 1) in the checker catalog's English and Vietnamese."""
    return Problem(file, 1, check_text("en", msgid, **values), check_text("vi", msgid, **values))


def _resolve(source: str | Path) -> Path:
    shipped = shipped_flows()
    if isinstance(source, str) and source in shipped:
        return shipped[source]
    path = Path(source)
    if path.is_file():
        return path
    raise UnknownFlow(str(source), sorted(shipped))


def read_flow(text: str, file: str, schema: Schema) -> tuple[Flow | None, list[Problem]]:
    """Parse and check one flow text; the Flow is None when the file cannot be read at all."""
    located, problems = load_located(text, file)
    if located is None:
        return None, problems
    found = Findings(file, located)
    found.problems.extend(problems)
    data = located.data
    if not isinstance(data, dict):
        found.say((), "a flow must be a mapping with id, version, name, languages and steps")
        return None, found.problems
    found.unknown_keys(data, HEADER_KEYS, (), "")
    flow = _header(found, data, schema)
    steps = _steps(found, data.get("steps"), schema, flow.languages)
    # Stable sort: problems read top to bottom, as the author scrolls through the file.
    return replace(flow, steps=steps), sorted(found.problems, key=lambda p: p.line)


def _header(found: Findings, data: dict[str, Any], schema: Schema) -> Flow:
    for key in ("id", "version", "name", "languages", "steps"):
        if key not in data:
            found.say((), "missing {key!r}", key=key)
    fid = data.get("id")
    if "id" in data and not (isinstance(fid, str) and _ID.fullmatch(fid)):
        found.say(("id",), "id must be lower-case letters, digits, '-', '_' or '.', not {fid!r}", fid=fid)
    languages = _languages(found, data.get("languages", ["vi"]))
    attempts = data.get("max_attempts", DEFAULT_MAX_ATTEMPTS)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        found.say(("max_attempts",), "max_attempts must be a positive integer, not {value!r}", value=attempts)
        attempts = DEFAULT_MAX_ATTEMPTS
    name = localized(found, data["name"], ("name",), Words("name", "tên (name)"), languages) if "name" in data else Localized(())
    return Flow(id=str(fid), version=str(data.get("version", "")), name=name, languages=languages,
                max_attempts=attempts, steps=(), schema=schema, source=found.file)


def _languages(found: Findings, value: object) -> tuple[str, ...]:
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        found.say(("languages",), "languages must be a list of language codes, e.g. [vi, en]")
        return ("vi",)
    if value[0] != "vi":
        found.say(("languages",), "languages must start with 'vi' (citizens read Vietnamese first)")
    return tuple(dict.fromkeys(value))


def _steps(found: Findings, value: object, schema: Schema, languages: tuple[str, ...]) -> tuple[Step, ...]:
    if value is None:
        return ()
    items = found.sequence(value, ("steps",), "steps")
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    ctx = StepContext(found, schema, languages)
    first_line: dict[str, int] = {}
    steps: list[Step] = []
    for index, item in enumerate(items):
        path = ("steps", index)
        if not isinstance(item, dict):
            found.say(path, "step {n} must be a mapping with id, kind and text", n=index + 1)
            continue
        spec = item
        sid = spec.get("id")
        if not isinstance(sid, str) or not sid:
            found.say(path, "step {n} has no id", n=index + 1)
            sid = f"#{index + 1}"
        elif sid in first_line:
            found.say(path + ("id",), "duplicate step id {sid!r} (first at line {line})", sid=sid, line=first_line[sid])
        first_line.setdefault(sid, found.located.line(*path, "id"))
        later = {s for s in ids[index:] if isinstance(s, str)}
        step = read_step(ctx, spec, path, sid, later - set(ctx.earlier))
        ctx.earlier.setdefault(sid, bool(step and step.asks))
        if step is not None:
            steps.append(step)
    if items and not any(step.asks for step in steps):
        found.say(("steps",), "the flow asks nothing: add a step that is not a message")
    return tuple(steps)
