"""The official report of a period (the layout offices file and sign): the first sheet(s) of the XLSX.

One sheet per agency: the reporting and receiving units with the form code, the period in words
("Quý II năm 2026"), the nine indicators with the standard maximum, the self-score, the appraisal,
the figure used, its basis and the notes, the total, the band (or "x of y indicators, not graded"),
the place and date line and the signature block. Figures are number cells with number formats
(Excel shows them with the reader's separators: "1,50" in Vietnamese), never text.

The renderer takes the period, each agency's names and settings and its `AgencyTotal`
(`survey_flows.totals`); `agency_totals` gives the totals of a report's agencies (their own `score`
when the results carry one, else computed from the dossier figures the results hold).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.periods import Period, period_words
from reports.results import AgencyResults
from survey_flows.schema import Schema
from survey_flows.totals import AgencyTotal, Basis

#: Agency settings the official sheet reads (edited on the agency's settings page).
FORM_CODE, RECEIVING_UNIT, PLACE = "report_form_code", "report_receiving_unit", "report_place"
SETTING_KEYS = (FORM_CODE, RECEIVING_UNIT, PLACE)
#: What a paper form shows where a value is not filled in.
BLANK = "……………"
POINTS_FORMAT = "#,##0.00"  # an indicator's points: a dossier mean such as 1,83
TOTAL_FORMAT = "#,##0.0"  # the total: one decimal, as the law rounds it
WHOLE_FORMAT = "#,##0"
COLUMNS = 8
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="center", wrap_text=True)
BASIS_WORDS = {
    Basis.APPRAISAL: ("Điểm thẩm định", "Appraisal"),
    Basis.SELF: ("Điểm tự chấm", "Self-score"),
    Basis.COMPUTED: ("Hệ thống tính", "Computed by the system"),
}


def bi(vi: str, en: str) -> str:
    """Vietnamese first, English second."""
    return f"{vi} / {en}"


@dataclass(frozen=True, slots=True)
class OfficialUnit:
    """Who reports to whom: the agency (reporting unit), its controlling office, the form code and place."""

    code: str
    name: str
    receiving_unit: str = ""
    form_code: str = ""
    place: str = ""

    @classmethod
    def of(cls, code: str, name: str, settings: Mapping[str, Any] | None) -> OfficialUnit:
        """The unit from an agency's settings (`report_form_code`, `report_receiving_unit`, `report_place`)."""
        values = {k: " ".join(str((settings or {}).get(k) or "").split()) for k in SETTING_KEYS}
        return cls(code, name, values[RECEIVING_UNIT], values[FORM_CODE], values[PLACE])



def agency_totals(agencies: Sequence[AgencyResults]) -> dict[int, AgencyTotal]:
    """Each agency's `AgencyTotal`: the very total the tables, pages and API show (reports.scores)."""
    return {agency.agency_id: agency.score for agency in agencies}


def _number(value: Fraction | float | None) -> float | None:
    return None if value is None else float(round(Fraction(value), 2))


def _basis(total: AgencyTotal, indicator: int) -> str:
    line = next(line for line in total.lines if line.indicator == indicator)
    if line.basis is None:
        return bi("Chưa có số liệu", "Not measured")
    if line.basis is Basis.DOSSIERS:
        return bi(f"Trung bình {line.dossiers} hồ sơ", f"Mean of {line.dossiers} dossiers")
    return bi(*BASIS_WORDS[line.basis])


def band_words(total: AgencyTotal) -> str:
    """The band, or why there is none: "Xếp loại: Tốt" / "7/9 chỉ số, chưa xếp loại"."""
    if total.complete and total.band is not None:
        return bi(f"Xếp loại: {total.band.name.get('vi')}", f"Band: {total.band.name.get('en')}")
    present, count = len(total.present), len(total.present) + len(total.missing)
    missing = ", ".join(str(i) for i in total.missing)
    return bi(f"Có {present}/{count} chỉ số, chưa xếp loại (thiếu chỉ số {missing})",
              f"{present} of {count} indicators, not graded (missing {missing})")


