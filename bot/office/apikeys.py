"""API keys per agency: shown once when created, stored only as a SHA-256 hash in the agency's settings.

A key reads ``hl_<agency id>_<43 random chars>``: the id finds the agency without a scan, and
256 random bits make a fast hash safe (nothing to brute-force, unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.common.errors import BadInput
from storage import (
    Agency,
    Database,
    audit,
    find_agency,
    get_agency,
    update_agency_settings,
)

KEY = re.compile(r"^hl_([0-9]{1,12})_([A-Za-z0-9_-]{43})$")


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown of a stored key: an id (a prefix of its hash), label, creation time, last 4 chars."""

    id: str
    label: str
    created_at: str
    last4: str


def key_id(entry: dict[str, Any]) -> str:
    """The id of a stored key: the start of its hash (older keys have no id of their own)."""
    return str(entry.get("id") or str(entry.get("sha256", ""))[:12])


def api_keys_of(settings: dict[str, Any] | None) -> list[ApiKeyInfo]:
    """The keys of an agency's settings, as they may be shown (never the key, never the hash)."""
    return [ApiKeyInfo(key_id(k), str(k.get("label", "")), str(k.get("created_at", "")), str(k.get("last4", "")))
            for k in (settings or {}).get("api_keys", [])]


async def create_api_key(db: Database, agency_code: str, *, label: str, now: datetime, actor: str = "cli",
                         free_text: bool = False) -> str:
    """A new key for the agency (the only time it is seen in clear); its hash is kept.

    `free_text`: the key may read citizens' free-text answers (comments) through the results API.
    """
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
        if agency is None:
            raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
        key = f"hl_{agency.id}_{secrets.token_urlsafe(32)}"
        digest = key_hash(key)
        keys = list((agency.settings or {}).get("api_keys", []))
        keys.append({"sha256": digest, "id": digest[:12], "label": label[:64], "created_at": now.isoformat(),
                     "last4": key[-4:], **({"free_text": True} if free_text else {})})
        await update_agency_settings(s, agency.id, {"api_keys": keys})
        await audit(s, actor=actor, action="apikey.create", subject=f"agency:{agency.code}", now=now,
                    detail={"id": digest[:12], "label": label[:64], "free_text": free_text})
    return key


async def revoke_api_key(db: Database, agency_id: int, kid: str, *, actor: str, now: datetime) -> bool:
    """Remove one key of an agency (it stops working at once); False when there is no such key."""
    async with db.transaction() as s:
        agency = await get_agency(s, agency_id)
        if agency is None:
            return False
        keys = list((agency.settings or {}).get("api_keys", []))
        kept = [k for k in keys if key_id(k) != kid]
        if len(kept) == len(keys):
            return False
        gone = next(k for k in keys if key_id(k) == kid)
        await update_agency_settings(s, agency.id, {"api_keys": kept})
        await audit(s, actor=actor, action="apikey.revoke", subject=f"agency:{agency.code}", now=now,
                    detail={"id": kid, "label": str(gone.get("label", ""))})
    return True


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a presented key may do: its agency (and the agency's units), and whether it reads free text."""

    agency: Agency
    free_text: bool


async def grant_of_key(db: Database, key: str) -> KeyGrant | None:
    """The grant of a key, or None for a key that is malformed, unknown or revoked."""
    match = KEY.match(key)
    if match is None:
        return None
    async with db.transaction() as s:
        agency = await get_agency(s, int(match.group(1)))
    if agency is None:
        return None
    digest = key_hash(key)
    for entry in (agency.settings or {}).get("api_keys", []):
        if hmac.compare_digest(digest, str(entry.get("sha256", ""))):
            return KeyGrant(agency, bool(entry.get("free_text")))
    return None


async def agency_of_key(db: Database, key: str) -> Agency | None:
    """The agency a key belongs to, or None for a key that is malformed, unknown or revoked."""
    grant = await grant_of_key(db, key)
    return grant.agency if grant is not None else None
