"""Errors raised by the flow core; callers branch on the stable ``code``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey_flows.problems import Problem


class FlowError(Exception):
    """Base of every error in survey_flows; ``code`` never changes between releases."""

    code = "flow_error"


class FlowInvalid(FlowError):
    """A flow file failed validation; ``problems`` lists every ``file:line: message``."""

    code = "flow_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SchemaInvalid(FlowError):
    """The scoring schema file is inconsistent (e.g. rating bands with a gap)."""

    code = "schema_invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownFlow(FlowError):
    """Neither a shipped flow id nor an existing file."""

    code = "unknown_flow"

    def __init__(self, source: str, known: Sequence[str] = ()) -> None:
        self.source = source
        hint = f" (shipped: {', '.join(known)})" if known else ""
        super().__init__(f"unknown flow {source!r}{hint}")


class UnknownChannel(FlowError):
    """A channel that the scoring schema does not list."""

    code = "unknown_channel"

    def __init__(self, channel: str, known: Sequence[str] = ()) -> None:
        self.channel = channel
        super().__init__(f"unknown channel {channel!r} (expected one of: {', '.join(known)})")


class SessionMismatch(FlowError):
    """A session resumed with a flow it was not started with (other id or version)."""

    code = "session_mismatch"


class InvalidDossierCode(FlowError, ValueError):
    """A dossier code that does not look like ``000.17.22.H56-210531-0001``."""

    code = "invalid_dossier_code"
    EXAMPLE = "000.17.22.H56-210531-0001"

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.vi = f"Mã hồ sơ không hợp lệ: {raw!r} (ví dụ đúng: {self.EXAMPLE})."
        self.en = f"Invalid dossier code: {raw!r} (expected e.g. {self.EXAMPLE})."
        super().__init__(f"{self.vi} / {self.en}")
