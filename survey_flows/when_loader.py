"""Reads and checks a step's ``when:`` against the steps before it."""

from __future__ import annotations

from typing import Any, cast

from survey_flows.conditions import AllOf, AnyOf, Check, Condition, Test
from survey_flows.yamlpos import Findings, Path_

TESTS = ", ".join(t.value for t in Test)


def read_when(found: Findings, value: Any, path: Path_, where: str,
              earlier: dict[str, bool], later: set[str]) -> Condition | None:
    """A Condition, or None after adding problems.

    ``earlier`` maps each step id before this one to whether it records an answer;
    ``later`` holds this step's id and every id after it.
    """
    if not isinstance(value, dict) or not value:
        found.say(path, "{where}when must be a mapping", where=where)
        return None
    for group, make in (("all", AllOf), ("any", AnyOf)):
        if group in value:
            return _group(found, value, group, make, path, where, earlier, later)
    return _checks(found, value, path, where, earlier, later)


def _group(found: Findings, value: dict[str, Any], group: str, make: type[AllOf] | type[AnyOf], path: Path_,
           where: str, earlier: dict[str, bool], later: set[str]) -> Condition | None:
    if len(value) != 1:
        found.say(path, "{where}when with {group!r} takes no other key", where=where, group=group)
    items = value[group]
    if not isinstance(items, list) or not items:
        found.say(path + (group,), "{where}{group!r} must be a non-empty list", where=where, group=group)
        return None
    parts = [read_when(found, item, path + (group, i), where, earlier, later) for i, item in enumerate(items)]
    if any(part is None for part in parts):
        return None
    return make(tuple(p for p in parts if p is not None))


def _checks(found: Findings, value: dict[str, Any], path: Path_, where: str,
            earlier: dict[str, bool], later: set[str]) -> Condition | None:
    step = value.get("step")
    if not _known_step(found, step, path + ("step",), where, earlier, later):
        return None
    tests = [key for key in value if key != "step"]
    if not tests:
        found.say(path, "{where}when needs a test ({tests})", where=where, tests=TESTS)
        return None
    checks = [_check(found, cast(str, step), key, value[key], path + (key,), where) for key in tests]
    if any(check is None for check in checks):
        return None
    return checks[0] if len(checks) == 1 else AllOf(tuple(c for c in checks if c is not None))


def _known_step(found: Findings, step: Any, path: Path_, where: str,
                earlier: dict[str, bool], later: set[str]) -> bool:
    if not isinstance(step, str):
        found.say(path, "{where}when needs 'step' (the id of an earlier step)", where=where)
    elif step in later:
        found.say(path, "{where}when refers to step {step!r}, which does not come before it", where=where, step=step)
    elif step not in earlier:
        found.say(path, "{where}when refers to unknown step {step!r}", where=where, step=step)
    elif not earlier[step]:
        found.say(path, "{where}when refers to step {step!r}, which records no answer", where=where, step=step)
    else:
        return True
    return False


def _check(found: Findings, step: str, key: str, argument: Any, path: Path_, where: str) -> Check | None:
    if key not in Test.__members__.values():
        found.say(path, "{where}unknown when test {key!r} (expected one of: {tests})", where=where, key=key, tests=TESTS)
        return None
    test = Test(key)
    if test is Test.ANSWERED:
        if not isinstance(argument, bool):
            found.say(path, "{where}'answered' must be true or false", where=where)
            return None
        return Check(step, test, argument)
    if test in (Test.LEVEL_IN, Test.VALUE_IN):
        if not (isinstance(argument, list) and argument and all(_is_int(a) for a in argument)):
            found.say(path, "{where}{key!r} must be a non-empty list of integers", where=where, key=key)
            return None
        return Check(step, test, tuple(argument))
    if not _is_int(argument):
        found.say(path, "{where}{key!r} must be an integer", where=where, key=key)
        return None
    return Check(step, test, argument)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
