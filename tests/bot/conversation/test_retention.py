"""Retention (issue 14): the purge removes expired personal data in batches on both databases, keeps what
is still needed (open surveys, opt-outs), and every report figure stays the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from bot.common.settings import load_settings
from bot.conversation.retention import purge
from bot.conversation.surveys import send_survey
from bot.office.reporting import export_report
from reports.export import Format
from storage import (
    AnswerIn,
    Contact,
    ContactAddress,
    Evaluation,
    InboundMessage,
    OutboxMessage,
    enqueue,
    record_evaluation,
    record_inbound,
    set_survey_status,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)
from storage.deliveries import set_opted_out
from storage.results import answer_rows, invitation_counts
from storage.schedule import JobKind, schedule_job
from storage.tables import Answer, Job, RateLimit, SurveySession

AGENCY = "000.17.22.H56"
OLD = datetime(2026, 8, 10, 3, 0, tzinfo=timezone.utc)  # answered in August 2026
NOW = datetime(2027, 12, 1, 3, 0, tzinfo=timezone.utc)  # the purge runs long after every period
COMMENT = "Chị Lan ở quầy 2 rất nhiệt tình, gọi tôi: 0912 345 678"


def code(i: int) -> str:
    return f"{AGENCY}-260801-{i:04d}"


async def _seed(db, settings) -> None:
    """8 answered dossiers (a comment each), 1 opted out, and 1 still open (returned just now)."""
    async with db.transaction() as s:
        agency = await upsert_agency(s, code=AGENCY, name="UBND Phường 1", now=OLD)
        agency.settings = {"retention_contact_days": 30}
    for i in range(10):
        returned = NOW - timedelta(days=1) if i == 9 else OLD
        async with db.transaction() as s:
            phone = await upsert_contact_address(s, channel="sms", address=f"+8491234{i:04d}", now=returned)
            s.add(ContactAddress(contact_id=phone.contact_id, channel="telegram", address=str(4200 + i),
                                 created_at=returned))
            dossier, _ = await upsert_dossier(s, code=code(i), agency_id=agency.id, status=10,
                                              received_on=date(2026, 8, 1), returned_on=returned.date(),
                                              contact_id=phone.contact_id, now=returned)
        invitation = await send_survey(db, settings, code(i), now=returned)
        async with db.transaction() as s:
            await schedule_job(s, survey_id=invitation.survey_id, kind=JobKind.INVITE, due_at=returned, now=returned)
            await s.execute(Job.__table__.update().where(Job.survey_id == invitation.survey_id)
                            .values(status="done", done_at=returned))
            await enqueue(s, channel="sms", address=phone.address, payload={"text": "Mời đánh giá", "kind": "invite"},
                          now=returned, survey_id=invitation.survey_id)
            await s.execute(OutboxMessage.__table__.update().where(OutboxMessage.survey_id == invitation.survey_id)
                            .values(status="sent", sent_at=returned))
            await record_inbound(s, channel="telegram", provider_message_id=f"update:{i}", now=returned)
            s.add(RateLimit(key=f"recipient:sms:{phone.address}", tokens=1.0, updated_at=returned))
            if i == 8:
                await set_opted_out(s, channel="sms", address=phone.address, now=returned)
                await set_survey_status(s, invitation.survey_id, "opted_out", now=returned)
            elif i < 8:
                s.add(SurveySession(survey_id=invitation.survey_id, channel="telegram", status="completed",
                                    state={"answers": {"comment": COMMENT}}, updated_at=returned))
                await record_evaluation(
                    s, dossier_id=dossier.id, agency_id=agency.id, channel="telegram", schema_version="1",
                    completed_at=returned + timedelta(hours=1), survey_id=invitation.survey_id,
                    answers=[AnswerIn(field="satisfaction.overall", value=1 + i % 5, level=1 + i % 5),
                             AnswerIn(field="comment", text=COMMENT)])
                await set_survey_status(s, invitation.survey_id, "completed", now=returned + timedelta(hours=1),
                                        channel="telegram")


async def _figures(db, settings, tmp_path: Path, name: str) -> tuple:
    out = tmp_path / f"{name}.csv"
    await export_report(settings, period="2026-Q3", agency=AGENCY, fmt=Format.CSV, output=out, now=NOW,
                        say=lambda _: None)
    async with db.transaction() as s:
        rows = await answer_rows(s, first=date(2026, 1, 1), last=date(2026, 12, 31))
        invited = await invitation_counts(s, start=datetime(2026, 1, 1, tzinfo=timezone.utc), end=NOW)
        evaluations = await s.scalar(select(func.count()).select_from(Evaluation))
    return out.read_bytes(), rows, invited, evaluations


async def _personal(db) -> dict[str, object]:
    async with db.transaction() as s:
        return {
            "contacts": await s.scalar(select(func.count()).select_from(Contact)),
            "addresses": sorted(await s.scalars(select(ContactAddress.address))),
            "comments": sorted(set(await s.scalars(select(Answer.text).where(Answer.field == "comment")))),
            "sessions": await s.scalar(select(func.count()).select_from(SurveySession)),
            "outbox": sorted(await s.scalars(select(OutboxMessage.address))),
            "jobs": await s.scalar(select(func.count()).select_from(Job)),
            "inbound": await s.scalar(select(func.count()).select_from(InboundMessage)),
            "limits": sorted(await s.scalars(select(RateLimit.key))),
        }


async def test_the_purge_removes_expired_personal_data_and_reports_stay_equal(db, database_url: str,
                                                                             tmp_path: Path) -> None:
    settings = load_settings(env_file=None, database_url=database_url, default_flow="quick")
    await _seed(db, settings)
    before = await _figures(db, settings, tmp_path, "before")
    assert before[3] == 8 and len(before[0]) > 100
    counts = await purge(db, now=NOW, batch=3)  # small batches: many short transactions
    assert counts["contacts"] == 8 and counts["comments"] == 8 and counts["sessions"] == 8
    assert await _figures(db, settings, tmp_path, "after") == before  # every figure, byte for byte
    left = await _personal(db)
    # Kept: the open survey's contact (returned yesterday) and the opted-out number (its "stop" stands).
    assert left["contacts"] == 2
    assert left["addresses"] == sorted(["+84912340008", "4208", "+84912340009", "4209"])
    assert left["comments"] == [""] and left["sessions"] == 0
    assert left["outbox"] == ["+84912340009"] and left["jobs"] == 1 and left["inbound"] == 1
    assert left["limits"] == ["recipient:sms:+84912340009"]
    assert await purge(db, now=NOW, batch=3) == dict.fromkeys(counts, 0)  # a second run finds nothing
