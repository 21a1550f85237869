"""Vietnam's public holidays are the default calendar: no agency types Tết or 2/9; agencies add or remove days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.common.contact_rules import ContactRules
from bot.common.settings import load_settings
from bot.office.dossier_api import mark_returned
from storage import find_agency, upsert_agency, upsert_dossier

VN = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY = "000.32.31.H29"


def local(at: datetime) -> datetime:
    return at.astimezone(VN)


def test_the_default_calendar_skips_tet_2027_and_national_day() -> None:
    rules = ContactRules.of({})  # nothing typed by the agency
    assert rules.holidays == frozenset()
    # Returned on Wednesday 3 Feb 2027 after hours: Tết runs 4-10 Feb (a Thursday to a Wednesday).
    assert local(rules.invite_at(datetime(2027, 2, 3, 17, 30, tzinfo=VN))) == datetime(2027, 2, 11, 8, 0, tzinfo=VN)
    # Returned on Tuesday 31 Aug 2027 after hours: 2 and 3 Sep 2027 are National Day, then a weekend.
    assert local(rules.invite_at(datetime(2027, 8, 31, 17, 30, tzinfo=VN))) == datetime(2027, 9, 1, 8, 0, tzinfo=VN)
    assert local(rules.invite_at(datetime(2027, 9, 1, 17, 30, tzinfo=VN))) == datetime(2027, 9, 6, 8, 0, tzinfo=VN)
    # 2/9 2026 (a Wednesday) with the day before it, and the substituted Monday 31 Aug.
    assert local(rules.invite_at(datetime(2026, 8, 28, 17, 30, tzinfo=VN))) == datetime(2026, 9, 3, 8, 0, tzinfo=VN)


def test_agencies_add_and_remove_days_on_top() -> None:
    rules = ContactRules.of({"holidays": ["2027-02-11"], "holidays_removed": ["2027-02-10"]})
    # The agency works the last day of Tết (10 Feb) and takes the 11th off instead.
    assert local(rules.invite_at(datetime(2027, 2, 3, 17, 30, tzinfo=VN))) == datetime(2027, 2, 10, 8, 0, tzinfo=VN)
    assert rules.is_holiday(date(2027, 2, 11)) and not rules.is_holiday(date(2027, 2, 10))
    assert rules.is_holiday(date(2027, 2, 6))


async def test_marking_a_dossier_returned_before_tet_schedules_after_it(db, tmp_path) -> None:
    now = datetime(2027, 2, 3, 10, 30, tzinfo=timezone.utc)  # 17:30 in Hà Nội, after hours
    code = f"{AGENCY}-270201-0001"
    async with db.transaction() as s:
        agency = await upsert_agency(s, code=AGENCY, name="UBND Phường 1", now=now)
        await upsert_dossier(s, code=code, agency_id=agency.id, status=4, received_on=date(2027, 2, 1),
                             due_on=None, returned_on=None, procedure_id=None, officer_id=None, contact_id=None,
                             now=now)
    async with db.transaction() as s:
        agency = await find_agency(s, AGENCY)
    settings = load_settings(env_file=None, database_url="sqlite+aiosqlite:///unused.db",
                             survey_ttl_hours=24 * 30)
    result = await mark_returned(db, settings, agency, code, None, now=now)
    send_at = datetime.fromisoformat(result["send_at"])
    assert local(send_at) == datetime(2027, 2, 11, 8, 0, tzinfo=VN)
    assert send_at - now > timedelta(days=7)


def test_a_desk_open_every_day_can_turn_the_national_calendar_off() -> None:
    rules = ContactRules.of({"contact_hours": ["00:00-23:59"], "contact_days": list(range(1, 8)),
                             "national_holidays": False})
    tet = datetime(2027, 2, 6, 9, 0, tzinfo=VN)
    assert local(rules.invite_at(tet)) == tet
    assert local(ContactRules.of({"contact_days": list(range(1, 8))}).invite_at(tet)) == datetime(2027, 2, 11, 8, 0, tzinfo=VN)
