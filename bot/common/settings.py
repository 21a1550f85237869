"""Settings, read in one place: the environment and `.env`, failing loudly on a bad value."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.common.errors import SettingsInvalid

_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{0,256}")  # what Telegram accepts as secret_token


class Settings(BaseSettings):
    """Every setting of hailong; `.env.example` lists exactly these keys (a test checks).

    Tokens, keys and passwords are `SecretStr` (shown as ********** in a repr, a log or an error):
    read them with `.get_secret_value()` where they are used, never earlier. The database URL,
    which may carry a password, is left out of the repr.
    """

    model_config = SettingsConfigDict(
        env_prefix="HAILONG_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(  # not in repr: a PostgreSQL URL may hold a password
        "sqlite+aiosqlite:///var/hailong.db", description="SQLite (default) or PostgreSQL URL", repr=False
    )
    public_url: str = Field("http://127.0.0.1:8080", description="Public base URL of survey links")
    host: str = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(8080, ge=1, le=65535, description="Port the web server listens on")
    default_flow: str = Field("nd61-standard", description="Flow used when an agency names none")
    survey_ttl_hours: int = Field(72, ge=1, le=24 * 90, description="Hours before a survey expires")
    language: str = Field("vi", description="Default language of citizens: vi or en")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: str = Field("text", pattern=r"^(text|json)$",
                            description="text (one line per record) or json (one JSON object per line)")
    staff_session_minutes: int = Field(
        480, ge=5, le=7 * 24 * 60, description="Minutes a staff sign-in stays valid without use"
    )
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is "
                        "believed (sign-in and kiosk throttling count the client's address, not the proxy's)",
    )
    report_window: str = Field(
        "cutoff", pattern=r"^(cutoff|calendar)$",
        description="Report data windows: cutoff (15th to 14th) or calendar months",
    )
    report_cutoff_day: int = Field(15, ge=1, le=28, description="First day of a cut-off window")
    send_limits: str = Field(
        "telegram=30,sms=10,zalo=10,zalo_zns=10", pattern=r"^([a-z_]+=[0-9.]+)?(,[a-z_]+=[0-9.]+)*$",
        description="Messages per second per provider, shared by every process: channel=rate,…",
    )
    send_in_flight: int = Field(
        1, ge=1, le=64,
        description="Sends of one process not yet recorded, at most: a crash repeats at most this many messages",
    )
    # Telegram keys carry no HAILONG_ prefix: the names Telegram's own docs and tools use.
    telegram_bot_token: SecretStr = Field(
        SecretStr(""), validation_alias="TELEGRAM_BOT_TOKEN", description="Bot token from @BotFather"
    )
    telegram_webhook_secret: SecretStr = Field(
        SecretStr(""), validation_alias="TELEGRAM_WEBHOOK_SECRET",
        description="Secret token Telegram sends with every webhook delivery",
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org", validation_alias="TELEGRAM_API_BASE_URL",
        description="Bot API server: Telegram's, a local Bot API server or a test double",
    )
    telegram_bot_username: str = Field(
        "", validation_alias="TELEGRAM_BOT_USERNAME", description="Bot username, for t.me deep links"
    )
    telegram_staff_ids: str = Field(
        "", validation_alias="TELEGRAM_STAFF_IDS", pattern=r"^[0-9, ]*$",
        description="Comma-separated Telegram user ids of reception staff",
    )

    # Zalo keys carry no HAILONG_ prefix either: the names of Zalo's developer console.
    zalo_app_id: str = Field("", validation_alias="ZALO_APP_ID", description="Zalo app id")
    zalo_app_secret: SecretStr = Field(SecretStr(""), validation_alias="ZALO_APP_SECRET",
                                       description="Zalo app secret key (OAuth token refresh)")
    zalo_oa_secret_key: SecretStr = Field(SecretStr(""), validation_alias="ZALO_OA_SECRET_KEY",
                                          description="OA secret key that signs webhook events; empty turns Zalo off")
    zalo_oa_access_token: SecretStr = Field(SecretStr(""), validation_alias="ZALO_OA_ACCESS_TOKEN",
                                            description="First OA access token (stored in the database, then refreshed)")
    zalo_oa_refresh_token: SecretStr = Field(SecretStr(""), validation_alias="ZALO_OA_REFRESH_TOKEN",
                                             description="First OA refresh token (single use; rotated in the database)")
    zalo_zns_rating_template_id: str = Field("", validation_alias="ZALO_ZNS_RATING_TEMPLATE_ID",
                                             description="Approved ZNS service-rating template id")
    zalo_oa_api_base_url: str = Field("https://openapi.zalo.me", validation_alias="ZALO_OA_API_BASE_URL",
                                      description="OA API host, or a test double")
    zalo_oauth_base_url: str = Field("https://oauth.zaloapp.com", validation_alias="ZALO_OAUTH_BASE_URL",
                                     description="OAuth host, or a test double")
    zalo_zns_api_base_url: str = Field("https://business.openapi.zalo.me", validation_alias="ZALO_ZNS_API_BASE_URL",
                                       description="ZNS API host, or a test double")
    zalo_reply_window_hours: int = Field(48, ge=1, le=24 * 7, validation_alias="ZALO_REPLY_WINDOW_HOURS",
                                         description="Hours after a citizen's last message in which the OA may reply free")
    zalo_event_max_age_seconds: int = Field(
        600, ge=30, le=24 * 3600,
        description="Seconds a signed Zalo webhook event may be stamped before or after our clock; older or "
                    "later events are refused (a replay), so keep it longer than Zalo's retries",
    )

    # SMS keys: Twilio's and eSMS's own names; HAILONG_SMS_* are ours.
    twilio_account_sid: str = Field("", validation_alias="TWILIO_ACCOUNT_SID",
                                    description="Twilio account SID (AC…); empty turns Twilio off")
    twilio_auth_token: SecretStr = Field(SecretStr(""), validation_alias="TWILIO_AUTH_TOKEN",
                                         description="Twilio auth token: signs webhooks, authenticates sends")
    twilio_from_number: str = Field("", validation_alias="TWILIO_FROM_NUMBER",
                                    description="Sender number in E.164 (when no Messaging Service)")
    twilio_messaging_service_sid: str = Field("", validation_alias="TWILIO_MESSAGING_SERVICE_SID",
                                              description="Messaging Service SID (MG…); wins over the From number")
    twilio_api_base_url: str = Field("https://api.twilio.com", validation_alias="TWILIO_API_BASE_URL",
                                     description="Twilio REST host, a regional edge or a test double")
    esms_api_key: SecretStr = Field(SecretStr(""), validation_alias="ESMS_API_KEY", description="eSMS API key; empty turns eSMS off")
    esms_secret_key: SecretStr = Field(SecretStr(""), validation_alias="ESMS_SECRET_KEY", description="eSMS secret key")
    esms_brandname: str = Field("", validation_alias="ESMS_BRANDNAME",
                                description="Brand name registered with the carriers (sender id)")
    esms_api_base_url: str = Field("https://rest.esms.vn", validation_alias="ESMS_API_BASE_URL",
                                   description="eSMS REST host, or a test double")
    esms_sandbox: bool = Field(False, validation_alias="ESMS_SANDBOX",
                               description="Send with Sandbox=1: eSMS answers but sends nothing")
    sms_unicode: bool = Field(False, description="SMS with diacritics (UCS-2, 70 characters) unless an agency says")
    sms_segment_price: int = Field(850, ge=0, description="Estimated price of one SMS segment, in VND")
    # E-mail for supervisors' alerts (never for citizens); empty host turns e-mail off.
    smtp_host: str = Field("", description="SMTP server for alert e-mails")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port")
    smtp_username: str = Field("", description="SMTP user (empty: no login)")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password")
    smtp_from: str = Field("hailong@localhost", description="Sender address of alert e-mails")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS")

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr) -> SecretStr:
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be at most 256 of A-Z, a-z, 0-9, _ and -")  # never the value itself
        return value

    @field_validator("twilio_api_base_url", "esms_api_base_url")
    @classmethod
    def _sms_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def staff_ids(self) -> frozenset[str]:
        """The Telegram user ids allowed to trigger surveys."""
        return frozenset(i.strip() for i in self.telegram_staff_ids.split(",") if i.strip())

    @field_validator("public_url", "telegram_api_base_url", "zalo_oa_api_base_url", "zalo_oauth_base_url",
                     "zalo_zns_api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                ipaddress.ip_network(part, strict=False)  # ValueError names the bad one
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("vi", "en"):
            raise ValueError("must be vi or en")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()


def load_settings(env_file: Path | None = Path(".env"), **overrides: Any) -> Settings:
    """Read the settings, turning a bad value into one clear bilingual error."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        found = [(env_key("_".join(map(str, e["loc"]))), e) for e in exc.errors()]
        vi = "; ".join(f"{key}: {PROBLEM_VI.get(e['type'], e['msg'])}" for key, e in found)
        en = "; ".join(f"{key}: {e['msg']}" for key, e in found)
        raise SettingsInvalid(vi, en) from None


# pydantic's error types in Vietnamese; its English message is kept for the English line (and for
# a type not listed here, whose message is our own validator's).
PROBLEM_VI = {
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số",
    "bool_parsing": "phải là true hoặc false",
    "greater_than_equal": "quá nhỏ",
    "less_than_equal": "quá lớn",
    "greater_than": "quá nhỏ",
    "less_than": "quá lớn",
    "literal_error": "không thuộc các giá trị cho phép",
    "enum": "không thuộc các giá trị cho phép",
    "missing": "bắt buộc phải có",
    "string_too_long": "quá dài",
    "string_too_short": "quá ngắn",
    "url_parsing": "không phải địa chỉ URL hợp lệ",
    "json_invalid": "không phải JSON hợp lệ",
}


def env_key(name: str) -> str:
    """The environment key of a setting (a field name or an alias)."""
    field = Settings.model_fields.get(name.lower())
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    return name if name.startswith(("TELEGRAM_", "ZALO_", "TWILIO_", "ESMS_")) else f"HAILONG_{name.upper()}"
