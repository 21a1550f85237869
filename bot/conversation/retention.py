"""Retention: how long each agency keeps contact data, free-text comments and delivery rows, and the
timer that removes them in small batches (storage/retention.py). Evaluations and figures stay.

Per agency (`agencies.settings`), in days, with the defaults (reasons in docs/deploy.md, Decree
13/2023/NĐ-CP: personal data kept only as long as its purpose needs):
`{"retention_contact_days": 90, "retention_comment_days": 365, "retention_delivery_days": 30}`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.common.contact_rules import VN
from bot.conversation.turns import utc_now
from storage import Database
from storage import retention as store
from storage.directory import list_agencies

log = logging.getLogger(__name__)

DEFAULTS = {"retention_contact_days": 90, "retention_comment_days": 365, "retention_delivery_days": 30}
BOUNDS = {"retention_contact_days": (7, 3650), "retention_comment_days": (30, 3650),
          "retention_delivery_days": (2, 3650)}
INBOUND_DAYS = 7  # provider ids: Telegram keeps an update 24 h, Zalo and Twilio retry for minutes
BATCH = 500
EVERY = 3600.0  # seconds between two runs of the timer


@dataclass(frozen=True, slots=True)
class Retention:
    """An agency's retention periods."""

    contact: timedelta
    comment: timedelta
    delivery: timedelta

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> Retention:
        days = {k: int((settings or {}).get(k) or v) for k, v in DEFAULTS.items()}
        return cls(timedelta(days=days["retention_contact_days"]), timedelta(days=days["retention_comment_days"]),
                   timedelta(days=days["retention_delivery_days"]))


async def _batches(db: Database, step: Callable[[Any], Awaitable[int]]) -> int:
    """Run `step` in one short transaction after another until it changes nothing."""
    total = 0
    while True:
        async with db.grouped() as s:  # SQLite: committed with the turns, never a long write lock
            changed = await step(s)
        total += changed
        if changed == 0:
            return total
        await asyncio.sleep(0)  # let the webhooks in between two batches


async def purge(db: Database, *, now: datetime, batch: int = BATCH) -> dict[str, int]:
    """One pass over every agency; rows changed by kind. Safe to run in several processes at once."""
    async with db.transaction() as s:
        agencies = [(a.id, dict(a.settings or {})) for a in await list_agencies(s)]
    counts = dict.fromkeys(("contacts_unlinked", "contacts", "activity", "comments", "sessions", "deliveries",
                            "inbound", "send_limits"), 0)
    shortest_contact = min([Retention.of(st).contact for _, st in agencies] or
                           [timedelta(days=DEFAULTS["retention_contact_days"])])
    for agency_id, settings in agencies:
        keep = Retention.of(settings)
        contact_cutoff = now - keep.contact
        counts["contacts_unlinked"] += await _batches(db, partial(
            store.unlink_contacts, agency_id=agency_id, cutoff=contact_cutoff,
            returned_before=contact_cutoff.astimezone(VN).date(), limit=batch))
        counts["comments"] += await _batches(db, partial(
            store.anonymise_comments, agency_id=agency_id, cutoff=now - keep.comment, limit=batch))
        counts["sessions"] += await _batches(db, partial(
            store.purge_sessions, agency_id=agency_id, cutoff=now - keep.comment, limit=batch))
        counts["deliveries"] += await _batches(db, partial(
            store.purge_deliveries, agency_id=agency_id, cutoff=now - keep.delivery, limit=batch))
    default_delivery = now - timedelta(days=DEFAULTS["retention_delivery_days"])
    counts["deliveries"] += await _batches(db, lambda s: store.purge_deliveries(
        s, agency_id=None, cutoff=default_delivery, limit=batch))
    # A contact no dossier needs any more, created before the shortest contact period of all agencies.
    counts["contacts"] = await _batches(db, lambda s: store.purge_contacts(
        s, created_before=now - shortest_contact, limit=batch))
    counts["activity"] = await _batches(db, lambda s: store.purge_activity(
        s, before=now - shortest_contact, limit=batch))
    counts["inbound"] = await _batches(db, lambda s: store.purge_inbound(
        s, before=now - timedelta(days=INBOUND_DAYS), limit=batch))
    counts["send_limits"] = await _batches(db, lambda s: store.purge_recipient_limits(
        s, before=now - timedelta(days=1), limit=batch))
    return counts


class RetentionTimer:
    """The background task: `purge` every `every` seconds (counts logged, never any personal data)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now, every: float = EVERY) -> None:
        self._db, self._clock, self._every = db, clock, every

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._every * (0.5 + random.random() / 2))  # not at start-up, not all at once
            try:
                counts = await purge(self._db, now=self._clock())
                if any(counts.values()):
                    log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
            except Exception:  # a database hiccup: try again at the next run
                log.exception("retention purge failed")
