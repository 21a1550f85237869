"""Settlement buckets against the dossier query they replace, on random dossiers, on both backends.

`settlement_detail` (one pass over every dossier) is the reference: whatever the dossiers'
dates (not returned, returned before received, due before received, open for years), however
they were written (storage, plain SQL, deleted) and whatever the window, the bucketed counts
must be the same numbers.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, update

from storage import Database, refresh_settlement, settlement_totals, upsert_agency, upsert_dossier
from storage.directory import upsert_officer, upsert_procedure
from storage.results import Dimension, SettlementCounts, settlement_detail
from storage.settlement import SettlementBucket, SettlementChange, aligned, next_bucket
from storage.tables import Dossier

NOW = datetime(2020, 6, 1, tzinfo=timezone.utc)
START, END = date(2018, 10, 1), date(2020, 6, 30)


async def _directory(db: Database) -> tuple[list[int], list[int | None], list[int | None]]:
    async with db.transaction() as s:
        agencies = [(await upsert_agency(s, code=f"A{n}", name=f"Cơ quan {n}", now=NOW)).id for n in range(3)]
        procedures = [(await upsert_procedure(s, code=f"P{n}", name=f"Thủ tục {n}")).id for n in range(4)]
        officers = [(await upsert_officer(s, agency_id=agencies[n % 3], code=f"O{n}", name=f"Cán bộ {n}")).id
                    for n in range(5)]
    return agencies, [*procedures, None], [*officers, None]


def _dates(rng: random.Random) -> tuple[date, date | None, date | None]:
    """Received, due and returned days: mostly plausible, some not returned, some impossible, some years long."""
    received = START + timedelta(days=rng.randrange((END - START).days))
    due = None if rng.random() < 0.2 else received + timedelta(days=rng.randint(-5, 40))
    kind = rng.random()
    if kind < 0.25:
        returned = None
    elif kind < 0.33:
        returned = received - timedelta(days=rng.randint(1, 60))  # the API does not check this
    elif kind < 0.36:
        returned = received + timedelta(days=rng.randint(700, 1200))  # longer than MAX_OPEN_BUCKETS
    else:
        returned = received + timedelta(days=rng.randint(0, 70))
    if due is not None and returned is not None and rng.random() < 0.15:
        returned = due  # on the due day exactly
    return received, due, returned


async def _seed(db: Database, rng: random.Random, n: int) -> list[str]:
    agencies, procedures, officers = await _directory(db)
    codes = []
    async with db.transaction() as s:
        for i in range(n):
            received, due, returned = _dates(rng)
            code = f"D-{i}"
            await upsert_dossier(s, code=code, agency_id=rng.choice(agencies), status=10 if returned else 5,
                                 received_on=received, due_on=due, returned_on=returned,
                                 procedure_id=rng.choice(procedures), officer_id=rng.choice(officers), now=NOW)
            codes.append(code)
    return codes


def _reference(detail: list) -> dict[Dimension, dict[tuple, SettlementCounts]]:
    """The dossier query's rows added up per agency, procedure and officer, written out plainly."""
    out: dict[Dimension, dict[tuple, list[int]]] = {d: {} for d in (Dimension.AGENCY, Dimension.PROCEDURE,
                                                                   Dimension.OFFICER)}
    for agency, procedure, officer, counts in detail:
        for dimension, key in ((Dimension.AGENCY, None), (Dimension.PROCEDURE, procedure),
                               (Dimension.OFFICER, officer)):
            total = out[dimension].setdefault((agency, key), [0] * 7)
            out[dimension][(agency, key)] = [a + b for a, b in zip(total, counts)]
    return {d: {k: SettlementCounts(k[0], k[1], *v) for k, v in groups.items()} for d, groups in out.items()}


def _windows(rng: random.Random, grid: int, count: int) -> list[tuple[date, date]]:
    """Windows of whole buckets (every cut-off and calendar period is one), and a few that are not."""
    starts = [date(2018, 9, 1)]
    while starts[-1] < date(2020, 9, 1):
        starts.append(next_bucket(starts[-1], grid))
    out = []
    for _ in range(count):
        i = rng.randrange(len(starts) - 1)
        j = rng.randrange(i, min(i + 30, len(starts) - 1))
        out.append((starts[i], starts[j + 1] - timedelta(days=1)))
    # The 2019 cut-off quarters, half-years and year at this grid, and calendar quarters.
    for first_month, months in ((12, 3), (3, 3), (6, 3), (9, 3), (12, 6), (12, 12), (1, 3), (4, 3)):
        first = date(2018 if first_month == 12 else 2019, first_month, grid if first_month not in (1, 4) else 1)
        last_month = (first.month - 1 + months) % 12 + 1
        year = first.year + (first.month - 1 + months) // 12
        out.append((first, date(year, last_month, first.day) - timedelta(days=1)))
    for _ in range(5):
        first = START + timedelta(days=rng.randrange(500))
        out.append((first, first + timedelta(days=rng.randrange(1, 200))))
    return out


