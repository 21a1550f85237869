"""What the chats say (Telegram, Zalo OA, SMS): Vietnamese first, then English, from chat.po.

A key may have a channel's own variant, `key.<channel>` (Zalo has no deep link, so its welcome
asks for the dossier code); the plain key serves every other channel. SMS puts both languages
on one line (every character costs), the chats one under the other.
"""

from __future__ import annotations

from bot.common.catalogs import read_catalogs

TEXTS: dict[str, dict[str, str]] = read_catalogs("bot.conversation")
SEPARATOR = {"sms": " / "}


def say(key: str, channel: str, **values: object) -> str:
    """The bilingual text of `key` on `channel`, formatted with `values`."""
    entry = TEXTS.get(f"{key}.{channel}") or TEXTS[key]
    vi, en = (entry[lang].format(**values) if values else entry[lang] for lang in ("vi", "en"))
    return f"{vi}{SEPARATOR.get(channel, chr(10))}{en}"
