"""`hailong schema list|check|load` in-process (CliRunner) on a real database (SQLite and PostgreSQL),
and what a load changes: evaluations completed from the new version's first day (Vietnam time)
record it, older ones keep theirs, and a quarter spanning both versions is reported per version with
each version's indicator names and bands, the older version's figures unchanged by the load."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from live import run_async
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from bot.common.settings import load_settings
from bot.conversation.surveys import send_survey
from bot.conversation.turns import record_answers
from reports.export import Format, render
from reports.periods import parse_period
from reports.results import build_results
from reports.tables import all_tables
from storage import (
    AnswerIn,
    AuditEntry,
    Evaluation,
    SchemaVersion,
    find_survey,
    open_database,
    upsert_agency,
    upsert_dossier,
)
from survey_flows import load_schema

SHIPPED = Path(__file__).resolve().parents[3] / "survey_flows" / "data" / "schema.yaml"
OLD_NAME, NEW_NAME = "Thái độ của cán bộ, công chức", "Thái độ phục vụ của công chức"
OLD_BAND = "{code: excellent, from: 15.1, to: 18,"
NEW_BAND = "{code: excellent, from: 16, to: 18,"
AGENCY = "000.32.31.H29"
QUARTER = "2026-Q4"  # cut-off window 15/09/2026 – 14/12/2026
NEXT_FROM = date(2026, 11, 1)


def next_version(version: str = "tt03-2025.1", start: str = "2026-11-01") -> str:
    """The shipped schema with indicator 7 renamed and the top band changed, in force from `start`."""
    text = SHIPPED.read_text(encoding="utf-8")
    out = (text.replace('version: "tt01-2018.1"', f'version: "{version}"', 1)
           .replace("effective_from: 2019-01-08", f"effective_from: {start}", 1)
           .replace(OLD_NAME, NEW_NAME, 1)
           .replace(OLD_BAND, NEW_BAND, 1)
           .replace("{code: good, from: 12, to: 15,", "{code: good, from: 12, to: 15.9,", 1))
    assert out.count(NEW_NAME) == 1 and NEW_BAND in out and f"effective_from: {start}" in out
    return out


def hailong(url: str, *args: str):
    return CliRunner().invoke(main, list(args), env={"HAILONG_DATABASE_URL": url})


def written(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_list_shows_the_shipped_version_in_force(database_url: str) -> None:
    result = hailong(database_url, "schema", "list")
    assert result.exit_code == 0, result.output
    head, *rows = result.output.splitlines()
    assert head.startswith("Phiên bản bộ chỉ số (hôm nay ") and "Vietnam time" in head
    assert len(rows) == 1
    version, dates, count, *marks = rows[0].split("\t")
    assert (version, dates) == ("tt01-2018.1", "08/01/2019 – không thời hạn / open-ended")
    assert count == "0 phiếu / 0 evaluations"
    assert marks == ["đang có hiệu lực / in force", "có sẵn / shipped"]


def test_check_reports_problems_by_line_with_exit_2_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    broken = next_version().replace("{code: weak, from: 0, to: 5.9,", "{code: weak, from: 0, to: 5.8,")
    lines = broken.splitlines()
    above = next(n for n, line in enumerate(lines, 1) if "code: average" in line)  # the band above the gap
    result = hailong(database_url, "schema", "check", written(tmp_path, "next.yaml", broken))
    assert result.exit_code == 2, result.output
    assert f"next.yaml:{above}: các mức xếp loại bị hở: 5.9..5.9" in result.output
    assert "rating bands leave a gap" in result.output
    assert "Lỗi: tệp bộ chỉ số có 1 lỗi" in result.output and "Error: the schema file has 1 problems" in result.output
    ok = hailong(database_url, "schema", "check", written(tmp_path, "ok.yaml", next_version()))
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == ("Hợp lệ: phiên bản tt03-2025.1, có hiệu lực từ 01/11/2026. / "
                                 "Valid: version tt03-2025.1, in force from 01/11/2026.")
    assert len(hailong(database_url, "schema", "list").output.splitlines()) == 2  # head + the shipped one


def test_load_refuses_a_changed_text_overlapping_dates_and_an_invalid_file(database_url: str, tmp_path: Path) -> None:
    loaded = hailong(database_url, "schema", "load", written(tmp_path, "v2.yaml", next_version()))
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.startswith("Đã nạp phiên bản tt03-2025.1, có hiệu lực từ 01/11/2026")
    again = hailong(database_url, "schema", "load", written(tmp_path, "v2.yaml", next_version()))
    assert again.exit_code == 0 and "không thay đổi gì" in again.output and "nothing changed" in again.output
    cases = {
        "changed.yaml": (next_version().replace(NEW_NAME, "Thái độ"), "phiên bản tt03-2025.1 đã có với nội dung khác",
                         "version tt03-2025.1 exists with a different text"),
        "shipped.yaml": (SHIPPED.read_text(encoding="utf-8").replace("Tổng thời gian", "Thời gian"),
                         "phiên bản tt01-2018.1 đã có với nội dung khác", "version tt01-2018.1 exists"),
        "same-day.yaml": (next_version("tt03-2025.2"), "ngày hiệu lực không khớp",
                          "the effective dates do not fit"),
        "broken.yaml": (next_version("tt03-2025.3", "2027-01-01").replace("method: dates", "method: dayz", 1),
                        "tệp bộ chỉ số có", "the schema file has"),
    }
    for name, (text, vi, en) in cases.items():
        result = hailong(database_url, "schema", "load", written(tmp_path, name, text))
        assert result.exit_code == 1, (name, result.output)
        lines = result.output.splitlines()
        error = next(n for n, line in enumerate(lines) if line.startswith("Lỗi: "))
        assert vi in lines[error] and lines[error + 1].startswith("Error: ") and en in lines[error + 1], result.output
        assert "Traceback" not in result.output
    same_day = hailong(database_url, "schema", "check", written(tmp_path, "same-day.yaml", next_version("tt03-2025.2")))
    assert same_day.exit_code == 2 and re.search(r"same-day\.yaml:\d+: có hiệu lực từ 2026-11-01, cùng ngày", same_day.output)

    async def stored():
        async with open_database(database_url) as db, db.transaction() as s:
            return ([v for v in await s.scalars(select(SchemaVersion.version))],
                    [(a.action, a.actor, a.subject) for a in await s.scalars(select(AuditEntry))])
    versions, audits = run_async(stored())
    assert versions == ["tt03-2025.1"]
    assert audits == [("schema.load", "cli", "schema:tt03-2025.1")]
    rows = hailong(database_url, "schema", "list").output.splitlines()[1:]
    assert [r.split("\t")[:2] for r in rows] == [["tt01-2018.1", "08/01/2019 – 31/10/2026"],
                                                 ["tt03-2025.1", "01/11/2026 – không thời hạn / open-ended"]]
    assert "nạp bởi cli / loaded by cli" in rows[1]


def test_an_unreadable_or_missing_file_is_one_bilingual_error(database_url: str, tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("version: 'thái'".encode("latin-1", errors="replace") + b"\xff\xfe")
    result = hailong(database_url, "schema", "load", str(latin))
    assert result.exit_code == 1 and result.output.splitlines()[:2] == [
        "Lỗi: không đọc được tệp latin.yaml: phải là văn bản UTF-8.", "Error: cannot read latin.yaml: it must be UTF-8 text."]
    missing = hailong(database_url, "schema", "check", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 1 and missing.output.startswith("Lỗi: ") and "Traceback" not in missing.output


# --- what a load changes ---------------------------------------------------------------------------

CODES = [f"{AGENCY}-2610{n:02d}-0001" for n in range(1, 7)]
OCTOBER = datetime(2026, 10, 20, 3, 0, tzinfo=timezone.utc)
NOVEMBER_EVE = datetime(2026, 10, 31, 16, 59, tzinfo=timezone.utc)  # 31/10 23:59 in Vietnam: still the old one
NOVEMBER = datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc)  # 01/11 00:00 in Vietnam: the new one


def evaluate(url: str, code: str, level: int, at: datetime) -> None:
    """A survey of the dossier completed at `at` through the engine's recording path."""
    settings = load_settings(env_file=None, database_url=url, default_flow="quick")

    async def run() -> None:
        async with open_database(url) as db:
            invitation = await send_survey(db, settings, code, now=at)
            async with db.transaction() as s:
                survey = await find_survey(s, token=invitation.token)
                assert await record_answers(s, load_schema(), survey, [
                    AnswerIn("satisfaction.overall", level=level), AnswerIn("indicator.3", value=level),
                    AnswerIn("indicator.7", value=2 - level)], channel="web", flow_id="quick", language="vi", now=at)
    run_async(run())


