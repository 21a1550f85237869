"""Babel message catalogs: every text a citizen or staff member reads, in Vietnamese and English.

Each package that speaks keeps `.po` files under `<package>/locales/<lang>/LC_MESSAGES/`
(`bot.web`: the pages; `bot.conversation`: the chats); the msgid is a stable key. `make
messages` checks and compiles them with pybabel.
"""

from __future__ import annotations

from importlib import resources

from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")


def read_catalogs(package: str) -> dict[str, dict[str, str]]:
    """key -> {lang: text}, from every .po file of every language of `package`."""
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        folder = resources.files(package) / "locales" / lang / "LC_MESSAGES"
        for ref in sorted(folder.iterdir(), key=lambda f: f.name):
            if not ref.name.endswith(".po"):
                continue
            with ref.open("rb") as handle:
                catalog = read_po(handle, locale=lang, domain=ref.name[:-3])
            for message in catalog:
                if message.id and message.string:
                    texts.setdefault(str(message.id), {})[lang] = str(message.string)
    return texts
