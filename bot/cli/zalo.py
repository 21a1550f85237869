"""`hailong zalo …`: send the ZNS rating invitation of a dossier, reconcile the ratings the webhook missed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import aiohttp
import click

from bot.cli.texts import pair, say
from bot.common.database import open_configured
from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.turns import utc_now
from bot.conversation.zalo_tokens import DbTokens
from bot.conversation.zns import ZnsInvitations, invite_by_zns, reconcile
from channels.zalo_zns import ZnsSender
from storage import Database
from survey_flows import load_schema


class ZaloNotConfigured(HailongError):
    code = "zalo_not_configured"

    def __init__(self, keys: str) -> None:
        super().__init__(*pair("zalo_not_configured", keys=keys))


def require_zalo(settings: Settings) -> None:
    """Refuse to call Zalo without the app id and a first token pair."""
    missing = [k for k, v in (("ZALO_APP_ID", settings.zalo_app_id), ("ZALO_APP_SECRET", settings.zalo_app_secret.get_secret_value()),
                              ("ZALO_OA_REFRESH_TOKEN", settings.zalo_oa_refresh_token.get_secret_value())) if not v]
    if missing:
        raise ZaloNotConfigured(", ".join(missing))


@asynccontextmanager
async def _zns(settings: Settings) -> AsyncIterator[tuple[Database, ZnsSender]]:
    require_zalo(settings)
    async with open_configured(settings) as db, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        tokens = DbTokens(db, settings, http)
        yield db, ZnsSender(http, settings.zalo_zns_api_base_url, tokens, settings.zalo_zns_rating_template_id)


async def zalo_reconcile(settings: Settings, *, days: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Pull the ratings of the last days from rating/get and write the missing ones; counts by result."""
    async with _zns(settings) as (db, sender):
        return await reconcile(db, load_schema(), sender, settings, now=now or utc_now(), days=days)


async def zalo_invite(settings: Settings, code: str) -> None:
    """Send a dossier's ZNS rating invitation to its phone and say how it went."""
    async with _zns(settings) as (db, sender):
        invite = await invite_by_zns(db, settings, ZnsInvitations(db, settings, sender), code, now=utc_now())
    outcome = invite.outcome
    click.echo(f"{say('label.dossier')} {invite.dossier_code}: {outcome.delivery}"
               + (f" ({outcome.error})" if outcome.error else ""))
