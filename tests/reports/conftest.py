"""Report fixtures: the hand-computed district of tests/report_district.py."""

from __future__ import annotations

import pytest
from report_district import District, seed_district

from storage import Database


@pytest.fixture
async def district(db: Database) -> District:
    """The seeded district (agency A: 6 evaluations in 2019-Q2, agency B: 3)."""
    return await seed_district(db)


@pytest.fixture
def run_in_thread():
    """Run a coroutine to completion from a sync test (the CLI runs its own event loop)."""
    from live import run_async

    return run_async
