"""What the web pages say, in Vietnamese and English (Vietnamese is the default).

The texts live in Babel catalogs, one .po file per area and language under
`bot/web/locales/<lang>/LC_MESSAGES/` (survey.po, staff.po, ...); the msgid is the key templates pass
to `t(key)`. Every file of one language is read and merged at import.
"""

from __future__ import annotations

from bot.common.catalogs import LANGUAGES, read_catalogs

__all__ = ["LANGUAGES", "TEXTS", "both", "translate"]

#: Page texts by key; templates call `t(key)` for the page's language.
TEXTS: dict[str, dict[str, str]] = read_catalogs("bot.web")


def translate(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang` (Vietnamese when missing), formatted with `values`."""
    entry = TEXTS.get(key, {})
    text = entry.get(lang) or entry.get("vi") or key
    return text.format(**values) if values else text


def both(key: str) -> tuple[str, str]:
    """The Vietnamese and English texts of `key`, for pages that show both."""
    return translate(key, "vi"), translate(key, "en")
