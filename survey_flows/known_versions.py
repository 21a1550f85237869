"""The schema versions an installation knows: the shipped 2018 schema plus every loaded text.

Pure: the caller reads the loaded texts from storage; parsing a text is cached (the same text
gives the same ``Schema``), so asking on every evaluation costs a dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from survey_flows.schema import Schema
from survey_flows.schema_loader import load_schema, load_schema_text


@lru_cache(maxsize=1)
def shipped_schema() -> Schema:
    """The schema file shipped in survey_flows/data (read once)."""
    return load_schema()


@lru_cache(maxsize=64)
def _parsed(version: str, text: str) -> Schema:
    return load_schema_text(text, f"{version}.yaml")


def known_versions(loaded: Iterable[tuple[str, str]]) -> tuple[Schema, ...]:
    """Every version in force at some time: the shipped one, then each loaded ``(version, text)``
    (a loaded text with the shipped version's name stands for it), ordered by effective date."""
    versions = {shipped_schema().version: shipped_schema()}
    for version, text in loaded:
        versions[version] = _parsed(version, text)
    return tuple(sorted(versions.values(), key=lambda s: (s.effective_from or date.min, s.version)))
