"""The value a flow step records into a schema field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AnswerValue:
    """One answer: ``{"value": 4, "level": 1, "text": null, "items": null}``.

    ``value`` is the option's own value (stars, points), ``level`` the canonical
    satisfaction level (only for satisfaction fields), ``items`` reason codes.
    """

    value: int | None = None
    level: int | None = None
    text: str | None = None
    items: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "level": self.level, "text": self.text,
                "items": list(self.items) if self.items is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerValue:
        items = data.get("items")
        return cls(data.get("value"), data.get("level"), data.get("text"),
                   tuple(items) if items is not None else None)