async def _assert_same(db: Database, rng: random.Random, grid: int, agencies: list[int], count: int = 40) -> int:
    """Compare both ways of counting over random windows; returns how many windows were aligned."""
    compared = 0
    async with db.transaction() as s:
        await refresh_settlement(s, grid=grid)
        for first, last in _windows(rng, grid, count):
            agency = rng.choice([None, None, *agencies])
            expected = _reference(await settlement_detail(s, first=first, last=last, agency_id=agency))
            got = await settlement_totals(s, first=first, last=last, agency_id=agency, grid=grid)
            assert got == expected, (grid, first, last, agency)
            compared += aligned(first, last, grid)
    return compared


async def _agencies(db: Database) -> list[int]:
    async with db.transaction() as s:
        return list((await s.scalars(select(Dossier.agency_id).distinct())).all())


async def test_buckets_equal_the_dossier_query_on_random_dossiers(db: Database) -> None:
    rng = random.Random(2018)
    codes = await _seed(db, rng, 400)
    agencies = await _agencies(db)
    assert await _assert_same(db, rng, 15, agencies) >= 40
    # Changes through storage, through plain SQL, new rows and deleted ones: all logged by the triggers.
    async with db.transaction() as s:
        for code in rng.sample(codes, 120):
            received, due, returned = _dates(rng)
            dossier = await s.scalar(select(Dossier).where(Dossier.code == code))
            await upsert_dossier(s, code=code, agency_id=rng.choice(agencies), status=10 if returned else 5,
                                 received_on=received, due_on=due, returned_on=returned,
                                 procedure_id=dossier.procedure_id if rng.random() < 0.5 else None,
                                 officer_id=dossier.officer_id, now=NOW)
        for code in rng.sample(codes, 40):
            await s.execute(update(Dossier).where(Dossier.code == code)
                            .values(returned_on=None if rng.random() < 0.3 else date(2019, 5, 31)))
        await s.execute(update(Dossier).where(Dossier.code == codes[0]).values(status=9))  # not a watched column
        await s.execute(delete(Dossier).where(Dossier.code.in_(codes[-10:])))
        for i in range(10):
            received, due, returned = _dates(rng)
            await s.execute(insert(Dossier).values(code=f"RAW-{i}", agency_id=agencies[0], status=5,
                                                   received_on=received, due_on=due, returned_on=returned,
                                                   created_at=NOW, updated_at=NOW))
    assert await _assert_same(db, rng, 15, agencies) >= 40
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(SettlementChange)) == 0
    # Another cut-off day rebuilds every bucket from the dossiers, and monthly buckets work too.
    assert await _assert_same(db, rng, 20, agencies) >= 40
    assert await _assert_same(db, rng, 1, agencies, count=20) >= 20


async def test_changes_are_logged_with_the_write_and_applied_once(db: Database) -> None:
    rng = random.Random(61)
    codes = await _seed(db, rng, 20)
    async with db.transaction() as s:
        assert await refresh_settlement(s) == 20  # first use: every dossier
        assert await refresh_settlement(s) == 0
        assert await s.scalar(select(func.count()).select_from(SettlementBucket)) > 0
    async with db.transaction() as s:
        dossier = await s.scalar(select(Dossier).where(Dossier.code == codes[0]))
        same = {c: getattr(dossier, c) for c in ("agency_id", "status", "received_on", "due_on", "returned_on",
                                                 "procedure_id", "officer_id")}
        await upsert_dossier(s, code=codes[0], **same, now=NOW)  # nothing changed: nothing logged
        await upsert_dossier(s, code=codes[1], **{**same, "returned_on": date(2019, 7, 1)}, now=NOW)
    async with db.transaction() as s:
        assert await refresh_settlement(s) == 2  # the old values out, the new ones in
    async with db.transaction() as s:
        first, last = date(2019, 6, 15), date(2019, 9, 14)
        got = await settlement_totals(s, first=first, last=last)
        assert got == _reference(await settlement_detail(s, first=first, last=last))
