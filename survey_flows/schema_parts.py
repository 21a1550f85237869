"""Small readers shared by the schema loaders: localized texts, dates, points tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from survey_flows.i18n import Localized, vi_of
from survey_flows.yamlpos import Findings, Path_

SCHEMA_LANGS = ("vi", "en")


def localized(found: Findings, value: Any, path: Path_, what: str,
              languages: tuple[str, ...]) -> Localized:
    """A ``{vi: …, en: …}`` text; every language in ``languages`` must be present."""
    if not isinstance(value, dict) or not value:
        found.add(path, f"{what} must be a mapping of languages, e.g. {{vi: \"…\", en: \"…\"}}",
                  f"{vi_of(what)}: phải ghi theo ngôn ngữ, ví dụ {{vi: \"…\", en: \"…\"}}")
        return Localized(())
    table = value
    for lang in languages:
        if not (isinstance(table.get(lang), str) and table[lang].strip()):
            found.add(path, f"{what} lacks language {lang!r}", f"{vi_of(what)}: thiếu bản ngôn ngữ {lang!r}")
    return Localized.of({k: v for k, v in table.items() if isinstance(v, str)})


def day(found: Findings, value: Any, path: Path_, what: str) -> date | None:
    """A date written ``2019-01-08`` (quoted or not); None when absent."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    found.add(path, f"{what} must be a date written YYYY-MM-DD, not {value!r}",
              f"{what}: phải là ngày dạng NĂM-THÁNG-NGÀY (YYYY-MM-DD), không phải {value!r}")
    return None


def points_table(found: Findings, value: Any, path: Path_, what: str) -> tuple[tuple[int, Localized], ...]:
    table = found.mapping(value, path, what)
    out = []
    for key, text in table.items():
        if found.integer(key, path + (key,), f"{what} key") is not None:
            out.append((key, localized(found, text, path + (key,), f"{what} {key}", SCHEMA_LANGS)))
    return tuple(sorted(out, key=lambda pair: -pair[0]))


def number(found: Findings, value: Any, path: Path_, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    found.add(path, f"{what} must be a number, not {value!r}", f"{what}: phải là một số, không phải {value!r}")
    return 0.0
