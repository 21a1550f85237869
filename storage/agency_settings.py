"""Per-agency settings (a JSON object on the agency row: API key hashes, kiosk desks, delays), and its open surveys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import NotFound
from storage.tables import Agency, Dossier, Survey


async def get_agency(s: AsyncSession, agency_id: int) -> Agency | None:
    """The agency with this id, as stored now, or None."""
    return await s.get(Agency, agency_id, populate_existing=True)


async def update_agency_settings(s: AsyncSession, agency_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge `changes` into the agency's settings (top-level keys); returns the new settings."""
    agency = await get_agency(s, agency_id)
    if agency is None:
        raise NotFound(f"agency {agency_id} does not exist")
    # A new dict, not an in-place change: the JSON column only notices reassignment.
    agency.settings = {**(agency.settings or {}), **changes}
    await s.flush()
    return dict(agency.settings)


async def open_survey_tokens(s: AsyncSession, agency_id: int, *, limit: int) -> list[tuple[str, str]]:
    """(token, dossier code) of an agency's open surveys, oldest first: for the demo's landing page."""
    stmt = (
        select(Survey.token, Dossier.code)
        .join(Dossier, Dossier.id == Survey.dossier_id)
        .where(Dossier.agency_id == agency_id, Survey.status.in_(["invited", "active"]))
        .order_by(Survey.id)
        .limit(limit)
    )
    return [(token, code) for token, code in await s.execute(stmt)]
