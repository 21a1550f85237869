"""API keys per agency: shown once when created, stored only as a SHA-256 hash in the agency's settings.

A key reads ``hl_<agency id>_<43 random chars>``: the id finds the agency without a scan, and
256 random bits make a fast hash safe (nothing to brute-force, unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from bot.errors import BadInput
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


async def create_api_key(db: Database, agency_code: str, *, label: str, now: datetime) -> str:
    """A new key for the agency (the only time it is seen in clear); its hash is kept."""
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
        if agency is None:
            raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
        key = f"hl_{agency.id}_{secrets.token_urlsafe(32)}"
        keys = list((agency.settings or {}).get("api_keys", []))
        keys.append({"sha256": key_hash(key), "label": label[:64], "created_at": now.isoformat()})
        await update_agency_settings(s, agency.id, {"api_keys": keys})
        await audit(s, actor="cli", action="api_key.create", subject=f"agency:{agency_code}", now=now)
    return key


async def agency_of_key(db: Database, key: str) -> Agency | None:
    """The agency a key belongs to, or None for a key that is malformed, unknown or revoked."""
    match = KEY.match(key)
    if match is None:
        return None
    async with db.transaction() as s:
        agency = await get_agency(s, int(match.group(1)))
    if agency is None:
        return None
    digest = key_hash(key)
    stored = [k.get("sha256", "") for k in (agency.settings or {}).get("api_keys", [])]
    return agency if any(hmac.compare_digest(digest, h) for h in stored) else None
