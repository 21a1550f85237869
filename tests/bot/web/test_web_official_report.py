"""The official report and the Vietnamese-Excel CSV from the staff pages, over HTTP: the settings page
stores the report's form code, receiving unit and place; the XLSX download starts with the official
sheet that reads them; the reports page offers the CSV for a Vietnamese Excel and the table by scale."""

from __future__ import annotations

import csv
import io

from live import serve_app
from openpyxl import load_workbook
from staffkit import (
    AGENCY_A,
    REPORT_PERIOD,
    get_bytes,
    seed_evaluations,
    seed_staff,
    settings_form,
    signed_in,
    stored_agency_settings,
)

BOM = b"\xef\xbb\xbf"
OFFICIAL = {"report_form_code": " 01/BC-UBND ", "report_receiving_unit": "UBND  Quận 1",
            "report_place": "Bến Nghé"}


def test_the_settings_page_fills_the_official_sheet_of_the_download(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    seed_evaluations(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        status, page = client.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf, **OFFICIAL))
        assert status == 200 and "Đã lưu cấu hình" in page
        assert 'value="01/BC-UBND"' in page and 'value="UBND Quận 1"' in page
        stored = stored_agency_settings(live_db_url, AGENCY_A)
        assert (stored["report_form_code"], stored["report_receiving_unit"], stored["report_place"]) == \
            ("01/BC-UBND", "UBND Quận 1", "Bến Nghé")

        status, headers, body = get_bytes(client, f"/staff/reports/export?period={REPORT_PERIOD}&agency={AGENCY_A}"
                                                  "&format=xlsx")
        assert status == 200
        book = load_workbook(io.BytesIO(body))
        assert book.sheetnames[:2] == ["bao-cao", "ket-qua"]
        sheet = book["bao-cao"]
        assert sheet["A1"].value == "UBND PHƯỜNG 1"
        assert sheet["A2"].value == "Biểu số / Form: 01/BC-UBND"
        assert sheet["A6"].value.startswith("Quý IV năm 2026 / Q4 2026 (15/09/2026 – 14/12/2026)")
        assert sheet["A8"].value == "Đơn vị nhận báo cáo / Receiving unit: UBND Quận 1"
        assert sheet["E24"].value.startswith("Bến Nghé, ngày ")
        # A's three evaluations: overall 2, 1, 0 and per-dossier points min(2, level + i % 2) (staffkit):
        # indicator 1 → 2, 2, 1 → 5/3; indicator 4 → 2, 1, 0 → 1.
        assert isinstance(sheet.cell(12, 6).value, float) and sheet.cell(12, 6).value == 1.67
        assert sheet.cell(15, 6).value == 1 and sheet.cell(15, 6).number_format == "#,##0.00"


def test_bad_official_settings_are_refused_bilingually_and_nothing_is_saved(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        client, csrf = signed_in(base, "manager_a")
        for changes in ({"report_form_code": "x" * 41}, {"report_receiving_unit": "UBND\x07 Quận 1"},
                        {"report_place": "p" * 81}):
            status, page = client.post(f"/admin/settings?agency={AGENCY_A}", settings_form(csrf, **changes))
            assert status == 400 and "Traceback" not in page
            assert ("Dài quá" in page and "Longer than" in page) or \
                ("ký tự điều khiển" in page and "control character" in page)
    assert not {"report_form_code", "report_receiving_unit", "report_place"} & set(
        stored_agency_settings(live_db_url, AGENCY_A))


def test_the_reports_page_offers_the_csv_for_vietnamese_excel_and_the_scale_table(live_db_url) -> None:
    seeded = seed_staff(live_db_url)
    seed_evaluations(live_db_url)
    with serve_app(seeded.settings) as base:
        client, _ = signed_in(base, "viewer_a")
        status, page = client.get(f"/staff/reports?period={REPORT_PERIOD}&agency={AGENCY_A}")
        assert status == 200
        link = f"/staff/reports/export?period={REPORT_PERIOD}&amp;agency={AGENCY_A}&amp;format=csv-vi"
        assert f'href="{link}" data-export="csv-vi"' in page
        assert "Báo cáo CSV cho Excel tiếng Việt" in page
        assert 'id="sr-thang-do"' in page and "thang 3 mức / 3-level" in page
        status, headers, body = get_bytes(client, link.replace("&amp;", "&"))
        assert status == 200 and headers["Content-Type"].startswith("text/csv") and body.startswith(BOM)
        assert headers["Content-Disposition"].endswith(f'hailong-bao-cao-excel-vi-{REPORT_PERIOD}-{AGENCY_A}.csv"')
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        a = next(r for r in rows if r[:2] == ["1", "UBND Phường 1"])
        # Three evaluations, one per level: 33,3 % each, satisfaction rate 2/3 = 66,7 %.
        assert a[2:10] == ["3", "1", "33,3", "1", "33,3", "1", "33,3", "66,7"]
