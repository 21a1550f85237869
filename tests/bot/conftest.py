"""Fixtures for driving the real `hailong` command (in this process, or a subprocess) against a real database.

`cli_db_url` is an empty database per test: a SQLite file, or (when HAILONG_TEST_POSTGRES_URL is
set) a freshly created PostgreSQL database, dropped afterwards. `hailong` runs in a temporary
working directory so that no `.env` of the repository leaks in.
"""

from __future__ import annotations

import asyncio
import os
import subprocess as subprocess_
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("HAILONG_TEST_POSTGRES_URL")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Cli:
    """Runs `hailong ARGS` with a given database and captures its output.

    In this process by default (click's runner: the same `main`, its exit code, stdout and stderr
    apart), in the test's working directory with only the given environment's HAILONG_ keys;
    `subprocess=True` runs the real `python -m bot` instead (the smoke tests: `main` as installed).
    """

    cwd: Path
    database_url: str

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
                 timeout: float = 120, subprocess: bool = False) -> subprocess_.CompletedProcess[str]:
        wanted = {"HAILONG_DATABASE_URL": self.database_url, "PYTHONIOENCODING": "utf-8"} | (env or {})
        if subprocess:
            full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")} | wanted
            full_env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whichever one the venv installed
            return subprocess_.run(
                [sys.executable, "-m", "bot", *args], cwd=self.cwd, env=full_env, input=input,
                capture_output=True, text=True, timeout=timeout,
            )
        from bot.cli.main import main as hailong

        # Keys the test does not give are unset for the run, as a subprocess would not see them.
        scoped: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HAILONG_")} | wanted
        before = Path.cwd()
        os.chdir(self.cwd)
        try:
            result = CliRunner().invoke(hailong, list(args), input=input, env=scoped, prog_name="hailong")
        finally:
            os.chdir(before)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a traceback, where the subprocess would have printed one
        return subprocess_.CompletedProcess(["hailong", *args], result.exit_code, result.stdout, result.stderr)


def _admin(url: str, statement: str) -> None:
    import asyncpg

    u = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                     password=u.password, database=u.database)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}"
        return
    if not PG_URL:
        pytest.skip("HAILONG_TEST_POSTGRES_URL is not set")
    name = f"hailong_cli_{uuid.uuid4().hex[:12]}"
    _admin(PG_URL, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cli(cli_db_url: str, tmp_path: Path) -> Cli:
    work = tmp_path / "work"
    work.mkdir()
    return Cli(work, cli_db_url)


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    """For tests about the command itself, where the database backend does not matter."""
    work = tmp_path / "work"
    work.mkdir()
    return Cli(work, f"sqlite+aiosqlite:///{tmp_path / 'hailong.db'}")
