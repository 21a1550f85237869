"""Agency settings page: what it saves is what the scheduler, the surveys, the alerts and the reports read;
bad input is refused field by field with nothing saved; unknown keys are kept; changes are audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from live import run_async, serve_app
from staffkit import (
    AGENCY_A,
    AGENCY_B,
    CODES_A,
    seed_staff,
    settings_form,
    signed_in,
    stored_agency_settings,
    stored_audit,
)

from bot.common.contact_rules import VN, ContactRules
from bot.conversation.alerts import AlertRule
from bot.conversation.schedule import schedule_survey
from bot.conversation.surveys import send_survey
from bot.conversation.zns import TEMPLATE_SETTING
from bot.office.agency_settings import report_rules_of
from bot.office.reporting import export_report
from reports.export import Format
from reports.periods import Window
from storage import open_database

FOUR_BANDS = {  # excellent 16–18, good 12–15.9, fair 8–11.9, weak 0–7.9 (a fifth row emptied)
    "band_0_from": "16", "band_1_to": "15.9", "band_2_from": "8", "band_3_code": "weak", "band_3_vi": "Yếu",
    "band_3_en": "Weak", "band_3_from": "0", "band_3_to": "7.9",
    "band_4_code": "", "band_4_vi": "", "band_4_en": "", "band_4_from": "", "band_4_to": "",
}


def test_what_the_page_saves_is_what_the_scheduler_surveys_alerts_and_reports_read(live_db_url, tmp_path) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        client.post(f"/admin/agencies/{AGENCY_A}/api-keys", {"_csrf": csrf, "label": "một cửa"})
        keys = stored_agency_settings(live_db_url, AGENCY_A)["api_keys"]
        form = settings_form(
            csrf, plan_1="sms", plan_2="telegram", plan_3="", contact_hours="13:30-17:00; 07:30-11:30",
            contact_days=["1", "2", "3", "4", "5", "6"], holidays="02/09/2026\n2026-09-01\n02/09/2026",
            survey_delay_minutes="30", reminder_hours="12", survey_ttl_hours="48", zalo_zns_template_id="231456",
            sms_unicode="1", report_window="calendar", report_cutoff_day="10", alert_rule="satisfaction.overall=0",
            alert_days="3", alert_telegram_chat="-100123456", alert_email="giamsat@example.gov.vn", **FOUR_BANDS)
        status, page = client.post(f"/admin/settings?agency={AGENCY_A}", form)
        assert status == 200 and "Đã lưu cấu hình" in page
        assert 'value="07:30-11:30, 13:30-17:00"' in page and "01/09/2026" not in page
    stored = stored_agency_settings(live_db_url, AGENCY_A)
    assert stored["api_keys"] == keys  # keys the page does not own are kept as they were

    rules = ContactRules.of(stored)
    assert rules.plan == ("sms", "telegram") and rules.days == frozenset(range(1, 7))
    assert rules.holidays == {date(2026, 9, 1), date(2026, 9, 2)}
    assert rules.delay == timedelta(minutes=30) and rules.reminder == timedelta(hours=12)
    returned = datetime(2026, 8, 28, 11, 50, tzinfo=VN)  # a Friday before noon; 1 and 2 Sep are holidays
    assert rules.invite_at(returned.astimezone(timezone.utc)) == datetime(2026, 8, 28, 13, 30, tzinfo=VN)
    # After Saturday: Sunday, Monday 31 Aug 2026 (the national calendar: a substituted day off), then 1-2 Sep.
    assert rules.invite_at(datetime(2026, 8, 29, 17, 50, tzinfo=VN)) == datetime(2026, 9, 3, 7, 30, tzinfo=VN)
    assert rules.next_open(datetime(2026, 9, 1, 8, tzinfo=VN)) == datetime(2026, 9, 3, 7, 30, tzinfo=VN)

    alert = AlertRule.from_settings(stored["alerts"])
    assert alert.conditions == (("satisfaction.overall", 0),) and alert.days == 3
    assert (alert.telegram_chat, alert.email) == ("-100123456", "giamsat@example.gov.vn")
    assert stored[TEMPLATE_SETTING] == "231456" and stored["sms_unicode"] is True

    window, cutoff, bands = report_rules_of(stored, seeded.settings)
    assert (window, cutoff) == (Window.CALENDAR, 10)
    assert [(b.code, b.low, b.high) for b in bands] == [("excellent", 16, 18), ("good", 12, 15.9),
                                                         ("fair", 8, 11.9), ("weak", 0, 7.9)]
    said: list[str] = []
    run_async(export_report(seeded.settings, period="2026-Q4", agency=AGENCY_A, fmt=Format.CSV,
                            output=tmp_path / "a.csv", now=datetime.now(timezone.utc), say=said.append))
    assert "01/10/2026 – 31/12/2026" in said[0]  # agency A's calendar window, not the server's cut-off

    async def survey_times() -> tuple[timedelta, datetime]:
        now = datetime(2026, 8, 28, 4, 50, tzinfo=timezone.utc)  # Friday before noon (31 Aug 2026 is a day off)
        async with open_database(live_db_url) as db:
            invitation = await send_survey(db, seeded.settings, CODES_A[0], now=now)
            async with db.transaction() as s:
                send_at = await schedule_survey(s, survey_id=invitation.survey_id, agency_settings=stored,
                                                returned_at=now, expires_at=invitation.expires_at, now=now)
        return invitation.expires_at - now, send_at

    expires_in, send_at = run_async(survey_times())
    assert expires_in == timedelta(hours=48) and send_at == datetime(2026, 8, 28, 13, 30, tzinfo=VN)

    [(actor, _, subject, detail)] = stored_audit(live_db_url, "settings.")
    assert (actor, subject) == ("user:manager_a", f"agency:{AGENCY_A}")
    changed = detail["changed"]
    assert changed["contact_hours"] == {"before": ["08:00-17:00"], "after": ["07:30-11:30", "13:30-17:00"]}
    assert changed["alerts"]["after"]["email"] == "***" and changed["alerts"]["after"]["telegram_chat"] == "***"
    assert "api_keys" not in changed and "-100123456" not in repr(detail) and "giamsat" not in repr(detail)


BAD = [  # (changes, the field whose problem shows, a word of the Vietnamese text)
    ({"contact_hours": "08:00-25:00"}, "contact_hours", "25:00"),
    ({"contact_hours": "17:00-08:00"}, "contact_hours", "kết thúc trước"),
    ({"contact_hours": "07:00-12:00, 11:00-17:00"}, "contact_hours", "chồng lên"),
    ({"contact_hours": ""}, "contact_hours", "1 đến 6"),
    ({"plan_1": "", "plan_2": "", "plan_3": ""}, "channel_plan", "ít nhất một kênh"),
    ({"plan_1": "sms", "plan_2": "sms", "plan_3": ""}, "channel_plan", "một lần"),
    ({"plan_1": "none"}, "channel_plan", "một mình"),
    ({"plan_1": "carrier_pigeon"}, "channel_plan", "ít nhất một kênh"),
    ({"contact_days": []}, "contact_days", "ít nhất một ngày"),
    ({"holidays": "31/02/2026"}, "holidays", "31/02/2026"),
    ({"holidays": "tết"}, "holidays", "không hợp lệ"),
    ({"holidays": "\n".join(str(date.today() + timedelta(days=d)) for d in range(-1, 62))}, "holidays", "60 ngày"),
    ({"survey_delay_minutes": "-5"}, "survey_delay_minutes", "số nguyên"),
    ({"reminder_hours": "abc"}, "reminder_hours", "số nguyên"),
    ({"reminder_hours": "80"}, "reminder_hours", "trước khi phiếu hết hạn"),
    ({"contact_days": ["1", "2", "3"]}, "survey_ttl_hours", "quá thời hạn khảo sát 72 giờ"),  # Wed 17:00 → Mon
    ({"survey_ttl_hours": "0"}, "survey_ttl_hours", "số nguyên"),
    ({"retention_contact_days": "3"}, "retention_contact_days", "từ 7 đến 3650"),
    ({"zalo_zns_template_id": "abc"}, "zalo_zns_template_id", "chữ số"),
    ({"band_1_to": "15.5"}, "band_0", "chồng lên"),
    ({"band_1_from": "12.5"}, "band_1", "12.0–12.4"),
    ({"band_0_to": "17"}, "rating_bands", "18"),
    ({"band_2_to": "11.95"}, "band_2", "bước 0,1"),
    ({"band_2_from": "x"}, "band_2", "phải là số"),
    ({"band_2_vi": ""}, "band_2", "cả hai thứ tiếng"),
    ({"band_2_code": "good"}, "rating_bands", "một lần"),
    ({"report_window": "lunar"}, "report_window", "cách tính kỳ"),
    ({"report_cutoff_day": "31"}, "report_cutoff_day", "từ 1 đến 28"),
    ({"alert_rule": "satisfaction.overall"}, "alert_rule", "không hợp lệ"),
    ({"alert_rule": "nobody.knows=0"}, "alert_rule", "nobody.knows"),
    ({"alert_telegram_chat": "+84 912 345 678"}, "alert_telegram_chat", "Telegram"),
    ({"alert_email": "not-an-email"}, "alert_email", "thư điện tử"),
    ({"phone": "gọi 1022"}, "phone", "chữ số"),
    ({"email": "vanphong@"}, "email", "thư điện tử"),
    ({"address": "x" * 301}, "address", "300 ký tự"),
]


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        for changes, field, words in BAD:
            status, page = client.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf, **changes))
            assert status == 400, changes
            assert f'id="{field}-error"' in page, (changes, page[page.find('role="alert"'):][:400])
            shown = page[page.find(f'id="{field}-error"'):][:400]
            assert words is None or words in shown, (changes, shown)
            assert '<span lang="en">' in shown and "Nothing was saved" in page
        status, page = client.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf))
        assert status == 200 and "Không có gì thay đổi" in page  # the values in force: nothing to write
    assert stored_agency_settings(live_db_url, AGENCY_A) == {}
    assert stored_audit(live_db_url, "settings.") == []


def test_admin_picks_any_agency_and_a_manager_only_its_own(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        admin, csrf = signed_in(base, "admin")
        status, page = admin.get("/admin/settings")
        assert status == 200 and f'<option value="{AGENCY_B}"' in page
        status, page = admin.get(f"/admin/settings?agency={AGENCY_B}")
        assert status == 200 and f'data-agency="{AGENCY_B}"' in page
        status, page = admin.post(f"/admin/settings?agency={AGENCY_B}",
                                  settings_form(csrf, sms_unicode="0", contact_days=["1", "2", "3", "4", "6"]))
        assert status == 200 and "Đã lưu cấu hình" in page
        manager, csrf_m = signed_in(base, "manager_b")
        status, page = manager.get("/admin/settings")
        assert status == 200 and f'data-agency="{AGENCY_B}"' in page and AGENCY_A not in page
        assert manager.get(f"/admin/settings?agency={AGENCY_A}")[0] == 403
        status, _ = manager.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf_m, plan_1="telegram"))
        assert status == 403
        status, page = admin.get(f"/admin/settings?agency={AGENCY_B}&lang=en")
        assert status == 200 and "Agency settings" in page and "Contact hours" in page
    assert stored_agency_settings(live_db_url, AGENCY_B) == {"sms_unicode": False, "contact_days": [1, 2, 3, 4, 6]}
    assert stored_agency_settings(live_db_url, AGENCY_A) == {}
    assert [a for a, _, _, _ in stored_audit(live_db_url, "settings.")] == ["user:admin"]


def test_retention_periods_are_saved_and_read_by_the_purge(live_db_url) -> None:
    from bot.conversation.retention import Retention

    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = client.get(f"/admin/settings?agency={AGENCY_A}")
        assert 'id="retention_contact_days"' in page and 'value="90"' in page and "Nghị định 13/2023" in page
        form = settings_form(csrf, retention_contact_days="60", retention_comment_days="730",
                             retention_delivery_days="14")
        status, page = client.post(f"/admin/settings?agency={AGENCY_A}", form)
        assert status == 200 and "Đã lưu cấu hình" in page
    keep = Retention.of(stored_agency_settings(live_db_url, AGENCY_A))
    assert (keep.contact, keep.comment, keep.delivery) == (timedelta(days=60), timedelta(days=730),
                                                            timedelta(days=14))


def test_the_public_contact_is_saved_and_shown_on_the_agencys_public_page(live_db_url) -> None:
    """Address, phone and e-mail are optional settings of the agency; the public results page of that
    agency (only) shows them, with a number to dial and an address to write to."""
    from surveykit import Client

    seeded = seed_staff(live_db_url)
    contact = {"address": "86 Lê Thánh Tôn, phường Bến Nghé,\n Quận 1", "phone": "028 3829 1234",
               "email": "motcua.p1@tphcm.gov.vn"}
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = client.get(f"/admin/settings?agency={AGENCY_A}")
        assert status == 200 and "Thông tin liên hệ công khai" in page and 'id="phone"' in page
        status, page = client.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf, **contact))
        assert status == 200 and "Đã lưu cấu hình" in page
        assert 'value="028 3829 1234"' in page and "86 Lê Thánh Tôn, phường Bến Nghé, Quận 1</textarea>" in page

        status, page = Client(base).get(f"/public/results?agency={AGENCY_A}")
        assert status == 200
        block = page[page.index('id="agency-contact"'):page.index("</address>")]
        assert "Địa chỉ: <span data-contact=\"address\">86 Lê Thánh Tôn, phường Bến Nghé, Quận 1</span>" in block
        assert 'href="tel:02838291234">028 3829 1234</a>' in block
        assert 'href="mailto:motcua.p1@tphcm.gov.vn"' in block
        status, page = Client(base).get(f"/public/results?agency={AGENCY_A}&lang=en")
        assert "Address:" in page and "Phone:" in page and "E-mail:" in page
        for other in (f"/public/results?agency={AGENCY_B}", "/public/results"):  # not another's, not all's
            status, page = Client(base).get(other)
            assert status == 200 and "agency-contact" not in page and "3829" not in page

        # Emptied again: nothing shown, nothing left stored but the empty values.
        status, page = client.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf))
        assert status == 200 and "Đã lưu cấu hình" in page
        assert "agency-contact" not in Client(base).get(f"/public/results?agency={AGENCY_A}")[1]
    stored = stored_agency_settings(live_db_url, AGENCY_A)
    assert (stored["address"], stored["phone"], stored["email"]) == ("", "", "")
    first, second = stored_audit(live_db_url, "settings.")
    assert first[3]["changed"]["phone"] == {"before": "", "after": "028 3829 1234"}  # public: audited as it is
    assert second[3]["changed"]["email"] == {"before": "motcua.p1@tphcm.gov.vn", "after": ""}
