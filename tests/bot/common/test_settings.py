"""Settings: `.env.example` lists exactly the keys the code reads; bad values fail loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

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
    assert settings.telegram_bot_token.get_secret_value() == "1:abc" and settings.staff_ids == {"11", "22"}
    assert settings.telegram_api_base_url == "http://127.0.0.1:9"
    env.write_text("TELEGRAM_STAFF_IDS=alice\n")
    with pytest.raises(SettingsInvalid) as info:
        load_settings(env_file=env)
    assert "TELEGRAM_STAFF_IDS" in info.value.en and "HAILONG_TELEGRAM" not in info.value.en


#: Every secret setting, with a value found nowhere else (so a leak of any one is seen).
SECRETS = {
    "TELEGRAM_BOT_TOKEN": "987654:telegram-bot-token-Qx7", "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-Zr4",
    "ZALO_APP_SECRET": "zalo-app-secret-Kp2", "ZALO_OA_SECRET_KEY": "zalo-oa-secret-Wm9",
    "ZALO_OA_ACCESS_TOKEN": "zalo-access-token-Hb3", "ZALO_OA_REFRESH_TOKEN": "zalo-refresh-token-Jc8",
    "TWILIO_AUTH_TOKEN": "twilio-auth-token-Ln5", "ESMS_API_KEY": "esms-api-key-Vd1",
    "ESMS_SECRET_KEY": "esms-secret-key-Tg6", "HAILONG_SMTP_PASSWORD": "smtp-password-Ye0",
}
DB_PASSWORD = "db-password-Nu4"


def test_secrets_never_show_in_repr_or_str(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    url = f"postgresql+asyncpg://hailong:{DB_PASSWORD}@127.0.0.1:5432/hailong"
    env.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()) + f"HAILONG_DATABASE_URL={url}\n")
    settings = load_settings(env_file=env)
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        for key, value in (*SECRETS.items(), ("HAILONG_DATABASE_URL", DB_PASSWORD)):
            assert value not in shown, key
    # Still there for the code that uses them, each behind .get_secret_value().
    values = {env_key(name): getattr(settings, name) for name in Settings.model_fields}
    for key, value in SECRETS.items():
        assert isinstance(values[key], SecretStr) and values[key].get_secret_value() == value, key
    assert settings.database_url == url


def test_a_bad_secret_is_refused_without_being_echoed(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_WEBHOOK_SECRET=has spaces and é-Qm2\n")
    with pytest.raises(SettingsInvalid) as info:
        load_settings(env_file=env)
    assert "TELEGRAM_WEBHOOK_SECRET" in info.value.en and "Qm2" not in info.value.en + info.value.vi
