"""The official tables of a period as plain data: what XLSX, CSV and HTML renderers lay out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from reports.formats import day
from reports.results import AgencyResults, Results, Row
from reports.scales import FIVE_VALUES, KIND_WORDS, ScaleCounts
from storage.results import Dimension
from survey_flows import load_schema
from survey_flows.totals import AgencyTotal

Cell = Union[int, float, str, None]
LEVEL_NAMES = (("Rất hài lòng", "Very satisfied"), ("Hài lòng", "Satisfied"), ("Không hài lòng", "Not satisfied"))
INDICATORS = tuple(range(1, 10))
DIMENSION_NAMES = {
    Dimension.FIELD: ("Lĩnh vực", "Field"), Dimension.PROCEDURE: ("Thủ tục", "Procedure"),
    Dimension.OFFICER: ("Cán bộ tiếp nhận", "Receiving officer"), Dimension.CHANNEL: ("Kênh", "Channel"),
}


@dataclass(frozen=True, slots=True)
class Column:
    """A column heading, under an optional group heading merged over its neighbours of the same group."""

    heading: str
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table: headings, body rows and an optional totals row."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    totals: tuple[Cell, ...] | None = None


def bi(vi: str, en: str) -> str:
    """Vietnamese first, English second."""
    return f"{vi} / {en}"


def header_lines(results: Results, agency: AgencyResults | None) -> tuple[str, ...]:
    """The lines above every table: what, which period (with its days), which agency."""
    p = results.period
    who = agency.name if agency else bi("Tất cả cơ quan, đơn vị", "All agencies")
    return (
        bi("KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG VỀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", "SATISFACTION RESULTS"),
        bi("Kỳ báo cáo", "Period") + f": {p.name} ({day(p.first)} – {day(p.last)})",
        bi("Cơ quan, đơn vị", "Agency") + f": {who}",
    )


def _score_columns() -> list[Column]:
    levels = bi("Mức độ hài lòng (tổng thể, quy về thang 3 mức)", "Overall satisfaction (rolled up to 3 levels)")
    cols = [Column(bi("Số phiếu", "Evaluations"))]
    for vi, en in LEVEL_NAMES:
        cols += [Column(bi(vi, en) + " (SL)", levels), Column(bi(vi, en) + " (%)", levels)]
    cols.append(Column(bi("Tỷ lệ hài lòng (%)", "Satisfaction rate (%)")))
    means = bi("Điểm trung bình chỉ số (x/2)", "Mean of each indicator (x/2)")
    cols += [Column(bi(f"CS{i}", f"I{i}"), means) for i in INDICATORS]
    return cols + [Column(bi("Tổng điểm (x/18)", "Total (x/18)")), Column(bi("Xếp loại", "Band"))]


# A total over fewer than the nine indicators is shown, never graded (reports/results.py make_row).
NOT_RATED = "Chưa xếp loại: chưa đủ 9 chỉ số / not rated: not all 9 indicators"
# An indicator scored per dossier that none of the group's evaluated dossiers could score (indicator 2
# without the units' step dates): said in words, never a blank that reads as zero or as forgotten.
NOT_MEASURED = "Chưa đo / not measured"


def _mean_cell(row: Row, indicator: int) -> Cell:
    if indicator in row.means and row.means[indicator] is None and row.evaluations:
        return NOT_MEASURED
    return row.means.get(indicator)


def _score_cells(row: Row, score: AgencyTotal | None = None) -> list[Cell]:
    """A row's figures; an agency's total without a band says which indicators it has, in words."""
    cells: list[Cell] = [row.evaluations]
    for i in range(3):
        cells += [row.levels[i] if row.levels else None, row.shares[i] if row.shares else None]
    cells.append(row.rate)
    cells += [_mean_cell(row, i) for i in INDICATORS]
    if row.band is not None:
        band: Cell = row.band.name.get("vi")
    elif row.total is None:
        band = None
    else:
        band = f"{score.phrase('vi')} / {score.phrase('en')}" if score is not None else NOT_RATED
    return cells + [row.total, band]


def results_table(results: Results) -> Table:
    """Table 1: one row per agency with its figures, self-score and appraisal, and the totals."""
    cols = [Column(bi("STT", "No.")), Column(bi("Cơ quan, đơn vị", "Agency")), *_score_columns(),
            Column(bi("Điểm tự chấm", "Self-score"), bi("Điểm", "Scores")),
            Column(bi("Điểm thẩm định", "Appraisal"), bi("Điểm", "Scores"))]
    rows = tuple((n, a.name, *_score_cells(a.summary, a.score), a.self_score, a.appraisal_score)
                 for n, a in enumerate(results.agencies, 1))
    totals = (None, bi("Tổng cộng", "Total"), *_score_cells(results.total), None, None)
    return Table("ket-qua", bi("Kết quả theo cơ quan", "Results by agency"), tuple(cols), rows, totals)


def drill_table(results: Results, by: Dimension) -> Table:
    """A drill-down: one row per agency and group (field, procedure, officer or channel)."""
    vi, en = DIMENSION_NAMES[by]
    cols = [Column(bi("Cơ quan, đơn vị", "Agency")), Column(bi(vi, en)), *_score_columns()]
    rows = tuple((a.name, r.label, *_score_cells(r)) for a in results.agencies for r in a.drill.get(by, ()))
    return Table(f"theo-{by.value}", bi(f"Theo {vi.lower()}", f"By {en.lower()}"), tuple(cols), rows)


def settlement_table(results: Results) -> Table:
    """Form II.06a: received, settled early / on time / late and pending within / past deadline."""
    received, settled, pending = bi("Tiếp nhận", "Received"), bi("Đã giải quyết", "Settled"), bi("Đang giải quyết",
                                                                                              "Pending")
    cols = (Column(bi("STT", "No.")), Column(bi("Cơ quan, đơn vị", "Agency")),
            Column(bi("Mới tiếp nhận", "New"), received), Column(bi("Kỳ trước chuyển qua", "Carried over"), received),
            Column(bi("Trước hạn", "Early"), settled), Column(bi("Đúng hạn", "On time"), settled),
            Column(bi("Quá hạn", "Late"), settled), Column(bi("Trong hạn", "Within deadline"), pending),
            Column(bi("Quá hạn", "Past deadline"), pending),
            Column(bi("Phản ánh được xử lý đúng hạn", "Follow-ups handled on time")))
    rows = tuple((n, a.name, *_settled(a.summary), f"{a.follow_ups[1]}/{a.follow_ups[0]}")
                 for n, a in enumerate(results.agencies, 1))
    totals = (None, bi("Tổng cộng", "Total"), *_settled(results.total), None)
    return Table("giai-quyet", bi("Tình hình giải quyết hồ sơ", "Settlement of dossiers"), cols, rows, totals)


def _settled(row: Row) -> tuple[Cell, ...]:
    c = row.settlement
    return (c.received, c.carried_over, c.early, c.on_time, c.late, c.pending_within, c.pending_past) if c \
        else (0,) * 7


def response_table(results: Results) -> Table:
    """Invited vs answered surveys by channel."""
    cols = (Column(bi("Cơ quan, đơn vị", "Agency")), Column(bi("Kênh", "Channel")),
            Column(bi("Đã mời", "Invited")), Column(bi("Đã trả lời", "Answered")),
            Column(bi("Tỷ lệ phản hồi (%)", "Response rate (%)")))
    rows = tuple((a.name, r.channel or "—", r.invited, r.answered, r.rate) for a in results.agencies
                 for r in a.responses)
    return Table("phan-hoi", bi("Tỷ lệ phản hồi", "Response rate"), cols, rows)


FIVE_NAMES = {5: ("Rất hài lòng; 5 sao", "very satisfied; 5 stars"), 4: ("Hài lòng; 4 sao", "satisfied; 4 stars"),
              3: ("Bình thường; 3 sao", "neutral; 3 stars"), 2: ("Không hài lòng; 2 sao", "not satisfied; 2 stars"),
              1: ("Rất không hài lòng; 1 sao", "very dissatisfied; 1 star")}


def scale_table(results: Results, counts: tuple[ScaleCounts, ...]) -> Table:
    """Each satisfaction question on the scale it was asked on: a 5-level question keeps its five values,
    with the 3-level roll-up (what every other table counts) beside them."""
    names = {a.agency_id: a.name for a in results.agencies}
    fields = {f.name: f.label.get("vi") if f.label else f.name for f in load_schema().fields}
    five = bi("Thang 5 mức: số câu trả lời theo mức", "5-level scale: answers per value")
    three = bi("Quy về thang 3 mức", "Rolled up to 3 levels")
    cols = [Column(bi("Cơ quan, đơn vị", "Agency")), Column(bi("Câu hỏi", "Question")),
            Column(bi("Thang đo", "Scale")), Column(bi("Số câu trả lời", "Answers"))]
    cols += [Column(bi(f"{v} – {FIVE_NAMES[v][0]}", f"{v} – {FIVE_NAMES[v][1]}"), five) for v in FIVE_VALUES]
    cols += [Column(bi(vi, en), three) for vi, en in LEVEL_NAMES]
    rows = tuple(
        (names.get(c.agency_id, str(c.agency_id)), fields.get(c.field, c.field), bi(*KIND_WORDS[c.kind]), c.answers,
         *(c.values if c.values is not None else (None,) * len(FIVE_VALUES)), *c.levels)
        for c in counts if c.agency_id in names)
    return Table("thang-do", bi("Theo thang đo", "By answer scale"), tuple(cols), rows)


def version_tables(results: Results) -> tuple[Table, ...]:
    """A period that spans two schema versions: the figures of each version's days, graded with that
    version's bands, and what each version scores (indicator names, maximum points, bands)."""
    if len(results.versions) < 2:
        return ()
    cols = [Column(bi("Phiên bản bộ chỉ số", "Schema version")), Column(bi("Từ ngày", "From")),
            Column(bi("Đến ngày", "To")), Column(bi("Cơ quan, đơn vị", "Agency")), *_score_columns()]
    rows: list[tuple[Cell, ...]] = []
    for v in results.versions:
        span: tuple[Cell, ...] = (v.version, day(v.start), day(v.end))
        rows += [(*span, name, *_score_cells(row)) for _, name, row in v.agencies]
        rows.append((*span, bi("Tổng cộng", "Total"), *_score_cells(v.total)))
    scores = Table("theo-phien-ban", bi("Kết quả theo phiên bản bộ chỉ số", "Results by schema version"),
                   tuple(cols), tuple(rows))
    return scores, schema_table(results)


