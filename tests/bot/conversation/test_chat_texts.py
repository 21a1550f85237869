"""The chats' Babel catalogs: every key in Vietnamese and English, every key the code says exists,
the same placeholders in both languages, and an SMS answer short enough for one segment."""

from __future__ import annotations

import re
from pathlib import Path

from bot.conversation.texts import TEXTS, say
from channels.sms import size_of, unaccent

CODE = Path(__file__).resolve().parents[3] / "bot" / "conversation"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PROBLEMS = ("unknown", "used", "expired", "ongoing", "elsewhere")  # bot.conversation.surveys.start_problem


def test_every_key_in_both_languages_with_the_same_placeholders() -> None:
    assert len(TEXTS) > 15
    assert sorted(k for k, entry in TEXTS.items() if set(entry) != {"vi", "en"} or not all(entry.values())) == []
    differ = [k for k, e in TEXTS.items() if set(PLACEHOLDER.findall(e["vi"])) != set(PLACEHOLDER.findall(e["en"]))]
    assert differ == []


def test_every_key_the_code_says_is_in_the_catalog() -> None:
    said = {m for path in CODE.rglob("*.py") for m in re.findall(r"\bsay\(\"(\w+)\"", path.read_text("utf-8"))}
    assert said and sorted(said - set(TEXTS)) == []
    assert sorted(set(PROBLEMS) - set(TEXTS)) == []


def test_channel_variants_and_sms_on_one_line() -> None:
    assert say("welcome", "zalo") != say("welcome", "telegram")  # Zalo asks for the code: no deep link
    assert say("welcome", "parrot-like-new-channel") == say("welcome", "telegram")  # the plain key serves others
    text = say("stopped", "sms")
    assert "\n" not in text and " / " in text
    for key in ("stopped", "started", "no_survey"):
        assert size_of(unaccent(say(key, "sms"))).segments <= 2, key
