"""Provider token pairs, address activity (reply windows) and template messages sent to phones.

A rotating single-use refresh token must be used by exactly one worker: `take_refresh_lease`
marks the row as being refreshed (until a time), so the provider's HTTP call runs with no
transaction open, and `save_refreshed` stores the new pair only while the lease is held.
(`lock_tokens` locks the row for a transaction; it must never span a network call.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.affected import affected
from storage.db import dialect_insert
from storage.tables import (
    AddressActivity,
    ContactAddress,
    ProviderToken,
    TemplateMessage,
)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """`{"access_token": "…", "refresh_token": "…", "access_expires_at": "2026-11-26T03:00:00Z"}`."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime

    def __repr__(self) -> str:  # tokens never reach a log, not even through a repr
        return f"TokenPair(access_expires_at={self.access_expires_at.isoformat()})"


def _pair(row: ProviderToken | None) -> TokenPair | None:
    return None if row is None else TokenPair(row.access_token, row.refresh_token, row.access_expires_at)


async def load_tokens(s: AsyncSession, provider: str) -> TokenPair | None:
    """The provider's stored pair, without locking (for sending with the current access token)."""
    stmt = select(ProviderToken).where(ProviderToken.provider == provider)
    return _pair(await s.scalar(stmt.execution_options(populate_existing=True)))


async def lock_tokens(s: AsyncSession, provider: str) -> TokenPair | None:
    """The provider's pair, locked until the transaction ends (so one worker refreshes at a time)."""
    stmt = select(ProviderToken).where(ProviderToken.provider == provider).with_for_update()
    return _pair(await s.scalar(stmt.execution_options(populate_existing=True)))


async def save_tokens(s: AsyncSession, provider: str, pair: TokenPair, *, now: datetime) -> None:
    """Store the provider's new pair (both tokens in one row: replaced together or not at all)."""
    values = {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
              "access_expires_at": pair.access_expires_at, "updated_at": now}
    stmt = dialect_insert(s, ProviderToken).values(provider=provider, **values)
    await s.execute(stmt.on_conflict_do_update(index_elements=[ProviderToken.provider], set_=values))


async def take_refresh_lease(s: AsyncSession, provider: str, *, owner: str, now: datetime,
                             until: datetime) -> TokenPair | None:
    """Lease the pair for one refresh (nobody holds it, or the holder's lease ran out): the pair to
    trade, or None when another worker holds it. Commit at once; the HTTP call runs outside."""
    stmt = (update(ProviderToken)
            .where(ProviderToken.provider == provider,
                   or_(ProviderToken.refresh_until.is_(None), ProviderToken.refresh_until <= now))
            .values(refresh_owner=owner, refresh_until=until)
            .execution_options(synchronize_session=False))
    if (await affected(s, stmt)) != 1:
        return None
    return await load_tokens(s, provider)


async def save_refreshed(s: AsyncSession, provider: str, pair: TokenPair, *, owner: str, now: datetime) -> bool:
    """Store the new pair and end the lease, only while `owner` still holds it; False otherwise."""
    stmt = (update(ProviderToken).where(ProviderToken.provider == provider, ProviderToken.refresh_owner == owner)
            .values(access_token=pair.access_token, refresh_token=pair.refresh_token,
                    access_expires_at=pair.access_expires_at, updated_at=now, refresh_owner=None, refresh_until=None)
            .execution_options(synchronize_session=False))
    return (await affected(s, stmt)) == 1


async def end_refresh_lease(s: AsyncSession, provider: str, *, owner: str) -> None:
    """The refresh failed: let the next worker try (only `owner`'s lease is ended)."""
    await s.execute(update(ProviderToken).where(ProviderToken.provider == provider,
                                                ProviderToken.refresh_owner == owner)
                    .values(refresh_owner=None, refresh_until=None).execution_options(synchronize_session=False))


async def seed_tokens(s: AsyncSession, provider: str, pair: TokenPair, *, now: datetime) -> bool:
    """Store a first pair (from settings) unless one is stored already; True when stored."""
    values = {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
              "access_expires_at": pair.access_expires_at, "updated_at": now}
    stmt = dialect_insert(s, ProviderToken).values(provider=provider, **values).on_conflict_do_nothing()
    return (await s.execute(stmt.returning(ProviderToken.provider))).scalar_one_or_none() is not None


async def note_activity(
    s: AsyncSession, *, channel: str, address: str, now: datetime,
    wrote: bool = False, following: bool | None = None,
) -> None:
    """Remember that the person wrote (`wrote`) and/or followed or left (`following`)."""
    values: dict[str, object] = {"updated_at": now}
    if wrote:
        values["last_inbound_at"] = now
    if following is not None:
        values["following"] = following
    stmt = dialect_insert(s, AddressActivity).values(channel=channel, address=address, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[AddressActivity.channel, AddressActivity.address], set_=values)
    await s.execute(stmt)


async def last_inbound_at(s: AsyncSession, *, channel: str, address: str) -> datetime | None:
    """When the person behind the address last wrote to us, or None."""
    stmt = select(AddressActivity.last_inbound_at).where(
        AddressActivity.channel == channel, AddressActivity.address == address)
    return await s.scalar(stmt)


async def record_template_message(
    s: AsyncSession, *, channel: str, survey_id: int, template_id: str,
    provider_message_id: str, now: datetime,
) -> None:
    """Remember which survey a template message belongs to (its answer may carry only the id)."""
    stmt = dialect_insert(s, TemplateMessage).values(
        channel=channel, survey_id=survey_id, template_id=template_id,
        provider_message_id=provider_message_id, sent_at=now)
    await s.execute(stmt.on_conflict_do_nothing(
        index_elements=[TemplateMessage.channel, TemplateMessage.provider_message_id]))


async def template_message_survey(s: AsyncSession, *, channel: str, provider_message_id: str) -> int | None:
    """The survey id a template message was sent for, or None."""
    stmt = select(TemplateMessage.survey_id).where(
        TemplateMessage.channel == channel, TemplateMessage.provider_message_id == provider_message_id)
    return await s.scalar(stmt)


async def template_ids_since(s: AsyncSession, *, channel: str, since: datetime) -> list[str]:
    """The template ids used on a channel since a time (what to reconcile)."""
    stmt = (select(TemplateMessage.template_id).where(
        TemplateMessage.channel == channel, TemplateMessage.sent_at >= since).distinct())
    return sorted(await s.scalars(stmt))


async def mark_reachable(s: AsyncSession, *, channel: str, address: str) -> bool:
    """Clear the address's unreachable stamp (the person followed again); False when unknown."""
    stmt = (update(ContactAddress)
            .where(ContactAddress.channel == channel, ContactAddress.address == address)
            .values(unreachable_at=None).execution_options(synchronize_session=False))
    return (await affected(s, stmt)) > 0
