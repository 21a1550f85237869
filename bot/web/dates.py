"""How pages write days and instants: dd/mm/yyyy, Vietnam time (Jinja filters `day` and `vn_time`)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from bot.common.contact_rules import VN


def day(value: date | str | None) -> str:
    """`19/11/2026`; an ISO text is read first; None is "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def vn_time(value: datetime | str | None) -> str:
    """`19/11/2026 14:05` in Vietnam time; stored naive instants are UTC; None is "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M")


FILTERS = {"day": day, "vn_time": vn_time}
