"""What the web pages say, in Vietnamese and English (Vietnamese is the default).

The texts live in Babel catalogs, one .po file per area and language under
`web/locales/<lang>/LC_MESSAGES/` (survey.po, staff.po, ...); the msgid is the key templates pass
to `t(key)`. Every file of one language is read and merged at import.
"""

from __future__ import annotations

from importlib import resources

from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")


def _read_catalogs() -> dict[str, dict[str, str]]:
    """key -> {lang: text}, from every .po file of every language."""
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        folder = resources.files("bot.web") / "locales" / lang / "LC_MESSAGES"
        for ref in sorted(folder.iterdir(), key=lambda f: f.name):
            if not ref.name.endswith(".po"):
                continue
            with ref.open("rb") as handle:
                catalog = read_po(handle, locale=lang, domain=ref.name[:-3])
            for message in catalog:
                if message.id and message.string:
                    texts.setdefault(str(message.id), {})[lang] = str(message.string)
    return texts


#: Page texts by key; templates call `t(key)` for the page's language.
TEXTS: dict[str, dict[str, str]] = _read_catalogs()


def translate(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang` (Vietnamese when missing), formatted with `values`."""
    entry = TEXTS.get(key, {})
    text = entry.get(lang) or entry.get("vi") or key
    return text.format(**values) if values else text


def both(key: str) -> tuple[str, str]:
    """The Vietnamese and English texts of `key`, for pages that show both."""
    return translate(key, "vi"), translate(key, "en")
