"""SMS texts without diacritics come from anyascii (ISC licence) exactly as they came from Unidecode (GPL).

The golden file holds every text of the shipped flows, the schema and the catalogs, the Vietnamese
alphabet and common punctuation, with what `unaccent` and `fold` made of them under Unidecode
(`python -m tests.channels.sms_texts` rewrites it).
"""

from __future__ import annotations

import json
from pathlib import Path

from channels.sms import fold, unaccent

GOLDEN = json.loads((Path(__file__).parent / "golden" / "sms_unaccent.json").read_text("utf-8"))


def test_sms_texts_are_unchanged() -> None:
    assert len(GOLDEN["unaccent"]) > 1000
    changed = {text: (want, unaccent(text)) for text, want in GOLDEN["unaccent"].items() if unaccent(text) != want}
    assert not changed


def test_keywords_fold_as_before() -> None:
    changed = {text: (want, fold(text)) for text, want in GOLDEN["fold"].items() if fold(text) != want}
    assert not changed
    assert fold("  Từ chối! ") == "tu choi" and fold("HỦY") == "huy" and fold("Đăng ký") == "dang ky"
