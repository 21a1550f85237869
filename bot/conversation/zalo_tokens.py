"""The Zalo OA token pair in the database, refreshed under a lease; the free-reply window.

Zalo's refresh token is single use and rotates: two workers refreshing with the same one would
leave the OA needing a new authorisation. So one worker at a time takes a lease on the token row
(a short transaction), trades the refresh token with Zalo **outside any transaction**, and stores
the new pair while it still holds the lease (another short one). The others wait for the new
pair. No database lock is held during the HTTP call, so a slow Zalo never stalls the webhooks
(on SQLite, a lock held for the call would block every writer). The lease outlives the HTTP
client's timeout, so it cannot run out while its holder is still talking to Zalo.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp

from bot.common.settings import Settings
from bot.conversation.turns import utc_now
from channels.zalo import refresh_tokens, within_window
from channels.zalo_http import TokenRefused
from storage import Database
from storage.provider_tokens import (
    TokenPair,
    end_refresh_lease,
    last_inbound_at,
    load_tokens,
    save_refreshed,
    seed_tokens,
    take_refresh_lease,
)

PROVIDER = "zalo_oa"
EARLY = timedelta(minutes=10)  # refresh a little before expiry, not on the first -124
SEED_LIFETIME = timedelta(hours=1)  # the settings' first access token: age unknown, assume short
LEASE = timedelta(seconds=60)  # longer than the Zalo HTTP client's 15 s timeout (bot/app.py)
WAIT_POLL = 0.2  # seconds between two looks at another worker's refresh


class DbTokens:
    """The OA's `TokenSource`: current token from the database, refreshes serialised by a lease."""

    def __init__(self, db: Database, settings: Settings, http: aiohttp.ClientSession, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._db, self._settings, self._http, self._clock = db, settings, http, clock

    async def access_token(self) -> str:
        """The stored access token, refreshed first when it is about to expire."""
        async with self._db.transaction() as s:
            pair = await load_tokens(s, PROVIDER)
        if pair is None:
            pair = await self._seed()
        if pair.access_expires_at - EARLY <= self._clock():
            return await self.refresh(pair.access_token)
        return pair.access_token

    async def refresh(self, stale: str) -> str:
        """A fresh access token; when another worker already replaced `stale` (or is replacing it), theirs."""
        owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        give_up = time.monotonic() + 2 * LEASE.total_seconds()
        while True:
            now = self._clock()
            async with self._db.transaction() as s:  # short: read, maybe take the lease, commit
                pair = await load_tokens(s, PROVIDER)
                if pair is None:
                    raise TokenRefused("no Zalo OA tokens stored")
                if pair.access_token != stale and pair.access_expires_at - EARLY > now:
                    return pair.access_token  # someone refreshed meanwhile
                leased = await take_refresh_lease(s, PROVIDER, owner=owner, now=now, until=now + LEASE)
            if leased is not None:
                break
            if time.monotonic() > give_up:
                raise TokenRefused("another worker's Zalo token refresh did not finish")
            await asyncio.sleep(WAIT_POLL)
        try:
            fresh = await refresh_tokens(  # the HTTP call: no transaction is open here
                self._http, self._settings.zalo_oauth_base_url, app_id=self._settings.zalo_app_id,
                app_secret=self._settings.zalo_app_secret.get_secret_value(), refresh_token=leased.refresh_token)
        except BaseException:
            async with self._db.transaction() as s:
                await end_refresh_lease(s, PROVIDER, owner=owner)
            raise
        now = self._clock()
        new = TokenPair(fresh.access_token, fresh.refresh_token, now + timedelta(seconds=fresh.expires_in))
        async with self._db.transaction() as s:
            if not await save_refreshed(s, PROVIDER, new, owner=owner, now=now):
                raise TokenRefused("the Zalo token lease ran out before the refresh returned")
        return new.access_token

    async def _seed(self) -> TokenPair:
        """The first pair comes from the settings; after that the database's pair is the truth."""
        access = self._settings.zalo_oa_access_token.get_secret_value()
        refresh = self._settings.zalo_oa_refresh_token.get_secret_value()
        if not (access or refresh):
            raise TokenRefused("no Zalo OA tokens configured")
        now = self._clock()
        async with self._db.transaction() as s:
            await seed_tokens(s, PROVIDER, TokenPair(access, refresh, now + SEED_LIFETIME), now=now)
            return await load_tokens(s, PROVIDER)  # type: ignore[return-value]


class DbWindow:
    """The OA's `ReplyWindow`: open while the citizen wrote less than ZALO_REPLY_WINDOW_HOURS ago."""

    def __init__(self, db: Database, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._db, self._hours, self._clock = db, settings.zalo_reply_window_hours, clock

    async def is_open(self, user_id: str) -> bool:
        async with self._db.transaction() as s:
            last = await last_inbound_at(s, channel="zalo", address=user_id)
        return within_window(last, self._clock(), self._hours)
