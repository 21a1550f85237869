"""When a citizen may be contacted: an agency's contact hours in Asia/Ho_Chi_Minh, no weekends or holidays.

Agency settings (JSON, all optional):
`{"survey_delay_minutes": 60, "contact_hours": ["07:30-11:30", "13:30-17:00"],
  "holidays": ["2026-09-02"], "contact_days": [1, 2, 3, 4, 5], "reminder_hours": 24, "channel_plan": ["zalo_zns", "sms", "telegram"]}`
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.errors import HailongError
from bot.common.settings import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_HOURS = ("08:00-17:00",)
DEFAULT_PLAN = ("zalo_zns", "sms", "telegram")
DEFAULT_REMINDER_HOURS = 24
LOOKAHEAD_DAYS = 60  # a longer holiday list than this is a mistake in the settings


@dataclass(frozen=True, slots=True)
class ContactRules:
    """An agency's contact windows (local times), holidays, delay, reminder and channel plan."""

    windows: tuple[tuple[time, time], ...]
    holidays: frozenset[date]
    days: frozenset[int]  # ISO weekdays allowed (1 = Monday); weekends are off unless listed
    delay: timedelta
    reminder: timedelta
    plan: tuple[str, ...]

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> ContactRules:
        """Rules from an agency's settings, with the defaults for anything missing."""
        settings = settings or {}
        return cls(
            windows=tuple(_window(w) for w in settings.get("contact_hours") or DEFAULT_HOURS),
            holidays=frozenset(date.fromisoformat(d) for d in settings.get("holidays") or ()),
            days=frozenset(int(d) for d in settings.get("contact_days") or range(1, 6)),
            delay=timedelta(minutes=int(settings.get("survey_delay_minutes", 0))),
            reminder=timedelta(hours=float(settings.get("reminder_hours", DEFAULT_REMINDER_HOURS))),
            plan=tuple(settings.get("channel_plan") or DEFAULT_PLAN),
        )

    def next_open(self, at: datetime) -> datetime:
        """The first moment at or after `at` (UTC) inside a contact window, in UTC."""
        local = at.astimezone(VN)
        for offset in range(LOOKAHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if day.isoweekday() not in self.days or day in self.holidays:
                continue
            for start, end in self.windows:
                opens = datetime.combine(day, start, VN)
                closes = datetime.combine(day, end, VN)
                if local < closes:
                    return max(local, opens).astimezone(timezone.utc)
        raise ValueError("no contact window in the next 60 days (check contact_hours and holidays)")

    def invite_at(self, returned_at: datetime) -> datetime:
        """When the invitation goes out: after the delay, in the next contact window."""
        return self.next_open(returned_at + self.delay)

    def remind_at(self, invited_at: datetime) -> datetime:
        """When the one reminder goes out."""
        return self.next_open(invited_at + self.reminder)

    def longest_wait(self, since: datetime, days: int = 28) -> timedelta:
        """The longest a dossier returned in the `days` after `since` waits for its invitation.

        The wait is longest just after a window closes (the next opening is furthest away), so
        only those moments are tried, and `since` itself.
        """
        local = since.astimezone(VN)
        candidates = [since]
        for offset in range(days):
            day = local.date() + timedelta(days=offset)
            for _, end in self.windows:
                at = datetime.combine(day, end, VN).astimezone(timezone.utc) - self.delay
                if at >= since:
                    candidates.append(at)
        return max(self.invite_at(at) - at for at in candidates)


def _window(text: str) -> tuple[time, time]:
    """`"07:30-11:30"` as (07:30, 11:30)."""
    start, _, end = str(text).partition("-")
    window = (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
    if window[0] >= window[1]:
        raise ValueError(f"contact window {text!r} ends before it starts")
    return window


def expiry_hours(stored: dict[str, Any] | None, settings: Settings) -> int:
    """Hours before an unanswered survey of this agency expires."""
    return int((stored or {}).get("survey_ttl_hours") or settings.survey_ttl_hours)


class PlanCannotFit(HailongError):
    """An invitation that could only go out after the survey expires: refused, with the reason."""

    code = "plan_cannot_fit"

    def __init__(self, invite_at: datetime | None, expires_at: datetime) -> None:
        expiry = expires_at.astimezone(VN).strftime("%d/%m/%Y %H:%M")
        if invite_at is None:
            super().__init__(
                "Không có khung giờ liên lạc nào trong 60 ngày tới (xem ngày liên lạc và ngày nghỉ): "
                "không thể gửi lời mời khảo sát.",
                "There is no contact window in the next 60 days (check contact days and holidays): "
                "the survey invitation cannot be sent.")
            return
        invite = invite_at.astimezone(VN).strftime("%d/%m/%Y %H:%M")
        super().__init__(
            f"Lời mời khảo sát chỉ gửi được lúc {invite}, sau khi khảo sát hết hạn ({expiry}): hãy thêm ngày "
            "hoặc giờ liên lạc, bớt ngày nghỉ hoặc kéo dài thời hạn khảo sát.",
            f"The survey invitation could only be sent at {invite}, after the survey expires ({expiry}): add "
            "contact days or hours, remove holidays or make the survey last longer.")


def check_fits(agency_settings: dict[str, Any] | None, returned_at: datetime, expires_at: datetime) -> datetime:
    """When the invitation is due; PlanCannotFit when that is not before the expiry."""
    try:
        invite_at = ContactRules.of(agency_settings).invite_at(returned_at)
    except ValueError:
        raise PlanCannotFit(None, expires_at) from None
    if invite_at >= expires_at:
        raise PlanCannotFit(invite_at, expires_at)
    return invite_at
