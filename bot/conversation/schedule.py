"""Scheduled work: invite a returned dossier's citizen, remind once, expire; channel fallback.

Timers are `jobs` rows claimed when due (SKIP LOCKED on PostgreSQL), so they survive restarts
and any process may run them. Each job runs in one transaction under the survey's lock, and
the messages it queues are outbox rows of that transaction: sent once, by the dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.contact_rules import ContactRules, check_fits, expiry_hours
from bot.common.settings import Settings
from bot.conversation.reachability import takes_sms
from bot.conversation.surveys import survey_link
from bot.conversation.turns import Conversations, utc_now
from channels.sms import invitation as sms_invitation
from storage import Database, enqueue, load_session, set_survey_status
from storage.locks import lock_key
from storage.outbox import Claimed, OutboxStatus
from storage.schedule import (
    ClaimedJob,
    JobKind,
    Reach,
    claim_jobs,
    extend_expiry,
    finish_job,
    postpone_job,
    reach_of,
    schedule_job,
)
from survey_flows import ExpireReply

log = logging.getLogger(__name__)
ADDRESS_OF = {"zalo_zns": "sms"}  # the plan's channel → the channel its address is filed under
PHONE_CHANNELS = frozenset({"sms", "zalo_zns"})  # a landline takes neither an SMS nor a Zalo account
INVITING = ("invite", "remind")
TEXTS = {
    "invite": "Mời Ông/Bà đánh giá mức độ hài lòng về việc giải quyết hồ sơ {code}: {link}\n"
              "Please rate your satisfaction with the handling of dossier {code}: {link}",
    "remind": "Nhắc lại: Ông/Bà chưa đánh giá hồ sơ {code}. Mời Ông/Bà đánh giá tại {link}\n"
              "Reminder: you have not rated dossier {code} yet. Please rate it at {link}",
}


async def schedule_survey(s: AsyncSession, *, survey_id: int, agency_settings: dict[str, Any] | None, returned_at: datetime,
                          expires_at: datetime, now: datetime) -> datetime:
    """Queue the survey's invitation and expiry timers (idempotent); when the invitation is due.

    PlanCannotFit (nothing scheduled) when the invitation could only go out after the expiry.
    """
    invite_at = check_fits(agency_settings, returned_at, expires_at)
    if invite_at >= expires_at:  # holidays delay the invitation: the survey lasts as long from it
        expires_at = invite_at + (expires_at - returned_at)
        await extend_expiry(s, survey_id, expires_at=expires_at)
    await schedule_job(s, survey_id=survey_id, kind=JobKind.INVITE, due_at=invite_at, now=now)
    await schedule_job(s, survey_id=survey_id, kind=JobKind.EXPIRE, due_at=expires_at, now=now)
    return invite_at


class Scheduler:
    """Runs due jobs; `run()` is the background task next to the dispatcher."""

    def __init__(self, db: Database, settings: Settings, conversations: Conversations,
                 channels: Collection[str], *, clock: Callable[[], datetime] = utc_now,
                 lease: timedelta = timedelta(minutes=5), idle: float = 5.0) -> None:
        self._db, self._settings, self._talk, self._channels = db, settings, conversations, channels
        self._clock, self._lease, self._idle = clock, lease, idle
        self.on_enqueue: Callable[[], None] = lambda: None

    async def run(self) -> None:
        """Run due jobs until cancelled, looking again every `idle` seconds."""
        while True:
            try:
                await self.run_due()
            except Exception:  # keep the timers running through a database hiccup
                log.exception("scheduled jobs failed")
            await asyncio.sleep(self._idle)

    async def run_due(self) -> int:
        """Run every job due now; how many ran."""
        total = 0
        while await self._run_one():
            total += 1
        return total

    async def _run_one(self) -> bool:
        """Claim one due job and do it in the same transaction: a crash puts it back as it was."""
        job: ClaimedJob | None = None
        try:
            async with self._db.grouped() as s:  # a short transaction: committed with the turns (SQLite)
                jobs = await claim_jobs(s, now=self._clock(), lease=self._lease, limit=1)
                if not jobs:
                    return False
                job = jobs[0]
                await lock_key(s, f"survey:{job.survey_id}")
                queued = await self._job(s, job)
        except Exception:
            if job is None:
                raise
            log.exception("job %s (%s) failed", job.id, job.kind)
            await self._postpone(job)
            return True
        if queued:
            self.on_enqueue()
        return True

    async def _postpone(self, job: ClaimedJob) -> None:
        """A job that failed is tried again after its lease, not in a tight loop."""
        async with self._db.grouped() as s:
            await postpone_job(s, job.id, at=self._clock() + self._lease)

    async def _job(self, s: AsyncSession, job: ClaimedJob) -> bool:
        now, reach = self._clock(), await reach_of(s, job.survey_id)
        if reach is None or reach.status not in ("invited", "active") or reach.evaluated:
            await finish_job(s, job, now=now)  # answered (kiosk, web, chat), expired or gone
            return False
        if job.kind is JobKind.EXPIRE:
            queued = await self._expire(s, reach, now)
            await finish_job(s, job, now=now)
            return queued
        return await self._invite(s, job, reach, now)

    async def _invite(self, s: AsyncSession, job: ClaimedJob, reach: Reach, now: datetime) -> bool:
        rules = ContactRules.of(reach.agency_settings)
        opens = rules.next_open(now)
        if opens > now:  # the job ran late, past the contact hours: wait for the next window
            await finish_job(s, job, now=now, again_at=opens)
            return False
        queued = reach.status == "invited" or job.kind is JobKind.REMIND
        queued = queued and await self.queue_invitation(s, reach, str(job.kind), 0, now)
        if queued and job.kind is JobKind.INVITE:
            # The expiry counts from the invitation actually sent, not from the return.
            expires_at = max(reach.expires_at, now + timedelta(hours=expiry_hours(reach.agency_settings,
                                                                                    self._settings)))
            await extend_expiry(s, reach.survey_id, expires_at=expires_at)
            await self._schedule_reminder(s, reach.survey_id, rules, now, expires_at)
        await finish_job(s, job, now=now)
        return queued

    async def _schedule_reminder(self, s: AsyncSession, survey_id: int, rules: ContactRules, now: datetime,
                                 expires_at: datetime) -> None:
        """The one reminder, in a contact window before the expiry; dropped (and said so) when none fits."""
        try:
            remind = rules.remind_at(now)
        except ValueError:
            remind = None
        if remind is None or remind >= expires_at:
            log.info("survey %s: reminder dropped, the next contact window after %s h opens after the expiry",
                     survey_id, rules.reminder.total_seconds() / 3600)
            return
        await schedule_job(s, survey_id=survey_id, kind=JobKind.REMIND, due_at=remind, now=now)

    async def queue_invitation(self, s: AsyncSession, reach: Reach, kind: str, start: int, now: datetime) -> bool:
        """Queue the invitation on the first channel of the plan (from `start`) that can reach them."""
        if reach.opted_out:
            return False
        plan = ContactRules.of(reach.agency_settings).plan
        for index in range(start, len(plan)):
            channel = plan[index]
            address = reach.addresses.get(ADDRESS_OF.get(channel, channel))
            if address is None or channel not in self._channels or channel in reach.closed:
                continue  # no address, no sender, or this person refused this channel before
            if channel in PHONE_CHANNELS and not takes_sms(address):
                log.info("survey %s: %s skipped, the number is not a mobile (landline)", reach.survey_id, channel)
                continue
            link = survey_link(self._settings, reach.token)
            payload = {"kind": kind, "text": self._invitation_text(kind, channel, reach, link),
                       "choices": [], "plan_index": index, "token": reach.token}
            await enqueue(s, channel=channel, address=address, payload=payload, now=now, survey_id=reach.survey_id)
            return True
        return False

    def _invitation_text(self, kind: str, channel: str, reach: Reach, link: str) -> str:
        """Chat channels get the bilingual text; an SMS gets the one-segment template (no diacritics)."""
        if channel != "sms":
            return TEXTS[kind].format(code=reach.dossier_code, link=link)
        own = reach.agency_settings.get("sms_unicode")
        return sms_invitation(reach.dossier_code, link,
                              unicode=bool(self._settings.sms_unicode if own is None else own))

    async def _expire(self, s: AsyncSession, reach: Reach, now: datetime) -> bool:
        """Time is up: an open session gets ExpireReply (its goodbye goes out); the survey is expired."""
        session = await load_session(s, reach.survey_id)
        if session is None or session.status != "active":
            await set_survey_status(s, reach.survey_id, "expired", now=now)
            return False
        from storage.tables import Survey

        survey = await s.get(Survey, reach.survey_id, populate_existing=True)
        assert survey is not None  # `reach` was read from it in this transaction
        address = reach.addresses.get(session.channel) if session.channel in self._channels else None
        turn = await self._talk.reply_in(s, survey, ExpireReply(), address=address)
        return address is not None and bool(turn.messages)

    # --- the dispatcher's hooks ---------------------------------------------------------

    async def still_wanted(self, s: AsyncSession, row: Claimed) -> bool:
        """An invitation or reminder is sent only while the survey is open and unanswered."""
        if row.payload.get("kind") not in INVITING or row.survey_id is None:
            return True
        reach = await reach_of(s, row.survey_id)
        return reach is not None and reach.status in ("invited", "active") and not reach.evaluated \
            and not reach.opted_out

    async def fall_back(self, s: AsyncSession, row: Claimed, status: OutboxStatus) -> None:
        """An invitation that failed, bounced or was refused goes to the plan's next channel."""
        if row.payload.get("kind") not in INVITING or row.survey_id is None:
            return
        reach = await reach_of(s, row.survey_id)
        if reach is None or reach.status not in ("invited", "active") or reach.evaluated:
            return
        start = int(row.payload.get("plan_index", 0)) + 1
        await self.queue_invitation(s, reach, str(row.payload["kind"]), start, self._clock())
