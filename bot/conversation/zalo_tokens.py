"""The Zalo OA token pair in the database, refreshed under a lock; the free-reply window.

Zalo's refresh token is single use and rotates: two workers refreshing with the same one would
leave the OA needing a new authorisation. So a refresh locks the token row, checks that nobody
refreshed meanwhile, trades the refresh token and stores the new pair in the same transaction.
"""

from __future__ import annotations

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
    last_inbound_at,
    load_tokens,
    lock_tokens,
    save_tokens,
    seed_tokens,
)

PROVIDER = "zalo_oa"
EARLY = timedelta(minutes=10)  # refresh a little before expiry, not on the first -124
SEED_LIFETIME = timedelta(hours=1)  # the settings' first access token: age unknown, assume short


class DbTokens:
    """The OA's `TokenSource`: current token from the database, refreshes serialised by a row lock."""

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
        """A fresh access token; when another worker already replaced `stale`, theirs."""
        async with self._db.transaction() as s:
            pair = await lock_tokens(s, PROVIDER)
            if pair is None:
                raise TokenRefused("no Zalo OA tokens stored")
            now = self._clock()
            if pair.access_token != stale and pair.access_expires_at - EARLY > now:
                return pair.access_token
            fresh = await refresh_tokens(
                self._http, self._settings.zalo_oauth_base_url, app_id=self._settings.zalo_app_id,
                app_secret=self._settings.zalo_app_secret, refresh_token=pair.refresh_token)
            new = TokenPair(fresh.access_token, fresh.refresh_token, now + timedelta(seconds=fresh.expires_in))
            await save_tokens(s, PROVIDER, new, now=now)
        return new.access_token

    async def _seed(self) -> TokenPair:
        """The first pair comes from the settings; after that the database's pair is the truth."""
        access, refresh = self._settings.zalo_oa_access_token, self._settings.zalo_oa_refresh_token
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
