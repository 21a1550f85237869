"""Texts in several languages: flow texts (``Localized``) and system texts (gettext .po)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from babel.messages.pofile import read_po

DEFAULT_LANG = "vi"
DOMAIN = "hailong"
CATALOG_LANGS = ("vi", "en")
PLACEHOLDERS = frozenset({"dossier_code", "procedure", "agency", "officer"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Localized:
    """One text per language; YAML form ``{vi: "Cảm ơn", en: "Thank you"}``."""

    items: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, mapping: Mapping[str, str]) -> Localized:
        return cls(tuple((str(k), str(v)) for k, v in mapping.items()))

    def get(self, lang: str) -> str:
        """The text in ``lang``, else Vietnamese, else the first one."""
        table = dict(self.items)
        return table.get(lang) or table.get(DEFAULT_LANG) or (self.items[0][1] if self.items else "")

    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang, _ in self.items)

    def values(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.items)


def placeholders_in(text: str) -> set[str]:
    """Names used as ``{name}`` in a flow text."""
    return set(_PLACEHOLDER.findall(text))


def fill(text: str, context: Mapping[str, str]) -> str:
    """Replace ``{name}`` from ``context``; a missing name renders as empty, never raises."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = str(context.get(match.group(1), "") or "")
        missing = missing or not found
        return found

    filled = _PLACEHOLDER.sub(value, text)
    # "hồ sơ {dossier_code} ({procedure})" without values must not read "hồ sơ  ()".
    return _tidy(filled) if missing else filled


def _tidy(text: str) -> str:
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([.,!?:;])", r"\1", text)
    return "\n".join(line.strip().lstrip(":,;").strip() for line in text.split("\n"))


@lru_cache(maxsize=None)
def _catalog(lang: str, domain: str = DOMAIN) -> dict[str, str]:
    """msgid -> msgstr for one language, read from the shipped .po file."""
    ref = resources.files("survey_flows") / "locales" / lang / "LC_MESSAGES" / f"{domain}.po"
    with ref.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def catalog_ids(lang: str) -> dict[str, str]:
    """Every translated msgid of ``lang`` (a copy, for tests and tools)."""
    return dict(_catalog(lang))


CHECKS = "checks"  # the flow checker's messages (locales/*/LC_MESSAGES/checks.po)


class Words(str):
    """A piece of a checker message: its English as the string, its Vietnamese in ``vi``.

    ``Words("step 'x': ", "câu 'x': ")`` goes into a message's ``{where}``; ``then`` appends.
    """

    vi: str

    def __new__(cls, en: str, vi: str) -> Words:
        words = super().__new__(cls, en)
        words.vi = vi
        return words

    def then(self, en: str, vi: str) -> Words:
        return Words(str(self) + en, self.vi + vi)


def vi_of(text: str) -> str:
    """The Vietnamese of a ``Words``; any other text as it is."""
    return text.vi if isinstance(text, Words) else text


def check_text(lang: str, msgid: str, **values: object) -> str:
    """A flow checker message in ``lang`` (vi or en) from the ``checks`` catalog, filled with ``values``
    (a ``Words`` value in its Vietnamese for vi)."""
    table = _catalog(lang if lang in CATALOG_LANGS else DEFAULT_LANG, CHECKS)
    text = table.get(msgid, msgid)
    if lang == "vi":
        values = {k: vi_of(v) if isinstance(v, Words) else v for k, v in values.items()}
    return text.format(**values)


def check_ids(lang: str) -> dict[str, str]:
    """Every msgid of the checker's catalog in ``lang`` (a copy, for tests)."""
    return dict(_catalog(lang, CHECKS))


def gettext(lang: str, msgid: str, **values: object) -> str:
    """System text in ``lang`` (English msgid as the fallback), formatted with ``values``."""
    table = _catalog(lang) if lang in CATALOG_LANGS else _catalog(DEFAULT_LANG)
    text = table.get(msgid, msgid)
    return text.format(**values) if values else text
