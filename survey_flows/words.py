"""Normalising what people type, and the fixed words the reply parser knows."""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache

from anyascii import anyascii

_EDGE = string.punctuation + string.whitespace + "…“”‘’«»¿¡。、"
# Variation selector and skin tones: "👍🏽" and "👍" are the same answer.
_INVISIBLE = re.compile("[\ufe0f\ufe0e\U0001F3FB-\U0001F3FF]")
_SPACES = re.compile(r"\s+")
# Courtesy particles around an answer: "Dạ, rất hài lòng ạ" answers "rất hài lòng".
_COURTESY = re.compile(r"^(?:dạ|da)[\s,]+|[\s,]+(?:ạ|a)$")

OPT_OUT = frozenset({"huy", "huy bo", "tu choi", "stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
# "dừng" with its diacritics is always a stop; bare "dung" may also be "đúng" (yes).
OPT_OUT_EXACT = frozenset({"dừng", "dừng lại"})
AMBIGUOUS_STOP = "dung"
HELP = frozenset({"hd", "help", "tro giup", "huong dan"})
BACK = frozenset({"quay lai", "ql", "back", "tro lai"})

YES = frozenset({"có", "co", "yes", "y", "ừ", "ừm", "u", "ok", "okay", "👍", "đúng", "dung", "vâng", "vang",
                 "dạ", "da", "phải", "phai", "có ạ", "dạ có", "da co", "đúng vậy", "dung vay"})
NO = frozenset({"không", "khong", "ko", "k", "no", "n", "👎", "sai", "chưa", "chua", "không ạ", "khong a",
                "dạ không", "da khong", "hông", "hong", "không có", "khong co"})
SKIP = frozenset({"bo qua", "skip", "khong", "ko", "khong co", "no", "none", "chua co", "khong co gi"})
NUMBER_WORDS = {
    "khong": 0, "zero": 0, "một": 1, "mot": 1, "one": 1, "hai": 2, "two": 2, "ba": 3, "three": 3,
    "bốn": 4, "bon": 4, "tư": 4, "four": 4, "năm": 5, "nam": 5, "five": 5, "sáu": 6, "sau": 6,
    "bảy": 7, "bay": 7, "tám": 8, "tam": 8, "chín": 9, "chin": 9, "mười": 10, "muoi": 10,
}
ZERO_PHRASES = frozenset({"khong lan nao", "chua lan nao", "khong co lan nao", "none", "never"})
# Counts said without their number, as the least they mean (without diacritics): "nhiều lần" is more than
# once. Only a number step whose points are the same for every count from there on reads them
# (indicator 3: 2 or more contacts score 0); never a choice, where "2" would be an option's code.
AT_LEAST_PHRASES = {
    "nhieu lan": 2, "nhieu": 2, "rat nhieu lan": 2, "nhieu lan lam": 2, "vai lan": 2, "may lan roi": 2,
    "hon mot lan": 2, "hon 1 lan": 2, "nhieu hon mot lan": 2, "nhieu hon 1 lan": 2, "di lai nhieu lan": 2,
    "lien he nhieu lan": 2, "many times": 2, "several times": 2, "more than once": 2,
}
# Words around a count that change nothing: "1 lần thôi", "chỉ 1 lần", "có 2 lần".
_ONLY = re.compile(r"^(?:chi|co|chi co)\s+|\s+(?:thoi|thoi a|a|only)$")
_COUNT = re.compile(r"(?P<n>\d{1,4}|[a-z]+)(?:\s+(?:lan|times?|l))?")


# fold() and plain() are pure and see the same few hundred labels, aliases and replies over and
# over (every option of a step is folded for every reply): remember them.
@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case-folded, NFC, single-spaced, without punctuation or spaces at either end."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).casefold()
    return _SPACES.sub(" ", text).strip(_EDGE)


@lru_cache(maxsize=8192)
def plain(folded: str) -> str:
    """The folded text without diacritics ("rất hài lòng" -> "rat hai long"); emoji vanish."""
    return _SPACES.sub(" ", "".join(map(_ascii, folded))).strip(_EDGE)


def _ascii(char: str) -> str:
    """One character in ASCII: a Vietnamese letter without its marks; an emoji (":smile:") vanishes."""
    if char.isascii():
        return char
    out = anyascii(char)
    return "" if len(out) > 2 and out.startswith(":") and out.endswith(":") else out


def without_courtesy(folded: str) -> str:
    """A folded reply without a leading "dạ" or a trailing "ạ" (with or without diacritics)."""
    return _COURTESY.sub("", folded).strip(_EDGE)


def count_in(folded: str, *, loose: bool = False) -> int | None:
    """A whole number said as digits or words: "2", "2 lần", "hai", "không lần nào"; `loose` (a number
    step's reply, not a choice) also takes "1 lần thôi", "chỉ 1 lần"."""
    bare = plain(folded)
    if loose:
        bare = _ONLY.sub("", _ONLY.sub("", bare))
    if bare in ZERO_PHRASES:
        return 0
    match = _COUNT.fullmatch(bare)
    if not match:
        return None
    token = match["n"]
    return int(token) if token.isdigit() else NUMBER_WORDS.get(token)


def at_least_in(folded: str) -> int | None:
    """The least count a phrase without a number means ("nhiều lần" → 2), or None."""
    return AT_LEAST_PHRASES.get(_ONLY.sub("", plain(folded)))
