"""Settings: `.env.example` lists exactly the keys the code reads; bad values fail loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.common.errors import SettingsInvalid
from bot.common.settings import Settings, env_key, load_settings

ROOT = Path(__file__).parents[3]


def test_env_example_lists_exactly_the_settings() -> None:
    text = (ROOT / ".env.example").read_text("utf-8")
    keys = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.M))
    expected = {env_key(name) for name in Settings.model_fields}
    assert "TELEGRAM_BOT_TOKEN" in expected and "HAILONG_PORT" in expected
    assert keys == expected


def test_env_example_values_are_valid(tmp_path: Path) -> None:
    settings = load_settings(env_file=ROOT / ".env.example")
    assert settings.port == 8080 and settings.language == "vi"


@pytest.mark.parametrize(
    ("key", "value"),
    [("port", "eighty"), ("language", "fr"), ("public_url", "example.vn"), ("survey_ttl_hours", "0")],
)
def test_bad_values_name_the_key(key: str, value: str, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"HAILONG_{key.upper()}={value}\n")
    with pytest.raises(SettingsInvalid) as info:
        load_settings(env_file=env)
    assert f"HAILONG_{key.upper()}" in info.value.en and f"HAILONG_{key.upper()}" in info.value.vi


def test_public_url_loses_its_trailing_slash(tmp_path: Path) -> None:
    assert load_settings(env_file=None, public_url="https://x.vn/").public_url == "https://x.vn"


def test_telegram_keys_have_no_prefix_and_bad_values_name_them(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=1:abc\nTELEGRAM_STAFF_IDS=11, 22\nTELEGRAM_API_BASE_URL=http://127.0.0.1:9/\n")
    settings = load_settings(env_file=env)
    assert settings.telegram_bot_token == "1:abc" and settings.staff_ids == {"11", "22"}
    assert settings.telegram_api_base_url == "http://127.0.0.1:9"
    env.write_text("TELEGRAM_STAFF_IDS=alice\n")
    with pytest.raises(SettingsInvalid) as info:
        load_settings(env_file=env)
    assert "TELEGRAM_STAFF_IDS" in info.value.en and "HAILONG_TELEGRAM" not in info.value.en