def date_line(place: str, day: date) -> str:
    """"Phường 1, ngày 05 tháng 07 năm 2026"."""
    return f"{place or BLANK}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _put(sheet: Worksheet, row: int, first: int, last: int, value: object, *, bold: bool = False,
         italic: bool = False, size: int = 11, align: Alignment = CENTRE) -> None:
    cell = sheet.cell(row, first)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)  # characters XML cannot hold are dropped
        cell.data_type = "s"  # a name starting with "=" is shown, never run
    else:
        cell.value = value
    cell.font = Font(bold=bold, italic=italic, size=size)
    cell.alignment = align
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def write_official(sheet: Worksheet, period: Period, unit: OfficialUnit, total: AgencyTotal, schema: Schema,
                   signed_on: date) -> None:
    """Lay out one agency's official report on `sheet` (see the module's docstring)."""
    _put(sheet, 1, 1, 3, unit.name.upper(), bold=True)
    _put(sheet, 1, 5, 8, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _put(sheet, 2, 1, 3, f"Biểu số / Form: {unit.form_code or BLANK}")
    _put(sheet, 2, 5, 8, "Độc lập - Tự do - Hạnh phúc", bold=True)
    _put(sheet, 4, 1, COLUMNS, "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ VIỆC GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", bold=True, size=13)
    _put(sheet, 5, 1, COLUMNS, "Report on the evaluation of administrative procedures", italic=True)
    _put(sheet, 6, 1, COLUMNS, f"{period_words(period.name)} / {period_words(period.name, 'en')} "
                               f"({period.first:%d/%m/%Y} – {period.last:%d/%m/%Y})", bold=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    _put(sheet, 7, 1, COLUMNS, f"Đơn vị báo cáo / Reporting unit: {unit.name}", align=left)
    _put(sheet, 8, 1, COLUMNS, f"Đơn vị nhận báo cáo / Receiving unit: {unit.receiving_unit or BLANK}", align=left)
    top, sub = 10, 11
    for column, heading in ((1, bi("STT", "No.")), (2, bi("Chỉ số", "Indicator")),
                            (3, bi("Điểm chuẩn tối đa", "Standard maximum")), (7, bi("Căn cứ", "Basis")),
                            (8, bi("Ghi chú", "Note"))):
        _put(sheet, top, column, column, heading, bold=True)
        sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
    _put(sheet, top, 4, 6, bi("Điểm", "Points"), bold=True)
    for column, heading in ((4, bi("Tự chấm", "Self-score")), (5, bi("Thẩm định", "Appraisal")),
                            (6, bi("Điểm sử dụng", "Figure used"))):
        _put(sheet, sub, column, column, heading, bold=True)
    row = sub
    for line in total.lines:
        row += 1
        indicator = schema.indicator(line.indicator)
        name = indicator.name.get("vi") if indicator else f"Chỉ số {line.indicator}"
        cells = (line.indicator, name, line.maximum, _number(line.self_score), _number(line.appraisal),
                 _number(line.points), _basis(total, line.indicator), "; ".join(line.notes))
        for column, value in enumerate(cells, 1):
            _put(sheet, row, column, column, value, align=WRAP if column in (2, 7, 8) else CENTRE)
            if column == 3:
                sheet.cell(row, column).number_format = WHOLE_FORMAT
            elif column in (4, 5, 6):
                sheet.cell(row, column).number_format = POINTS_FORMAT
    row += 1
    for column, value in ((1, None), (2, bi("Tổng cộng", "Total")), (3, total.schema_maximum), (4, None), (5, None),
                          (6, total.total), (7, bi(f"Tối đa của các chỉ số có số liệu: {total.maximum}",
                                                   f"Most the measured indicators allow: {total.maximum}")),
                          (8, None)):
        _put(sheet, row, column, column, value, bold=True, align=WRAP if column in (2, 7) else CENTRE)
    sheet.cell(row, 3).number_format = WHOLE_FORMAT
    sheet.cell(row, 6).number_format = TOTAL_FORMAT
    for r in range(top, row + 1):
        for c in range(1, COLUMNS + 1):
            sheet.cell(r, c).border = BOX
    _put(sheet, row + 1, 1, COLUMNS, band_words(total), bold=True, align=left)
    _put(sheet, row + 3, 5, 8, date_line(unit.place, signed_on), italic=True)
    _put(sheet, row + 4, 1, 3, bi("NGƯỜI LẬP BIỂU", "PREPARED BY"), bold=True)
    _put(sheet, row + 4, 5, 8, bi("THỦ TRƯỞNG ĐƠN VỊ", "HEAD OF THE UNIT"), bold=True)
    _put(sheet, row + 5, 1, 3, bi("(Ký, ghi rõ họ tên)", "(signature and full name)"), italic=True)
    _put(sheet, row + 5, 5, 8, bi("(Ký, ghi rõ họ tên, đóng dấu)", "(signature, full name and seal)"), italic=True)
    for c, width in enumerate((7, 42, 12, 12, 12, 12, 24, 24), 1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1


def sheet_name(unit: OfficialUnit, many: bool) -> str:
    """"bao-cao" for one agency; "bao-cao-CODE" (at most 31 characters) for each of several."""
    if not many:
        return "bao-cao"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in unit.code)
    return f"bao-cao-{safe}"[:31]


def add_official_sheets(book: Workbook, period: Period, units: Sequence[tuple[OfficialUnit, AgencyTotal]],
                        schema: Schema, signed_on: date, others: Sequence[Schema] = ()) -> None:
    """The official sheet of each agency, in order, before any other sheet of `book`; each names the
    indicators as the schema version its total was computed under does (`schema`, or one of `others`)."""
    by_version = {s.version: s for s in (*others, schema)}
    many = len(units) > 1
    used: set[str] = set()
    for n, (unit, total) in enumerate(units):
        name = sheet_name(unit, many)
        while name in used:
            name = f"{name[:27]}-{n}"
        used.add(name)
        write_official(book.create_sheet(name, n), period, unit, total, by_version.get(total.schema_version, schema),
                       signed_on)
