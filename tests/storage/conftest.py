"""Storage fixtures: a small directory and one dossier ready to be surveyed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from storage import Database, upsert_agency, upsert_dossier


@dataclass(frozen=True, slots=True)
class Seed:
    """Ids of the seeded rows."""

    agency_id: int
    dossier_id: int


@pytest.fixture
async def seed(db: Database, now: datetime) -> Seed:
    """One agency and one returned dossier, committed."""
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Quận 1", now=now)
        dossier, _ = await upsert_dossier(
            s,
            code="000.17.22.H56-250601-0001",
            agency_id=agency.id,
            status=10,
            received_on=date(2025, 6, 1),
            returned_on=date(2025, 6, 20),
            now=now,
        )
    return Seed(agency.id, dossier.id)


def later(now: datetime, days: int = 7) -> datetime:
    """An instant some days after now."""
    return now + timedelta(days=days)
