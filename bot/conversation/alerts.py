"""Alerts on dissatisfied evaluations: open a follow-up item and tell the agency's supervisors at once.

The rule and the recipients are per agency, in `agencies.settings["alerts"]`:
``{"rule": "satisfaction.overall=0,satisfaction.officer_attitude=0", "days": 5,
"telegram_chat": "-100123", "email": "giamsat@example.gov.vn"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reports.errors import ReportError
from reports.periods import DEFAULT_TZ
from reports.scores import complaint_due
from storage import enqueue, scores
from storage import results as store
from survey_flows.indicators import answer_is_complaint

DEFAULT_RULE = "satisfaction.overall=0,satisfaction.officer_attitude=0,indicator.7=0"
DEFAULT_DAYS = 5


class ScoredAnswer(Protocol):
    """What the rule reads of an answer (storage.AnswerIn fits)."""

    @property
    def field(self) -> str: ...
    @property
    def value(self) -> int | None: ...
    @property
    def level(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Which answers make an evaluation dissatisfied, the follow-up deadline and who is told."""

    conditions: tuple[tuple[str, int], ...]
    days: int = DEFAULT_DAYS
    telegram_chat: str | None = None
    email: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> AlertRule:
        """The rule of an agency's `alerts` settings (defaults where a key is missing)."""
        return cls(parse_conditions(settings.get("rule") or DEFAULT_RULE), int(settings.get("days") or DEFAULT_DAYS),
                   settings.get("telegram_chat") or None, settings.get("email") or None)

    def reason(self, answers: Iterable[ScoredAnswer]) -> str | None:
        """The first condition the answers meet, as ``field=points``; None when satisfied enough."""
        given = {a.field: a.level if a.level is not None else a.value for a in answers}
        return next((f"{f}={p}" for f, p in self.conditions if given.get(f) == p), None)


def parse_conditions(text: str) -> tuple[tuple[str, int], ...]:
    """``"satisfaction.overall=0,indicator.7=0"`` → ``(("satisfaction.overall", 0), ("indicator.7", 0))``."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        field, _, points = part.partition("=")
        if not points.strip().isdigit() or not field.strip():
            raise ReportError(f"quy tắc cảnh báo không hợp lệ: {part!r} (ví dụ satisfaction.overall=0)",
                              f"invalid alert rule: {part!r} (e.g. satisfaction.overall=0)")
        out.append((field.strip(), int(points)))
    return tuple(out)


def alert_text(dossier_code: str, reason: str, due_at: datetime) -> str:
    """The notification: the dossier code and the deadline, nothing about the person."""
    due = due_at.strftime("%d/%m/%Y")
    return (f"⚠️ Hồ sơ {dossier_code}: người dân chưa hài lòng ({reason}). Cần xử lý trước {due}.\n"
            f"Dossier {dossier_code}: the applicant is not satisfied ({reason}). Follow up by {due}.")


async def follow_up_dissatisfied(
    s: AsyncSession, *, evaluation_id: int, agency_id: int, dossier_code: str,
    answers: Iterable[ScoredAnswer], now: datetime,
) -> bool:
    """Open a follow-up and queue the alerts when the agency's rule says so; True when one was opened."""
    rule = AlertRule.from_settings((await store.agency_settings(s, agency_id)).get("alerts") or {})
    reason = rule.reason(answers)
    if reason is None:
        return False
    if not await store.open_follow_up(s, evaluation_id=evaluation_id, agency_id=agency_id,
                                      dossier_code=dossier_code, reason=reason, now=now, days=rule.days):
        return False
    text = alert_text(dossier_code, reason, now + timedelta(days=rule.days))
    payload = {"step": "follow_up", "text": text, "choices": [], "multi": False, "dossier": dossier_code}
    for channel, address in (("telegram", rule.telegram_chat), ("email", rule.email)):
        if address:
            await enqueue(s, channel=channel, address=address, payload=payload, now=now)
    return True


async def register_conduct_complaint(
    s: AsyncSession, *, evaluation_id: int, agency_id: int, dossier_code: str,
    answers: Iterable[ScoredAnswer], now: datetime,
) -> bool:
    """Open a register entry when the citizen answered that the officer caused trouble (indicator 7).

    Called in the evaluation's own transaction, like the follow-up; True when one was opened.
    """
    if not any(a.field == "indicator.7" and answer_is_complaint(a.value) for a in answers):
        return False
    day = now.astimezone(ZoneInfo(DEFAULT_TZ)).date()
    return await scores.open_complaint_from_answer(
        s, evaluation_id=evaluation_id, agency_id=agency_id, dossier_code=dossier_code, received_on=day,
        due_on=complaint_due(day), now=now) is not None
