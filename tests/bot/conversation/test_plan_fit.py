"""Plans that must fit the expiry (issue 14): an invitation that could only go out after the expiry is
refused with a Vietnamese and an English reason; the expiry counts from the invitation actually sent;
the reminder fits before it or is dropped with a logged reason."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.common.contact_rules import VN, ContactRules, PlanCannotFit
from bot.common.settings import load_settings
from bot.conversation.schedule import Scheduler, schedule_survey
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from storage import Survey, upsert_agency, upsert_contact_address, upsert_dossier
from storage.tables import Job
from survey_flows import load_schema
from tests.bot.conversation.test_dispatch import Clock

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Hà Nội
CODE = "000.17.22.H56-261118-0001"
BASE = {"channel_plan": ["sms"], "contact_hours": ["07:30-11:30", "13:30-17:00"], "reminder_hours": 24}


async def _survey(db, agency_settings: dict) -> tuple[Scheduler, Clock, int, datetime]:
    settings = load_settings(env_file=None, default_flow="quick")
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        agency.settings = agency_settings
        phone = await upsert_contact_address(s, channel="sms", address="+84912345678", now=T0)
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             returned_on=date(2026, 11, 25), contact_id=phone.contact_id, now=T0)
    invitation = await send_survey(db, settings, CODE, now=T0)
    clock = Clock()
    scheduler = Scheduler(db, settings, Conversations(db, load_schema(), clock=clock), {"sms"}, clock=clock)
    return scheduler, clock, invitation.survey_id, invitation.expires_at


async def _timers(db, survey_id: int) -> tuple[datetime, dict[str, datetime]]:
    async with db.transaction() as s:
        survey = await s.get(Survey, survey_id, populate_existing=True)
        jobs = {j.kind: j.due_at for j in await s.scalars(select(Job).where(Job.survey_id == survey_id))}
    return survey.expires_at, jobs


async def test_the_expiry_counts_from_the_invitation_actually_sent(db) -> None:
    scheduler, clock, survey_id, expires_at = await _survey(db, BASE | {"survey_delay_minutes": 60})
    assert expires_at == T0 + timedelta(hours=72)  # the slip's link, from the return
    async with db.transaction() as s:
        invite_at = await schedule_survey(s, survey_id=survey_id, agency_settings=BASE | {"survey_delay_minutes": 60},
                                          returned_at=T0, expires_at=expires_at, now=T0)
    assert invite_at == T0 + timedelta(hours=1)
    clock.now = invite_at + timedelta(minutes=7)  # the timer ran a little late
    assert await scheduler.run_due() == 1
    expiry, jobs = await _timers(db, survey_id)
    assert expiry == clock.now + timedelta(hours=72) == jobs["expire"]  # 72 h from the invitation
    assert jobs["remind"] == clock.now + timedelta(hours=24)  # Thursday 11:07, inside the morning window


async def test_a_reminder_that_cannot_come_before_the_expiry_is_dropped_and_logged(db, caplog) -> None:
    plan = BASE | {"contact_days": [1, 2, 3]}  # Wednesday's reminder would wait for Monday
    scheduler, clock, survey_id, expires_at = await _survey(db, plan)
    async with db.transaction() as s:
        await schedule_survey(s, survey_id=survey_id, agency_settings=plan, returned_at=T0,
                              expires_at=expires_at, now=T0)
    caplog.set_level(logging.INFO, logger="bot.conversation.schedule")
    assert await scheduler.run_due() == 1
    expiry, jobs = await _timers(db, survey_id)
    assert set(jobs) == {"invite", "expire"} and expiry == T0 + timedelta(hours=72)
    [line] = [r.getMessage() for r in caplog.records if "reminder dropped" in r.getMessage()]
    assert f"survey {survey_id}" in line and "+849" not in line


@pytest.mark.parametrize("plan", [
    BASE | {"survey_delay_minutes": 120, "survey_ttl_hours": 1},  # invited 2 h after the return, expired after 1
    BASE | {"contact_days": [1], "holidays": ["2026-11-30"], "survey_ttl_hours": 72},  # next Monday is a holiday
])
async def test_an_invitation_after_the_expiry_is_refused_and_nothing_scheduled(db, plan: dict) -> None:
    _, _, survey_id, expires_at = await _survey(db, plan)
    with pytest.raises(PlanCannotFit) as refused:
        async with db.transaction() as s:
            await schedule_survey(s, survey_id=survey_id, agency_settings=plan, returned_at=T0,
                                  expires_at=expires_at, now=T0)
    assert refused.value.code == "plan_cannot_fit"
    assert "sau khi khảo sát hết hạn" in refused.value.vi and "after the survey expires" in refused.value.en
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Job)) == 0


def test_the_longest_wait_sees_weekends_holidays_and_the_delay() -> None:
    now = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)  # Monday 08:00 local
    assert ContactRules.of({}).longest_wait(now) == timedelta(hours=63)  # Friday 17:00 → Monday 08:00
    monday_only = ContactRules.of({"contact_days": [1], "holidays": ["2026-12-07"]})
    monday = datetime(2026, 11, 30, 17, 0, tzinfo=VN)  # the worst: Monday 17:00 → Monday 14/12 08:00
    assert monday_only.longest_wait(now) == datetime(2026, 12, 14, 8, 0, tzinfo=VN) - monday
    delayed = ContactRules.of({"survey_delay_minutes": 120})
    assert delayed.longest_wait(now) == timedelta(hours=65)  # returned Friday 15:00, +2 h, then Monday 08:00


def test_a_national_holiday_delays_the_invitation_but_never_refuses_the_dossier() -> None:
    """Returned on the afternoon of 31/12/2026 with a 72 h survey: New Year's Day (Friday) and the
    weekend put the invitation on Monday 4/1/2027, past the 72 h; the ordinary week fits, so the
    dossier is scheduled (its expiry counted from the invitation), not refused."""
    from datetime import datetime as _dt
    from datetime import timedelta as _td
    from zoneinfo import ZoneInfo

    from bot.common.contact_rules import ContactRules, check_fits

    returned = _dt(2026, 12, 31, 17, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    invite = check_fits({}, returned, returned + _td(hours=72))
    assert invite.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) == _dt(2027, 1, 4, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert ContactRules.of({}).longest_wait(returned) < _td(hours=72)  # no warning for the national calendar
