"""The state of one conversation, kept by the caller between replies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from survey_flows.answers import AnswerValue


class SessionStatus(StrEnum):
    """Where a session stands; only ``active`` sessions take replies."""

    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Session:
    """One citizen's run through one flow version; ``to_json()`` e.g.
    ``{"flow_id": "quick", "flow_version": "2025.1", "lang": "vi", "channel": "zalo",
    "context": {"dossier_code": "…"}, "status": "active", "step_id": "officer",
    "answers": {"satisfaction.overall": {"value": 4, "level": 1, "text": null, "items": null}},
    "history": ["overall"], "attempts": 0, "started_at": "2025-01-02T09:00:00+07:00", "updated_at": "…"}``.

    ``answers`` and ``context`` are read-only mappings; ``history`` lists the steps asked
    before the current one (for going back).
    """

    flow_id: str
    flow_version: str
    lang: str
    channel: str
    status: SessionStatus
    step_id: str | None
    started_at: datetime
    updated_at: datetime
    context: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    attempts: int = 0

    def __post_init__(self) -> None:
        # Read-only views, so a frozen session cannot be changed behind the engine's back.
        context = {str(k): str(v) for k, v in self.context.items() if v is not None}
        object.__setattr__(self, "context", _frozen(context))
        object.__setattr__(self, "answers", _frozen(self.answers))
        object.__setattr__(self, "history", tuple(self.history))
        object.__setattr__(self, "status", SessionStatus(self.status))

    @property
    def active(self) -> bool:
        return self.status is SessionStatus.ACTIVE

    def to_json(self) -> dict[str, Any]:
        """Only JSON types; ``Session.from_json(s.to_json()) == s``."""
        return {
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "lang": self.lang,
            "channel": self.channel,
            "context": dict(self.context),
            "status": self.status.value,
            "step_id": self.step_id,
            "answers": {name: answer.to_json() for name, answer in self.answers.items()},
            "history": list(self.history),
            "attempts": self.attempts,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        """The session that ``to_json`` wrote."""
        return cls(
            flow_id=data["flow_id"],
            flow_version=data["flow_version"],
            lang=data["lang"],
            channel=data["channel"],
            status=SessionStatus(data["status"]),
            step_id=data.get("step_id"),
            started_at=datetime.fromisoformat(data["started_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            context=data.get("context") or {},
            answers={name: AnswerValue.from_json(a) for name, a in (data.get("answers") or {}).items()},
            history=tuple(data.get("history") or ()),
            attempts=int(data.get("attempts", 0)),
        )
