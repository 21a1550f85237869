"""Logs with personal data and secrets masked: phone numbers, bot tokens and survey tokens never reach a log,
and libraries that log them at DEBUG (SQL parameters, Bot API calls) are kept below that level."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

_PHONE = re.compile(r"(?<![\w/])(\+?84|0)(\d{2})\d{4,6}(\d{2})(?!\w)")
_TOKEN = re.compile(r"\b(\d{6,12}):[A-Za-z0-9_-]{30,}\b|\b[A-Za-z0-9_-]{32}\b")


def mask(message: str) -> str:
    """Phone numbers keep only their first and last digits; bot tokens and survey tokens go."""
    message = _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(3)}", message)
    return _TOKEN.sub("***", message)


class MaskingFilter(logging.Filter):
    """Rewrites every record's message through `mask` (attach to the root handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        masked = mask(record.getMessage())
        record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record: a traceback's exception text is not part of the message."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log collectors (`HAILONG_LOG_FORMAT=json`), masked like the text lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "process": record.process,
                 "message": mask(record.getMessage())}
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class AtLeast(logging.Filter):
    """Drops a logger's records below `level` (attached to a logger: only its own records)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


#: Libraries' loggers that write secrets or personal data below some level, and that level: the
#: Bot API URL (it holds the bot token) and every call's chat id and text (python-telegram-bot,
#: DEBUG), request URLs (httpx, INFO). Whatever level the root logger has, these records never
#: reach a handler. (storage.db does the same for the database drivers' statements and rows.)
QUIET_BELOW = {"telegram.Bot": logging.INFO, "httpx": logging.WARNING}


def guard_library_logs() -> None:
    """Attach the `QUIET_BELOW` filters (once; called by the app and by `configure_logging`)."""
    for name, level in QUIET_BELOW.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, AtLeast) for f in logger.filters):
            logger.addFilter(AtLeast(level))


LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")


def _formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else MaskingFormatter(LOG_FORMAT)


def configure_logging(level: str, fmt: str = "text") -> None:
    """Root logging with masking; one line per record with the process id (several workers), text or JSON."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    guard_library_logs()
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter())
        handler.setFormatter(_formatter(fmt))


def use_log_format(fmt: str) -> None:
    """Switch the handlers `configure_logging` set up to text or JSON lines (others are left alone)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.setFormatter(_formatter(fmt))