def schema_table(results: Results) -> Table:
    """Each version of the period: its indicators (name, maximum points) and its bands."""
    cols = (Column(bi("Phiên bản bộ chỉ số", "Schema version")), Column(bi("Mục", "Item")),
            Column(bi("Tên (tiếng Việt)", "Name (Vietnamese)")), Column(bi("Tên (tiếng Anh)", "Name (English)")),
            Column(bi("Điểm tối đa / khoảng điểm", "Maximum points / score range")))
    rows: list[tuple[Cell, ...]] = []
    for v in results.versions:
        rows += [(v.version, bi(f"CS{i.id}", f"I{i.id}"), i.name.get("vi"), i.name.get("en"), i.max_points)
                 for i in v.schema.indicators]
        rows += [(v.version, bi("Xếp loại", "Band"), b.name.get("vi"), b.name.get("en"), f"{b.low:g}–{b.high:g}")
                 for b in v.schema.bands]
    return Table("bo-chi-so", bi("Bộ chỉ số theo phiên bản", "Schema of each version"), cols, tuple(rows))


def all_tables(results: Results) -> tuple[Table, ...]:
    """Every table of a report, in the order they are printed."""
    drills = tuple(drill_table(results, by) for by in DIMENSION_NAMES)
    return (results_table(results), *version_tables(results), settlement_table(results), *drills,
            response_table(results))
