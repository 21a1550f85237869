"""Retention: personal data removed once its purpose is served, in small batches, figures kept.

Each function does one batch of at most `limit` rows in the caller's (short) transaction and
returns how many it changed; the caller loops until 0, one transaction per batch, so no lock is
held for long. What stays: dossiers, surveys (status, dates, channel), evaluations and their
scored answers, follow-ups, the report tables — every figure of every report.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.surveys import OPEN_STATUSES
from storage.tables import (
    AddressActivity,
    Answer,
    Contact,
    ContactAddress,
    Dossier,
    Evaluation,
    InboundMessage,
    Job,
    OutboxMessage,
    RateLimit,
    Survey,
    SurveySession,
    TemplateMessage,
)

_OPEN = [str(st) for st in OPEN_STATUSES]
_FINAL_OUTBOX = ("sent", "failed", "unreachable", "opted_out", "cancelled", "delivered", "undelivered", "read")
ANONYMISED = ""  # a comment's text once removed: not NULL, so it stays out of the anonymous answer rows


def _ended_before(cutoff: datetime) -> ColumnElement[bool]:
    """A survey that is over and ended (or expired) before `cutoff`."""
    return and_(Survey.status.not_in(_OPEN), func.coalesce(Survey.ended_at, Survey.expires_at) < cutoff)


async def unlink_contacts(s: AsyncSession, *, agency_id: int, cutoff: datetime, returned_before: date,
                          limit: int) -> int:
    """Detach the contact from the agency's dossiers whose survey ended before `cutoff` (or that were
    returned before `returned_before` and never surveyed); the contacts themselves go in `purge_contacts`."""
    surveyed = (select(Dossier.id).join(Survey, Survey.dossier_id == Dossier.id)
                .where(Dossier.agency_id == agency_id, _ended_before(cutoff),
                       or_(Dossier.contact_id.is_not(None), Survey.contact_id.is_not(None))))
    unsurveyed = (select(Dossier.id).where(
        Dossier.agency_id == agency_id, Dossier.contact_id.is_not(None), Dossier.returned_on < returned_before,
        not_(exists().where(Survey.dossier_id == Dossier.id))))
    ids = list(await s.scalars(surveyed.limit(limit)))
    ids += list(await s.scalars(unsurveyed.limit(max(0, limit - len(ids)))))
    if not ids:
        return 0
    await s.execute(update(Dossier).where(Dossier.id.in_(ids)).values(contact_id=None)
                    .execution_options(synchronize_session=False))
    await s.execute(update(Survey).where(Survey.dossier_id.in_(ids)).values(contact_id=None)
                    .execution_options(synchronize_session=False))
    return len(ids)


async def purge_contacts(s: AsyncSession, *, created_before: datetime, limit: int) -> int:
    """Delete contacts no dossier or survey points at any more (their addresses and reachability go
    with them). A contact who opted out is kept, number and date only: a "stop" must be honoured."""
    ids = list(await s.scalars(
        select(Contact.id).where(
            Contact.created_at < created_before, Contact.opted_out_at.is_(None),
            not_(exists().where(Dossier.contact_id == Contact.id)),
            not_(exists().where(Survey.contact_id == Contact.id)))
        .limit(limit)))
    if not ids:
        return 0
    await s.execute(delete(ContactAddress).where(ContactAddress.contact_id.in_(ids)))  # SQLite: no cascade
    await s.execute(delete(Contact).where(Contact.id.in_(ids)))
    return len(ids)


async def purge_activity(s: AsyncSession, *, before: datetime, limit: int) -> int:
    """Reply-window rows of addresses we no longer hold, untouched since `before`."""
    known = exists().where(ContactAddress.channel == AddressActivity.channel,
                           ContactAddress.address == AddressActivity.address)
    ids = list(await s.scalars(select(AddressActivity.id).where(AddressActivity.updated_at < before, not_(known))
                               .limit(limit)))
    if ids:
        await s.execute(delete(AddressActivity).where(AddressActivity.id.in_(ids)))
    return len(ids)


async def anonymise_comments(s: AsyncSession, *, agency_id: int, cutoff: datetime, limit: int) -> int:
    """Blank the free text of the agency's evaluations completed before `cutoff` (scores stay)."""
    ids = list(await s.scalars(
        select(Answer.id).join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(Evaluation.agency_id == agency_id, Evaluation.completed_at < cutoff,
               Answer.text.is_not(None), Answer.text != ANONYMISED)
        .limit(limit)))
    if ids:
        await s.execute(update(Answer).where(Answer.id.in_(ids)).values(text=ANONYMISED)
                        .execution_options(synchronize_session=False))
    return len(ids)


