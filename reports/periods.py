"""Report periods (`2019-05`, `2019-Q2`, `2019-H1`, `2019-9M`, `2019`) and their data windows."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

from reports.errors import ReportError

#: Report days are Vietnamese calendar days, whatever the server's zone.
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
_NAME = re.compile(r"(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])|(9M)))?")


class Window(StrEnum):
    """How a period maps to days: the 15th-to-14th cut-off used for reporting, or calendar months."""

    CUTOFF = "cutoff"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class Period:
    """A named period and its inclusive window of local days: ``Period("2019-Q2", 2019-03-15, 2019-06-14)``."""

    name: str
    first: date
    last: date

    def utc_bounds(self, tz: str = DEFAULT_TZ) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the window's local days, for comparing stored timestamps."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.first, time(), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


#: Years a period may name: the evaluations began under Decree 61/2018; a cut-off window reaches
#: into the year before, so year 0 or 9999 would fall off the calendar (a 500, found by the API fuzz).
MIN_YEAR, MAX_YEAR = 2000, 2999


def _months(name: str) -> tuple[int, int, int]:
    """(year, first month, last month) of a period name; ReportError when it is not one."""
    match = _NAME.fullmatch(name.strip().upper())
    if not match:
        raise ReportError(
            f"kỳ báo cáo không hợp lệ: {name!r} (ví dụ 2019-05, 2019-Q2, 2019-H1, 2019-9M, 2019)",
            f"invalid period: {name!r} (e.g. 2019-05, 2019-Q2, 2019-H1, 2019-9M, 2019)",
        )
    year, month, quarter, half, nine = match.groups()
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise ReportError(f"kỳ báo cáo không hợp lệ: {name!r} (năm từ {MIN_YEAR} đến {MAX_YEAR})",
                          f"invalid period: {name!r} (years {MIN_YEAR} to {MAX_YEAR})")
    if month:
        return int(year), int(month), int(month)
    if quarter:
        return int(year), 3 * int(quarter) - 2, 3 * int(quarter)
    if half:
        return int(year), 6 * int(half) - 5, 6 * int(half)
    return int(year), 1, 9 if nine else 12


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def parse_period(name: str, window: Window = Window.CUTOFF, cutoff_day: int = 15) -> Period:
    """The period named `name`; with the cut-off, from `cutoff_day` of the month before to the day before it."""
    year, first_month, last_month = _months(name)
    canonical = name.strip().upper()
    if window is Window.CALENDAR:
        last_day = calendar.monthrange(year, last_month)[1]
        return Period(canonical, date(year, first_month, 1), date(year, last_month, last_day))
    start_year, start_month = _month_before(year, first_month)
    return Period(canonical, date(start_year, start_month, cutoff_day),
                  date(year, last_month, cutoff_day) - timedelta(days=1))


def quarter_of(day: date) -> str:
    """The calendar quarter name a day belongs to, e.g. ``2019-Q2``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarters_up_to(name: str, count: int) -> list[str]:
    """`count` quarter names ending with the quarter that ends the period `name`, oldest first."""
    year, _, last_month = _months(name)
    quarter = (last_month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return out[::-1]


def current_quarter(today: date, window: Window = Window.CUTOFF, cutoff_day: int = 15) -> str:
    """The quarter whose window holds `today` (after the 14th of a quarter's last month, the next one)."""
    name = quarter_of(today)
    if today > parse_period(name, window, cutoff_day).last:
        year, quarter = today.year, (today.month - 1) // 3 + 2
        name = f"{year + 1}-Q1" if quarter == 5 else f"{year}-Q{quarter}"
    return name


def recent_periods(today: date, window: Window = Window.CUTOFF, cutoff_day: int = 15) -> list[str]:
    """Period names to offer in a selector: the last eight quarters, newest first, then this year's halves."""
    current = current_quarter(today, window, cutoff_day)
    year = current[:4]
    return quarters_up_to(current, 8)[::-1] + [f"{year}-H1", f"{year}-9M", year, f"{int(year) - 1}"]


_ROMAN = ("I", "II", "III", "IV")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def period_words(name: str, lang: str = "vi") -> str:
    """A period as an official report names it: "Quý II năm 2026", "6 tháng đầu năm 2026", "Năm 2026"
    (English: "Q2 2026", "First half of 2026", "Year 2026"); ReportError for a name that is no period."""
    year, first, last = _months(name)
    upper = name.strip().upper()
    vi = lang == "vi"
    if first == last:
        return f"Tháng {first} năm {year}" if vi else f"{_MONTHS_EN[first - 1]} {year}"
    if "-Q" in upper:
        quarter = (last - 1) // 3 + 1
        return f"Quý {_ROMAN[quarter - 1]} năm {year}" if vi else f"Q{quarter} {year}"
    if upper.endswith("-H1"):
        return f"6 tháng đầu năm {year}" if vi else f"First half of {year}"
    if upper.endswith("-H2"):
        return f"6 tháng cuối năm {year}" if vi else f"Second half of {year}"
    if upper.endswith("-9M"):
        return f"9 tháng đầu năm {year}" if vi else f"First nine months of {year}"
    return f"Năm {year}" if vi else f"Year {year}"
