"""Alerts: a dissatisfied evaluation opens a follow-up and queues a notice with the dossier code only."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.common.settings import load_settings
from bot.conversation.alerts import AlertRule, parse_conditions
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from reports.errors import ReportError
from reports.periods import Period
from reports.results import build_results
from storage import AnswerIn, OutboxMessage, find_survey, update_agency_settings, upsert_agency, upsert_dossier
from storage import results as store
from storage.tables import FollowUp
from survey_flows import ChoiceReply, TextReply, load_schema

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CODE = "000.17.22.H56-261118-0001"
PHONE = "+84912345678"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=5)
        return self.now


async def _chat(db, stars: str, alerts: dict | None) -> int:
    """Complete the quick flow over Telegram with that many stars; returns the agency id."""
    async with db.transaction() as s:
        agency = await upsert_agency(s, code="000.17.22.H56", name="UBND Phường 1", now=T0)
        if alerts is not None:
            await update_agency_settings(s, agency.id, {"alerts": alerts})
        await upsert_dossier(s, code=CODE, agency_id=agency.id, status=10, received_on=date(2026, 11, 18),
                             due_on=date(2026, 11, 20), returned_on=date(2026, 11, 19), now=T0)
    invitation = await send_survey(db, load_settings(env_file=None, default_flow="quick"), CODE, now=T0)
    async with db.transaction() as s:
        survey = await find_survey(s, token=invitation.token)
    talk = Conversations(db, load_schema(), clock=Clock())
    await talk.begin(survey, channel="telegram", address=PHONE)
    for reply in (ChoiceReply(stars), TextReply("hai long"), TextReply("bo qua")):
        await talk.reply(survey, reply, address=PHONE)
    return agency.id


async def test_a_one_star_chat_opens_a_follow_up_and_alerts_the_supervisors(db) -> None:
    agency_id = await _chat(db, "1", {"telegram_chat": "-100777", "email": "giamsat@example.gov.vn", "days": 3})
    async with db.transaction() as s:
        item = await s.scalar(select(FollowUp))
        notices = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.survey_id.is_(None))))
    assert (item.dossier_code, item.reason, item.agency_id) == (CODE, "satisfaction.overall=0", agency_id)
    assert item.due_at - item.opened_at == timedelta(days=3)
    assert sorted((n.channel, n.address) for n in notices) == [("email", "giamsat@example.gov.vn"),
                                                               ("telegram", "-100777")]
    text = notices[0].payload["text"]
    assert CODE in text and "23/11/2026" in text and PHONE not in str(notices[0].payload)


async def test_a_satisfied_chat_opens_nothing(db) -> None:
    await _chat(db, "5", {"telegram_chat": "-100777"})
    async with db.transaction() as s:
        assert await s.scalar(select(FollowUp)) is None


async def test_follow_ups_handled_on_time_feed_the_report(db) -> None:
    agency_id = await _chat(db, "1", None)  # default rule, no recipients: the follow-up still opens
    async with db.transaction() as s:
        assert await store.close_follow_up(s, dossier_code=CODE, now=T0 + timedelta(days=2), note="Đã gọi lại")
        assert not await store.close_follow_up(s, dossier_code=CODE, now=T0)
    period = Period("2026-Q4", date(2026, 9, 15), date(2026, 12, 14))
    async with db.transaction() as s:
        results = await build_results(s, period, bands=load_schema().bands, now=T0 + timedelta(days=30))
    agency = results.agencies[0]
    assert agency.agency_id == agency_id and agency.follow_ups == (1, 1, 0)
    assert agency.summary.means[8] == 2.0


def test_rules_are_parsed_and_checked() -> None:
    rule = AlertRule(parse_conditions("satisfaction.officer_attitude=0, indicator.7=0"))
    assert rule.reason([AnswerIn("satisfaction.overall", level=0)]) is None
    assert rule.reason([AnswerIn("indicator.7", value=0)]) == "indicator.7=0"
    with pytest.raises(ReportError):
        parse_conditions("overall")
