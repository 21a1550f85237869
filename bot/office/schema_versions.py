"""Scoring schema versions as data: list, check and load them (`hailong schema …` and /admin/schema).

- The shipped 2018 schema is always known; each loaded version adds a YAML text with its dates.
- Loading refuses (nothing written): an invalid file; a version name already known with a different
  text (the same text again changes nothing); dates that overlap, duplicate or leave a gap between
  versions; and a start date on or before a day that already has evaluations recorded under another
  version, since every evaluation keeps the version it recorded.
- A load is audited ("schema.load") in the same transaction as the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reports.periods import DEFAULT_TZ
from reports.versions import known_schemas, pick
from storage import (
    Database,
    DuplicateVersion,
    StoredVersion,
    add_schema_version,
    audit,
    evaluations_by_version,
    evaluations_since,
    stored_versions,
)
from storage.schema_versions import checksum
from survey_flows import Problem, Schema, check_schema_text, load_schema_text
from survey_flows.known_versions import shipped_schema
from survey_flows.schema_loader import shipped_schema_path

MAX_SOURCE = 200_000  # characters: the shipped schema is about 16,000


class SchemaRefused(Exception):
    """Nothing was loaded; `key` names the text that says why (cli.po and admin.po both have it),
    `problems` lists the file's findings by line (Vietnamese and English)."""

    def __init__(self, key: str, problems: list[Problem] | None = None, **values: object) -> None:
        super().__init__(key)
        self.key, self.problems, self.values = key, problems or [], values


@dataclass(frozen=True, slots=True)
class VersionLine:
    """One version as `hailong schema list` and /admin/schema show it."""

    version: str
    effective_from: date | None
    last_day: date | None  # its effective_to, else the day before the next version starts (None: open)
    source: tuple[str, str] | None  # legal source, (vi, en)
    shipped: bool
    in_force: bool
    evaluations: int
    loaded_by: str | None
    loaded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Checked:
    """A file that passed every check: its schema, and whether this very text is already loaded."""

    schema: Schema
    unchanged: bool


def today_in_vietnam(now: datetime) -> date:
    return now.astimezone(ZoneInfo(DEFAULT_TZ)).date()


async def version_lines(db: Database, *, today: date) -> list[VersionLine]:
    """Every known version, oldest first, with the one in force `today` marked."""
    async with db.transaction() as s:
        versions = await known_schemas(s)
        stored = {v.version: v for v in await stored_versions(s)}
        counts = await evaluations_by_version(s)
    in_force = pick(versions, today).version
    out = []
    for index, schema in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        ends = [schema.effective_to] if schema.effective_to is not None else []
        if following is not None and following.effective_from is not None:
            ends.append(_day_before(following.effective_from))
        row = stored.get(schema.version)
        out.append(VersionLine(
            schema.version, schema.effective_from, min(ends) if ends else None,
            (schema.source.get("vi"), schema.source.get("en")) if schema.source is not None else None,
            shipped=row is None, in_force=schema.version == in_force, evaluations=counts.get(schema.version, 0),
            loaded_by=row.loaded_by if row else None, loaded_at=row.loaded_at if row else None))
    return out


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


async def check_version(db: Database, text: str, name: str = "schema.yaml") -> Checked:
    """Every check a load makes, without writing anything; SchemaRefused when one fails."""
    async with db.transaction() as s:
        return await _check(s, text, name, await stored_versions(s))


async def _check(s: AsyncSession, text: str, name: str, stored: list[StoredVersion]) -> Checked:
    if len(text) > MAX_SOURCE:
        raise SchemaRefused("schema_too_big", limit=MAX_SOURCE)
    problems = check_schema_text(text, name)
    if problems:
        raise SchemaRefused("schema_invalid", problems, count=len(problems))
    schema = load_schema_text(text, name)
    known = {v.version: v for v in stored}
    if schema.version in known or schema.version == shipped_schema().version:
        row = known.get(schema.version)
        same = row.checksum == checksum(text) if row is not None else text == _shipped_text()
        if not same:
            raise SchemaRefused("schema_exists", version=schema.version)
        return Checked(schema, unchanged=True)
    others = await known_schemas(s)
    problems = check_schema_text(text, name, existing=others)
    if problems:
        raise SchemaRefused("schema_dates", problems, count=len(problems))
    assert schema.effective_from is not None  # an undated version among others is a problem above
    start = datetime.combine(schema.effective_from, time(), ZoneInfo(DEFAULT_TZ))
    recorded = await evaluations_since(s, start, other_than=schema.version)
    if recorded:
        raise SchemaRefused("schema_retroactive", version=schema.version, count=recorded,
                            day=schema.effective_from.strftime("%d/%m/%Y"))
    return Checked(schema, unchanged=False)


def _shipped_text() -> str:
    return shipped_schema_path().read_text(encoding="utf-8")


async def load_version(db: Database, text: str, name: str = "schema.yaml", *, actor: str,
                       now: datetime) -> Checked:
    """Check and add a version, with its audit entry, in one transaction; SchemaRefused otherwise.
    The same text loaded again changes nothing (``unchanged``) and is not audited again."""
    async with db.transaction() as s:
        checked = await _check(s, text, name, await stored_versions(s))
        if checked.unchanged:
            return checked
        schema = checked.schema
        assert schema.effective_from is not None
        try:
            await add_schema_version(s, version=schema.version, effective_from=schema.effective_from,
                                     effective_to=schema.effective_to, source=text, loaded_by=actor, now=now)
        except DuplicateVersion as exc:  # loaded meanwhile by someone else
            raise SchemaRefused("schema_exists", version=schema.version) from exc
        await audit(s, actor=actor, action="schema.load", subject=f"schema:{schema.version}", now=now,
                    detail={"version": schema.version, "effective_from": schema.effective_from.isoformat(),
                            "effective_to": schema.effective_to.isoformat() if schema.effective_to else None,
                            "checksum": checksum(text)})
    return checked
