"""The command speaks Vietnamese first, then English, from bot/cli/locales: help of every command and
option, and every argument error as one `Lỗi / Error` pair with exit code 1 (click's own are English, exit 2)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.texts import TEXTS

CLI = Path(__file__).resolve().parents[3] / "bot" / "cli"

WRONG = [
    (["bogus"], "không có lệnh bogus", "no such command: bogus"),
    (["survey", "nope"], "không có lệnh nope", "no such command: nope"),
    (["--nope"], "không có tùy chọn --nope", "no such option: --nope"),
    (["survey", "send", "--qr"], "không có tùy chọn --qr", "no such option: --qr"),
    (["survey", "send"], "thiếu tham số CODE", "missing argument CODE"),
    (["report", "--output", "x.csv"], "thiếu tùy chọn --period", "missing option --period"),
    (["report", "--period"], "tùy chọn --period cần một giá trị", "option --period requires a value"),
    (["serve", "--port", "tám"], "'tám' không phải số nguyên", "'tám' is not an integer"),
    (["serve", "--workers", "0"], "nằm ngoài khoảng", "is not in the range"),
    (["report", "--period", "2026-Q4", "--output", "x", "--format", "pdf"], "'pdf' không thuộc", "'pdf' is not one of"),
    (["users", "add", "bob", "--role", "god"], "'god' không thuộc", "'god' is not one of"),
    (["kiosk", "desk", "A", "d", "--timeout", "5"], "--timeout", "--timeout"),
    (["survey", "send", "A", "B"], "thừa tham số: B", "unexpected extra argument: B"),
    (["simulate", "quick", "--context", "x"], "giá trị không hợp lệ cho --context", "invalid value for --context"),
    (["flows", "validate"], "thiếu tham số PATHS", "missing argument PATHS"),
    (["db", "upgrade", "now"], "thừa tham số: now", "unexpected extra argument: now"),
]


@pytest.mark.parametrize(("args", "vi", "en"), WRONG, ids=[" ".join(a) for a, *_ in WRONG])
def test_every_argument_error_is_a_vietnamese_and_english_pair_with_exit_1(args, vi, en, tmp_path) -> None:
    result = CliRunner().invoke(main, args, env={"HAILONG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 1, result.output
    first, second, hint = result.output.splitlines()[:3]
    assert first.startswith("Lỗi: ") and vi in first, result.output
    assert second.startswith("Error: ") and en in second, result.output
    assert "--help" in hint and "Xem cách dùng" in hint
    assert "Usage:" not in result.output and "Traceback" not in result.output


def _commands(command: click.Command, path: str = "main"):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, name if path == "main" else f"{path}.{name}")


@pytest.mark.parametrize(("path", "command"), list(_commands(main)), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_and_option_has_help_in_both_languages(path: str, command: click.Command) -> None:
    assert set(TEXTS[f"help.{path}"]) == {"vi", "en"}
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("help",) and not param.hidden:
            assert set(TEXTS.get(f"help.{path}.{param.name}", {})) == {"vi", "en"}, f"--{param.name} of {path}"
    args = [] if path == "main" else path.split(".")
    out = CliRunner().invoke(main, [*args, "--help"]).output
    vi = TEXTS[f"help.{path}"]["vi"]
    assert vi.split("\n")[0][:30] in out and "Hiện hướng dẫn này rồi thoát" in out


def test_every_text_the_code_asks_for_is_in_the_catalogs() -> None:
    used = {key for file in CLI.glob("*.py")
            for key in re.findall(r"\b(?:say|pair|lines)\(\s*[\"']([\w.-]+)[\"']", file.read_text())}
    assert len(used) > 30
    assert not [key for key in used if set(TEXTS.get(key, {})) != {"vi", "en"}]


def test_a_bad_setting_is_named_in_both_languages(tmp_path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"HAILONG_PORT": "tám mươi",
                                                              "HAILONG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 1
    vi, en = result.output.splitlines()[:2]
    assert vi == "Lỗi: Cấu hình không hợp lệ: HAILONG_PORT: phải là số nguyên"
    assert en.startswith("Error: Invalid settings: HAILONG_PORT: Input should be a valid integer")