async def purge_sessions(s: AsyncSession, *, agency_id: int, cutoff: datetime, limit: int) -> int:
    """Delete the engine's session state (it holds the answers as typed) of surveys over before `cutoff`."""
    ids = list(await s.scalars(
        select(SurveySession.id).join(Survey, Survey.id == SurveySession.survey_id)
        .join(Dossier, Dossier.id == Survey.dossier_id)
        .where(Dossier.agency_id == agency_id, _ended_before(cutoff)).limit(limit)))
    if ids:
        await s.execute(delete(SurveySession).where(SurveySession.id.in_(ids)))
    return len(ids)


async def purge_deliveries(s: AsyncSession, *, agency_id: int | None, cutoff: datetime, limit: int) -> int:
    """Delete finished outbox rows, done timers and template-message ids older than `cutoff`: the
    agency's (through their survey), or with `agency_id` None the rows of no survey (keyword answers)."""
    if agency_id is None:
        outbox = select(OutboxMessage.id).where(OutboxMessage.survey_id.is_(None))
    else:
        outbox = (select(OutboxMessage.id).join(Survey, Survey.id == OutboxMessage.survey_id)
                  .join(Dossier, Dossier.id == Survey.dossier_id).where(Dossier.agency_id == agency_id))
    ids = list(await s.scalars(outbox.where(OutboxMessage.status.in_(_FINAL_OUTBOX),
                                            OutboxMessage.created_at < cutoff).limit(limit)))
    if ids:
        await s.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    done = len(ids)
    if agency_id is None:
        return done
    of_agency = select(Survey.id).join(Dossier, Dossier.id == Survey.dossier_id).where(Dossier.agency_id == agency_id)
    jobs = list(await s.scalars(select(Job.id).where(Job.status == "done", Job.done_at < cutoff,
                                                     Job.survey_id.in_(of_agency)).limit(limit)))
    if jobs:
        await s.execute(delete(Job).where(Job.id.in_(jobs)))
    templates = list(await s.scalars(select(TemplateMessage.id).where(
        TemplateMessage.sent_at < cutoff, TemplateMessage.survey_id.in_(of_agency)).limit(limit)))
    if templates:
        await s.execute(delete(TemplateMessage).where(TemplateMessage.id.in_(templates)))
    return done + len(jobs) + len(templates)


async def purge_inbound(s: AsyncSession, *, before: datetime, limit: int) -> int:
    """Provider message ids seen before `before` (redeliveries stop after a day or two)."""
    ids = list(await s.scalars(select(InboundMessage.id).where(InboundMessage.received_at < before).limit(limit)))
    if ids:
        await s.execute(delete(InboundMessage).where(InboundMessage.id.in_(ids)))
    return len(ids)


async def purge_recipient_limits(s: AsyncSession, *, before: datetime, limit: int) -> int:
    """Per-recipient send buckets (their key holds the number or chat id) idle since `before`: a
    bucket refills within seconds, so an idle one is the same as none."""
    keys = list(await s.scalars(select(RateLimit.key).where(RateLimit.key.like("recipient:%"),
                                                            RateLimit.updated_at < before).limit(limit)))
    if keys:
        await s.execute(delete(RateLimit).where(RateLimit.key.in_(keys)))
    return len(keys)
