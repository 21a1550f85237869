"""Schedule every returned dossier that has no survey yet: surveys, invitation and expiry timers in bulk.

For dossiers that arrive by CSV import or a nightly sync rather than one API call each; the
same rules as `schedule_survey` (delay, contact hours, expiry), a few statements per batch.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.contact_rules import ContactRules, expiry_hours
from bot.common.settings import Settings
from bot.conversation.surveys import new_token
from storage import Database, create_surveys, unsurveyed_returned
from storage.schedule import JobKind, schedule_many

log = logging.getLogger(__name__)
BATCH = 2000  # 7 columns a survey: under SQLite's 32,766 bound parameters


async def schedule_returned(db: Database, settings: Settings, *, now: datetime, batch: int = BATCH) -> int:
    """Open and schedule the surveys of returned, unevaluated dossiers without one; how many."""
    total = 0
    after: int | None = 0
    while after is not None:
        async with db.transaction() as s:
            count, after = await _batch(s, settings, now, batch, after)
        total += count
    return total


async def _batch(s: AsyncSession, settings: Settings, now: datetime, batch: int, after: int) -> tuple[int, int | None]:
    """One batch of dossiers after id `after`: their surveys, then their invitation and expiry timers."""
    rows = await unsurveyed_returned(s, after=after, limit=batch)
    if not rows:
        return 0, None
    expires = {d: now + timedelta(hours=expiry_hours(a, settings)) for d, _, a in rows}  # the agency's own
    ids = await create_surveys(s, [
        {"dossier_id": d, "token": new_token(), "flow_id": settings.default_flow, "status": "invited",
         "contact_id": c, "created_at": now, "expires_at": expires[d]} for d, c, _ in rows])
    rules: dict[str, Any] = {}  # per agency settings, parsed once
    jobs = []
    unfit = 0
    for dossier_id, _, agency_settings in rows:
        if dossier_id not in ids:
            continue  # another process opened it meanwhile
        rule = rules.setdefault(repr(agency_settings), ContactRules.of(agency_settings))
        jobs.append((ids[dossier_id], JobKind.EXPIRE, expires[dossier_id]))
        try:
            invite_at = rule.invite_at(now)
        except ValueError:
            invite_at = None
        if invite_at is None or invite_at >= expires[dossier_id]:
            unfit += 1  # the survey stays open (slip, kiosk, link); no invitation after its expiry
            continue
        jobs.append((ids[dossier_id], JobKind.INVITE, invite_at))
    if unfit:
        log.warning("%d returned dossier(s) get no invitation: their agency's plan cannot send one before "
                    "the survey expires (contact days, hours, holidays, survey_ttl_hours)", unfit)
    await schedule_many(s, jobs, now=now)
    return len(ids), (rows[-1][0] if len(rows) == batch else None)
