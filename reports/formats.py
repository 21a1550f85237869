"""Numbers and dates as people read them: Vietnamese by default ("82,7 %", "14/06/2019"), via Babel."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

NBSP = "\u00a0"
LOCALES = {"vi": "vi_VN", "en": "en_GB"}


def number(value: float | int | None, lang: str = "vi", decimals: int = 0) -> str:
    """A number with the language's separators ("1.234", "82,7"); an em dash for none."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALES.get(lang, "vi_VN"))


def percent(value: float | None, lang: str = "vi") -> str:
    """A percentage to one decimal, the sign after a space in Vietnamese ("82,7 %")."""
    if value is None:
        return "—"
    return number(value, lang, 1) + (NBSP + "%" if lang == "vi" else "%")


def day(value: date, lang: str = "vi") -> str:
    """A date as "14/06/2019" in both languages (the form on official documents)."""
    return format_date(value, format="dd/MM/yyyy", locale=LOCALES.get(lang, "vi_VN"))
