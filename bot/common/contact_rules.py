"""When a citizen may be contacted: an agency's contact hours in Asia/Ho_Chi_Minh, no weekends or holidays.

Agency settings (JSON, all optional):
`{"survey_delay_minutes": 60, "contact_hours": ["07:30-11:30", "13:30-17:00"],
  "holidays": ["2026-09-02"], "holidays_removed": ["2027-04-16"], "contact_days": [1, 2, 3, 4, 5],
  "reminder_hours": 24, "channel_plan": ["zalo_zns", "sms", "telegram"]}`

Vietnam's public holidays (the `holidays` package: lunar Tết, Hùng Kings' day, 30/4, 1/5, 2/9 and the
days the government substitutes) are the default calendar; an agency adds days (`holidays`) or
removes some (`holidays_removed`, e.g. a day it works anyway) on top; `"national_holidays": false`
turns the national calendar off (a desk open every day).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

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
    holidays: frozenset[date]  # the agency's own days off, on top of the national calendar
    days: frozenset[int]  # ISO weekdays allowed (1 = Monday); weekends are off unless listed
    delay: timedelta
    reminder: timedelta
    plan: tuple[str, ...]
    removed: frozenset[date] = frozenset()  # national holidays the agency works anyway
    national: bool = True  # Vietnam's public holidays are off (the default calendar)

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
            removed=frozenset(date.fromisoformat(d) for d in settings.get("holidays_removed") or ()),
            national=settings.get("national_holidays", True) is not False,
        )

    def is_holiday(self, day: date) -> bool:
        """A national public holiday the agency keeps, or one of its own days off."""
        if day in self.holidays:
            return True
        return self.national and day not in self.removed and day in _vietnam()

    def next_open(self, at: datetime) -> datetime:
        """The first moment at or after `at` (UTC) inside a contact window, in UTC."""
        local = at.astimezone(VN)
        for offset in range(LOOKAHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if day.isoweekday() not in self.days or self.is_holiday(day):
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

    def weekly(self) -> ContactRules:
        """The same rules without any holiday: the agency's ordinary week."""
        return replace(self, holidays=frozenset(), removed=frozenset(), national=False)

    def longest_wait(self, since: datetime, days: int = 28) -> timedelta:
        """The longest a dossier returned in the `days` after `since` waits for its invitation, by
        the agency's week and its own days off; the national calendar's holidays are left out
        (they push the expiry instead, see `check_fits`, and would make every plan look short).

        The wait is longest just after a window closes (the next opening is furthest away), so
        only those moments are tried, and `since` itself.
        """
        if self.national:
            return replace(self, national=False).longest_wait(since, days)
        local = since.astimezone(VN)
        candidates = [since]
        for offset in range(days):
            day = local.date() + timedelta(days=offset)
            for _, end in self.windows:
                at = datetime.combine(day, end, VN).astimezone(timezone.utc) - self.delay
                if at >= since:
                    candidates.append(at)
        return max(self.invite_at(at) - at for at in candidates)


@lru_cache(maxsize=1)
def _vietnam() -> holiday_calendars.HolidayBase:
    """Vietnam's public holidays, every year on demand (the object fills in a year when first asked)."""
    return holiday_calendars.country_holidays("VN")


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
    """When the invitation is due; PlanCannotFit when the agency's ordinary week cannot invite
    before the expiry. A holiday that delays the invitation past the expiry is not a refusal:
    the caller moves the expiry (the survey lasts as long counted from the invitation)."""
    rules = ContactRules.of(agency_settings)
    try:
        ordinary = rules.weekly().invite_at(returned_at)
        invite_at = rules.invite_at(returned_at)
    except ValueError:
        raise PlanCannotFit(None, expires_at) from None
    if ordinary >= expires_at:
        raise PlanCannotFit(ordinary, expires_at)
    return invite_at
