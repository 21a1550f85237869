"""The web pages' Babel catalogs: every key in Vietnamese and English, every key a template asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from bot.web.texts import LANGUAGES, TEXTS

TEMPLATES = Path(__file__).resolve().parents[3] / "bot" / "web" / "templates"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""")  # whole keys, not prefixes joined with ~


def test_every_text_has_both_languages() -> None:
    assert len(TEXTS) > 100
    missing = sorted(key for key, entry in TEXTS.items() if set(entry) != set(LANGUAGES) or not all(entry.values()))
    assert missing == []


def test_every_key_a_template_names_is_in_the_catalogs() -> None:
    used = {key for path in TEMPLATES.glob("*.html") for key in LITERAL_KEY.findall(path.read_text("utf-8"))}
    assert len(used) > 100
    assert sorted(used - set(TEXTS)) == []


def test_placeholders_match_between_languages() -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{([a-z_]+)\}", text))
    differ = sorted(key for key, entry in TEXTS.items() if names(entry["vi"]) != names(entry["en"]))
    assert differ == []
