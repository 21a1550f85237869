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
from bot.office.accounts import ROLES, create_user, set_password
from storage import open_database


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Tài khoản cán bộ / Staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="admin | manager (cơ quan và đơn vị trực thuộc) | staff (quầy) | viewer (báo cáo).")
@click.option("--agency", "agency_code", help="Mã cơ quan / agency code (every role but admin).")
@click.option("--officer", "officer_code", help="Mã cán bộ tiếp nhận của người này / the user's officer code.")
@click.option("--name", "display_name", help="Tên hiển thị / display name.")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ stdin / read the password from stdin.")
@click.pass_context
def users_add(ctx: click.Context, username: str, role: str, agency_code: str | None, officer_code: str | None,
              display_name: str | None, password_stdin: bool) -> None:
    """Tạo người dùng (người quản trị đầu tiên: --role admin) / Create a user (the first admin: --role admin)."""
    settings = settings_of(ctx)
    password = _password(password_stdin)

    async def run() -> None:
        async with open_database(settings.database_url) as db:
            await create_user(db, username=username, password=password, role=role, agency_code=agency_code,
                              officer_code=officer_code, display_name=display_name, actor="cli",
                              now=datetime.now(timezone.utc))

    asyncio.run(run())
    click.echo(f"Đã tạo người dùng {username.strip().lower()} ({role}). / User {username.strip().lower()} created ({role}).")


@users.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ stdin / read the password from stdin.")
@click.pass_context
def users_password(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Đặt mật khẩu mới (đăng xuất mọi phiên) / Set a new password (ends every session)."""
    settings = settings_of(ctx)
    password = _password(password_stdin)

    async def run() -> None:
        async with open_database(settings.database_url) as db:
            await set_password(db, username, password, actor="cli", now=datetime.now(timezone.utc))

    asyncio.run(run())
    click.echo(f"Đã đổi mật khẩu của {username}. / Password of {username} changed.")
