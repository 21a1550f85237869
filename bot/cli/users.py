"""`hailong users ...`: staff accounts from the command line (registered by bot/cli/main.py).

The password is asked at a hidden prompt, or read from the first line of stdin with
`--password-stdin` (scripts); it is never an option, so it never lands in shell history or `ps`.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone

import click

from bot.cli.main import settings_of
from bot.cli.texts import say
from bot.office.accounts import ROLES, create_user, set_password
from storage import open_database


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(say("label.password"), hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", "agency_code")
@click.option("--officer", "officer_code")
@click.option("--name", "display_name")
@click.option("--password-stdin", is_flag=True)
@click.pass_context
def users_add(ctx: click.Context, username: str, role: str, agency_code: str | None, officer_code: str | None,
              display_name: str | None, password_stdin: bool) -> None:
    """Create a user (the first admin: --role admin)."""
    settings = settings_of(ctx)
    password = _password(password_stdin)

    async def run() -> None:
        async with open_database(settings.database_url) as db:
            await create_user(db, username=username, password=password, role=role, agency_code=agency_code,
                              officer_code=officer_code, display_name=display_name, actor="cli",
                              now=datetime.now(timezone.utc))

    asyncio.run(run())
    click.echo(say("user_created", username=username.strip().lower(), role=role))


@users.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@click.pass_context
def users_password(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a new password (ends every session)."""
    settings = settings_of(ctx)
    password = _password(password_stdin)

    async def run() -> None:
        async with open_database(settings.database_url) as db:
            await set_password(db, username, password, actor="cli", now=datetime.now(timezone.utc))

    asyncio.run(run())
    click.echo(say("password_changed", username=username))
