"""What the `hailong` command says: Vietnamese first, then English, from cli.po (msgid = a stable key).

`say` puts both languages on one line (`vi / en`), as the CLI's results and help read;
`lines` puts them one under the other, as errors and longer messages read.
"""

from __future__ import annotations

from bot.common.catalogs import read_catalogs

TEXTS: dict[str, dict[str, str]] = read_catalogs("bot.cli")


def pair(key: str, **values: object) -> tuple[str, str]:
    """(vi, en) of `key`, formatted with `values`."""
    entry = TEXTS[key]
    vi, en = (entry[lang].format(**values) if values else entry[lang] for lang in ("vi", "en"))
    return vi, en


def say(key: str, **values: object) -> str:
    """`vi / en` on one line."""
    return " / ".join(pair(key, **values))


def lines(key: str, **values: object) -> str:
    """Vietnamese on one line, English on the next."""
    return "\n".join(pair(key, **values))
