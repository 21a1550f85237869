"""A problem found in a data file, pinned to a line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; ``str()`` is ``"flows/quick.yaml:12: unknown schema field 'x'"``.

    ``message`` is English; ``vi`` the same in Vietnamese where the checker wrote one
    (schema checks always do). ``text(lang)`` picks one, ``bilingual()`` gives both.
    """

    file: str
    line: int
    message: str
    vi: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def text(self, lang: str) -> str:
        """``file:line: message`` in ``lang`` (Vietnamese when there is one, else English)."""
        message = self.vi if lang == "vi" and self.vi else self.message
        return f"{self.file}:{self.line}: {message}"

    def bilingual(self) -> str:
        """``file:line: <Vietnamese> / <English>`` (only the English when no Vietnamese was written)."""
        if not self.vi or self.vi == self.message:
            return str(self)
        return f"{self.file}:{self.line}: {self.vi} / {self.message}"
