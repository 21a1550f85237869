"""What the engine asks its caller to do: send, record, end. Each event has an id and a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Env:
    """The outside world the pure core may see: the time now and a source of ids."""

    now: datetime
    new_id: Callable[[], str]


class EndStatus(StrEnum):
    """How a survey ended."""

    COMPLETED = "completed"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"


class SkipReason(StrEnum):
    """Why a field has no answer: declined (optional), too many invalid replies, or withdrawn by going back."""

    DECLINED = "declined"
    INVALID = "invalid"
    BACK = "back"


@dataclass(frozen=True, slots=True)
class ChoiceOut:
    """A choice to show as a button or a numbered line: ``{"code": "1", "label": "Rất hài lòng"}``."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class MessageSent:
    """Send ``text`` (already chosen for the channel) and ``choices``; ``step_id`` None for system texts.

    ``{"type": "message_sent", "step_id": "overall", "text": "…", "choices": [{"code": "1", "label": "…"}], "multi": false}``
    """

    id: str
    at: datetime
    step_id: str | None
    text: str
    choices: tuple[ChoiceOut, ...] = ()
    multi: bool = False


@dataclass(frozen=True, slots=True)
class AnswerRecorded:
    """Store an answer: ``{"type": "answer_recorded", "step_id": "overall", "field": "satisfaction.overall", "value": 2, "level": 2, "text": null, "items": null}``."""

    id: str
    at: datetime
    step_id: str
    field: str
    value: int | None
    level: int | None
    text: str | None
    items: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class AnswerSkipped:
    """The field has no answer (now): ``{"type": "answer_skipped", "step_id": "comment", "field": "comment", "reason": "declined"}``."""

    id: str
    at: datetime
    step_id: str
    field: str
    reason: SkipReason


@dataclass(frozen=True, slots=True)
class SurveyEnded:
    """The session is over: ``{"type": "survey_ended", "status": "completed"}``."""

    id: str
    at: datetime
    status: EndStatus


Event = MessageSent | AnswerRecorded | AnswerSkipped | SurveyEnded

EVENT_TYPES: dict[type, str] = {
    MessageSent: "message_sent",
    AnswerRecorded: "answer_recorded",
    AnswerSkipped: "answer_skipped",
    SurveyEnded: "survey_ended",
}


def event_to_json(event: Event) -> dict[str, Any]:
    """An event as JSON types, with its ``type`` first."""
    data = asdict(event)
    data["at"] = event.at.isoformat()
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = list(value)
        elif isinstance(value, StrEnum):
            data[key] = value.value
    return {"type": EVENT_TYPES[type(event)], **data}
