"""A problem found in a data file, pinned to a line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; ``str()`` is ``"flows/quick.yaml:12: unknown schema field 'x'"``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"
