"""`hailong users add|password`: the first admin from the command line; passwords only as Argon2 hashes."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage import AuditEntry, User, open_database

PASSWORD = "một mật khẩu rất dài 42"


def _users(url: str) -> list[tuple[str, str, str]]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return [(u.username, u.role, u.password_hash) for u in await s.scalars(select(User))]
    return asyncio.run(run())


def test_first_admin_is_created_with_a_hashed_password(cli) -> None:
    assert cli("db", "upgrade").returncode == 0
    out = cli("users", "add", "Admin.Nguyen", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert out.returncode == 0, out.stderr
    assert "admin.nguyen" in out.stdout and PASSWORD not in out.stdout + out.stderr
    [(name, role, hashed)] = _users(cli.database_url)
    assert (name, role) == ("admin.nguyen", "admin")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed

    again = cli("users", "add", "admin.nguyen", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert again.returncode == 1 and "đã có người dùng" in again.stderr and "is taken" in again.stderr

    changed = cli("users", "password", "admin.nguyen", "--password-stdin", input="mật khẩu mới thật dài\n")
    assert changed.returncode == 0, changed.stderr
    assert _users(cli.database_url)[0][2] != hashed


def test_bad_users_are_refused_with_clear_messages_and_nothing_written(sqlite_cli) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    cases = [
        (["users", "add", "bob", "--role", "admin"], "short\n", "ít nhất 10 ký tự"),
        (["users", "add", "x", "--role", "admin"], PASSWORD + "\n", "3–64"),
        (["users", "add", "bob", "--role", "staff"], PASSWORD + "\n", "cần có cơ quan"),
        (["users", "add", "bob", "--role", "staff", "--agency", "NOPE"], PASSWORD + "\n", "Không có cơ quan NOPE"),
    ]
    for args, stdin, message in cases:
        out = sqlite_cli(*args, "--password-stdin", input=stdin)
        assert out.returncode == 1 and message in out.stderr and "Error:" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and PASSWORD not in out.stderr
    unknown_role = sqlite_cli("users", "add", "bob", "--role", "superuser", "--password-stdin", input=PASSWORD)
    assert unknown_role.returncode == 1 and "superuser" in unknown_role.stderr and "Lỗi:" in unknown_role.stderr
    assert _users(sqlite_cli.database_url) == []

    async def audit_rows():
        async with open_database(sqlite_cli.database_url) as db, db.transaction() as s:
            return list(await s.scalars(select(AuditEntry.action)))
    assert asyncio.run(audit_rows()) == []
