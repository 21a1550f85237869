"""`HAILONG_LOG_FORMAT=json`: one JSON object per line, masked like the text lines; text stays the default."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from bot.common.errors import SettingsInvalid
from bot.common.settings import load_settings

SCRIPT = """
import logging, sys
from bot.common.logs import configure_logging
from bot.common.settings import load_settings
from bot.app import create_app
settings = load_settings(env_file=None)
configure_logging("INFO")          # as `hailong serve` does, before the app is built
create_app(settings)               # the composition root applies HAILONG_LOG_FORMAT
log = logging.getLogger("hailong.test")
log.info("gửi tới %s xong", "0912345678")
try:
    raise ValueError("token 123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh")
except ValueError:
    log.exception("hỏng")
"""


def run(fmt: str | None) -> list[str]:
    env = {"PATH": "/usr/bin:/bin", "HAILONG_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
    if fmt is not None:
        env["HAILONG_LOG_FORMAT"] = fmt
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60,
                          check=True)
    return done.stderr.strip().splitlines()


def test_json_lines_are_masked_and_parse() -> None:
    lines = run("json")
    entries = [json.loads(line) for line in lines]
    assert [e["level"] for e in entries] == ["INFO", "ERROR"]
    assert entries[0]["message"] == "gửi tới 091***78 xong" and entries[0]["logger"] == "hailong.test"
    assert entries[0]["time"].endswith("+00:00") and isinstance(entries[0]["process"], int)
    assert "ValueError" in entries[1]["exception"] and "ABCDEFGH" not in entries[1]["exception"]
    assert "0912345678" not in "\n".join(lines)


def test_text_stays_the_default() -> None:
    lines = run(None)
    assert "INFO" in lines[0] and "hailong.test: gửi tới 091***78 xong" in lines[0]
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_other_handlers_are_left_alone() -> None:
    from bot.common.logs import use_log_format

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    try:
        use_log_format("json")
        assert handler.formatter is None  # not one of ours: untouched
    finally:
        logging.getLogger().removeHandler(handler)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(SettingsInvalid):
        load_settings(env_file=None, log_format="xml")