def seed(url: str) -> None:
    async def run() -> None:
        async with open_database(url) as db, db.transaction() as s:
            agency = await upsert_agency(s, code=AGENCY, name="UBND Phường 1", now=OCTOBER)
            for code in CODES:
                await upsert_dossier(s, code=code, agency_id=agency.id, status=10, received_on=date(2026, 10, 1),
                                     due_on=date(2026, 10, 10), returned_on=date(2026, 10, 9), now=OCTOBER)
    run_async(run())


def report(url: str):
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return await build_results(s, parse_period(QUARTER), bands=load_schema().bands,
                                       now=datetime(2026, 12, 20, tzinfo=timezone.utc))
    return run_async(run())


def recorded(url: str) -> dict[int, str]:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            return {e.dossier_id: e.schema_version for e in await s.scalars(select(Evaluation).order_by(Evaluation.id))}
    return run_async(run())


def figures(row) -> tuple:
    return (row.evaluations, row.levels, row.rate, row.means, row.total)


def test_a_loaded_version_scores_new_evaluations_and_splits_the_quarter(database_url: str, tmp_path: Path) -> None:
    seed(database_url)
    for code, level in zip(CODES[:3], (2, 1, 0)):
        evaluate(database_url, code, level, OCTOBER)
    evaluate(database_url, CODES[3], 2, NOVEMBER_EVE)
    before = report(database_url)
    assert [(v.version, v.start, v.end) for v in before.versions] == [
        ("tt01-2018.1", date(2026, 9, 15), date(2026, 12, 14))]
    assert not [t for t in all_tables(before) if t.name == "theo-phien-ban"]  # one version: no split
    old_row = before.versions[0].agencies[0][2]
    assert figures(old_row) == figures(before.agencies[0].summary)

    result = hailong(database_url, "schema", "load", written(tmp_path, "v2.yaml", next_version()))
    assert result.exit_code == 0, result.output
    for code, level in zip(CODES[4:], (1, 1)):
        evaluate(database_url, code, level, NOVEMBER)

    assert list(recorded(database_url).values()) == ["tt01-2018.1"] * 4 + ["tt03-2025.1"] * 2
    after = report(database_url)
    old, new = after.versions
    assert (old.version, old.start, old.end) == ("tt01-2018.1", date(2026, 9, 15), date(2026, 10, 31))
    assert (new.version, new.start, new.end) == ("tt03-2025.1", date(2026, 11, 1), date(2026, 12, 14))
    assert figures(old.agencies[0][2]) == figures(old_row)  # the older evaluations' figures are unchanged
    assert new.agencies[0][2].evaluations == 2 and new.agencies[0][2].levels == (0, 2, 0)
    # Indicator 7 per the law: each dossier's timeliness (all returned a day early: 2), 0 where the
    # citizen's answer (indicator.7 = 0, given with overall level 2 here) opened a conduct complaint.
    assert new.agencies[0][2].means[7] == 2.0 and old_row.means[7] == 1.0
    assert after.agencies[0].summary.evaluations == 6  # the whole quarter stays one figure too
    assert old.schema.indicator(7).name.get("vi") == OLD_NAME and new.schema.indicator(7).name.get("vi") == NEW_NAME
    assert (old.schema.bands[0].low, new.schema.bands[0].low) == (15.1, 16.0)

    tables = {t.name: t for t in all_tables(after)}
    split = tables["theo-phien-ban"]
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in split.rows] == [
        ("tt01-2018.1", "15/09/2026", "31/10/2026", "UBND Phường 1", 4),
        ("tt01-2018.1", "15/09/2026", "31/10/2026", "Tổng cộng / Total", 4),
        ("tt03-2025.1", "01/11/2026", "14/12/2026", "UBND Phường 1", 2),
        ("tt03-2025.1", "01/11/2026", "14/12/2026", "Tổng cộng / Total", 2)]
    names = {(r[0], r[1]): r[2] for r in tables["bo-chi-so"].rows}
    assert names[("tt01-2018.1", "CS7 / I7")] == OLD_NAME and names[("tt03-2025.1", "CS7 / I7")] == NEW_NAME
    ranges = [(r[0], r[4]) for r in tables["bo-chi-so"].rows if r[2] == "Xuất sắc"]
    assert ranges == [("tt01-2018.1", "15.1–18"), ("tt03-2025.1", "16–18")]

    book = load_workbook(io.BytesIO(render(after, Format.XLSX)))
    assert "theo-phien-ban" in book.sheetnames and "bo-chi-so" in book.sheetnames
    # The official sheet names the indicators as the version in force at the period's end does.
    assert book.sheetnames[0] == "bao-cao" and book["bao-cao"].cell(12 + 6, 2).value == NEW_NAME
    csv = render(after, Format.CSV).decode("utf-8-sig")
    assert NEW_NAME in csv and OLD_NAME in csv and "tt03-2025.1" in csv


@pytest.mark.parametrize("start", ["2026-10-20", "2026-10-21"])
def test_a_version_cannot_start_before_evaluations_already_recorded(database_url: str, tmp_path: Path,
                                                                    start: str) -> None:
    seed(database_url)
    evaluate(database_url, CODES[0], 2, OCTOBER)  # 20/10/2026 10:00 in Vietnam
    result = hailong(database_url, "schema", "load", written(tmp_path, "late.yaml", next_version(start=start)))
    if start == "2026-10-21":
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    assert "Lỗi: đã có 1 phiếu từ ngày 20/10/2026 được ghi theo phiên bản khác" in result.output
    assert "Error: 1 evaluations from 20/10/2026 on were recorded under another version" in result.output
    assert list(recorded(database_url).values()) == ["tt01-2018.1"]
