"""`hailong schema …`: the scoring schema versions (registered by bot/cli/main.py).

`list` shows every version with its effective dates and the one in force today (Vietnam time);
`check FILE` runs every check a load makes and writes nothing (exit 2 on problems, like
`flows validate`); `load FILE` adds a version (exit 1 with the reason when refused).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.cli.main import error_lines, settings_of
from bot.cli.texts import pair, say
from bot.common.database import open_configured
from bot.common.settings import Settings
from bot.office.schema_versions import (
    Checked,
    SchemaRefused,
    VersionLine,
    check_version,
    load_version,
    today_in_vietnam,
    version_lines,
)
from reports.formats import day

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        click.echo(error_lines(*pair("schema_unreadable", file=path.name)), err=True)
        sys.exit(1)


def _refused(refusal: SchemaRefused, code: int) -> None:
    """The file's problems one per line (Vietnamese / English), then the reason, both on stderr."""
    for problem in refusal.problems:
        click.echo(problem.bilingual(), err=True)
    click.echo(error_lines(*pair(refusal.key, **refusal.values)), err=True)
    sys.exit(code)


def _line(v: VersionLine) -> str:
    until = day(v.last_day) if v.last_day else say("schema_open_end")
    since = day(v.effective_from) if v.effective_from else "…"
    marks = [say("schema_shipped")] if v.shipped else [say("schema_loaded_by", who=v.loaded_by)]
    if v.in_force:
        marks.insert(0, say("schema_in_force"))
    return "\t".join([v.version, f"{since} – {until}", say("schema_evaluations", count=v.evaluations), *marks])


async def _list(settings: Settings, now: datetime) -> list[VersionLine]:
    async with open_configured(settings) as db:
        return await version_lines(db, today=today_in_vietnam(now))


@click.group()
def schema() -> None:
    """Scoring schema versions."""


@schema.command("list")
@click.pass_context
def schema_list(ctx: click.Context) -> None:
    """List schema versions and their effective dates."""
    now = _now()
    rows = asyncio.run(_list(settings_of(ctx), now))
    click.echo(say("schema_list_head", today=day(today_in_vietnam(now))))
    for row in rows:
        click.echo(_line(row))


def _apply(ctx: click.Context, file: Path, *, load: bool) -> None:
    """Check (exit 2 when refused) or load (exit 1 when refused) a file, and say what came of it."""
    text = _text(file)

    async def run() -> Checked:
        async with open_configured(settings_of(ctx)) as db:
            if load:
                return await load_version(db, text, file.name, actor="cli", now=_now())
            return await check_version(db, text, file.name)

    try:
        checked = asyncio.run(run())
    except SchemaRefused as refusal:
        _refused(refusal, 1 if load else 2)
    version, since = checked.schema.version, checked.schema.effective_from
    key = "schema_already" if checked.unchanged else "schema_loaded" if load else "schema_valid"
    click.echo(say(key, version=version, day=day(since) if since else "…"))


@schema.command("check")
@click.argument("file", type=FILE)
@click.pass_context
def schema_check(ctx: click.Context, file: Path) -> None:
    """Check a schema file; exit 2 on problems."""
    _apply(ctx, file, load=False)


@schema.command("load")
@click.argument("file", type=FILE)
@click.pass_context
def schema_load(ctx: click.Context, file: Path) -> None:
    """Load a schema version from a file."""
    _apply(ctx, file, load=True)
