"""A CLI writer on SQLite while another process writes (issue 14): it waits for the lock within the busy
timeout and succeeds; past it, one bilingual line and exit 75, never a traceback."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from tests.bot.cli.test_cli import GOOD, write_csv


def _hold(path: Path, seconds: float) -> threading.Thread:
    """Another process's writer: BEGIN IMMEDIATE, held for `seconds`, then rolled back."""
    ready = threading.Event()

    def run() -> None:
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        con.execute("ROLLBACK")
        con.close()

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait(10)
    return thread


def test_a_cli_writer_waits_for_the_lock_then_writes(sqlite_cli, tmp_path: Path) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    holder = _hold(tmp_path / "hailong.db", 2.0)
    out = sqlite_cli("dossiers", "import", str(write_csv(tmp_path / "d.csv", GOOD)))
    holder.join()
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr


def test_a_cli_writer_past_the_busy_timeout_says_so_in_one_line(sqlite_cli, tmp_path: Path) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    holder = _hold(tmp_path / "hailong.db", 12.0)
    out = sqlite_cli("dossiers", "import", str(write_csv(tmp_path / "d.csv", GOOD)))
    holder.join()
    assert out.returncode == 75, out.stderr
    assert "Traceback" not in out.stderr and "database is locked" in out.stderr
    assert "cơ sở dữ liệu đang bận" in out.stderr and "0912345678" not in out.stderr
