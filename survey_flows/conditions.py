"""``when:`` conditions on earlier answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from survey_flows.answers import AnswerValue


class Test(StrEnum):
    """What a ``Check`` compares."""

    LEVEL_IN = "level_in"
    VALUE_IN = "value_in"
    ANSWERED = "answered"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"


_COMPARE: dict[Test, Callable[[int, int], bool]] = {
    Test.LT: lambda a, b: a < b,
    Test.LE: lambda a, b: a <= b,
    Test.GT: lambda a, b: a > b,
    Test.GE: lambda a, b: a >= b,
}


@dataclass(frozen=True, slots=True)
class Check:
    """One test on one earlier step: ``{step: overall, level_in: [0]}``."""

    step: str
    test: Test
    argument: object


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part holds: ``{all: [{step: a, answered: true}, {step: b, lt: 2}]}``."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part holds: ``{any: [...]}``."""

    parts: tuple[Condition, ...]


Condition = Check | AllOf | AnyOf
Lookup = Callable[[str], AnswerValue | None]


def holds(condition: Condition | None, answer_of: Lookup) -> bool:
    """Whether ``condition`` is true, given the answer (or None) of each step id."""
    if condition is None:
        return True
    if isinstance(condition, AllOf):
        return all(holds(part, answer_of) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, answer_of) for part in condition.parts)
    return _check(condition, answer_of(condition.step))


def _check(check: Check, answer: AnswerValue | None) -> bool:
    if check.test is Test.ANSWERED:
        return (answer is not None) == bool(check.argument)
    if answer is None:
        return False
    if check.test is Test.LEVEL_IN:
        return answer.level in check.argument  # type: ignore[operator]
    if answer.value is None:
        return False
    if check.test is Test.VALUE_IN:
        return answer.value in check.argument  # type: ignore[operator]
    return _COMPARE[check.test](answer.value, check.argument)  # type: ignore[arg-type]


def steps_in(condition: Condition | None) -> tuple[str, ...]:
    """Every step id a condition refers to."""
    if condition is None:
        return ()
    if isinstance(condition, Check):
        return (condition.step,)
    return tuple(step for part in condition.parts for step in steps_in(part))
