"""`hailong scores` and `hailong complaints`, in-process (click's CliRunner), on SQLite and PostgreSQL.

The quarter is tests/scorekit.py's: S1 with all citizen indicators, 5 appraised 1.5, 9 entered here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from live import run_async
from scorekit import seed_quarter

from bot.cli import main
from storage import open_database
from storage.staff_admin import audit_entries


@pytest.fixture
def run(cli_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # no .env of the repository

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={"HAILONG_DATABASE_URL": cli_db_url})

    assert invoke("db", "upgrade").exit_code == 0

    async def seed() -> None:
        async with open_database(cli_db_url) as db:
            await seed_quarter(db, with_indicator_9=False)

    run_async(seed())
    return invoke


def test_scores_set_and_list_show_the_total_and_the_band_once_complete(run) -> None:
    partial = run("scores", "list", "S1", "2026-Q2")
    assert partial.exit_code == 0, partial.output
    assert "Chỉ số 9: —/2 (chưa có)" in partial.output and "Mới có 8/9 chỉ số: 15,2 điểm" in partial.output
    assert "Chỉ số 5: 1,5/2 (điểm thẩm định) [tự chấm 2; thẩm định 1,5] — appraisal 5 | self 5" in partial.output
    assert "Indicator 8: 2/2 (computed from the register)" in partial.output
    done = run("scores", "set", "S1", "2026-q2", "9", "1", "--by", "self", "--note", "30 % hồ sơ trực tuyến")
    assert done.exit_code == 0 and "Đã ghi điểm chỉ số 9 (tự chấm) của S1, kỳ 2026-Q2: 1." in done.output
    full = run("scores", "list", "S1", "2026-Q2").output
    assert "16,2/18 điểm — Xuất sắc" in full and "16.2 of 18 points — Excellent" in full
    assert "Chỉ số 9: 1/2 (điểm tự chấm) [tự chấm 1] — 30 % hồ sơ trực tuyến" in full


@pytest.mark.parametrize(("args", "vi", "en"), [
    (("5", "3"), "điểm phải là số từ 0 đến 2", "points must be a number from 0 to 2"),
    (("5", "1,25"), "tối đa một chữ số thập phân", "at most one decimal"),
    (("7", "2"), "chỉ số 7 không nhập tay được", "indicator 7 is not entered by hand"),
    (("12", "2"), "chỉ số 12 không nhập tay được", "indicator 12 is not entered by hand"),
])
def test_bad_scores_are_refused_in_both_languages_and_nothing_is_written(run, args, vi, en) -> None:
    result = run("scores", "set", "S1", "2026-Q2", *args, "--by", "appraisal")
    assert result.exit_code == 1 and vi in result.output and en in result.output, result.output
    assert "Traceback" not in result.output
    assert "Chỉ số 5: 1,5/2" in run("scores", "list", "S1", "2026-Q2").output


def test_complaints_add_verify_handle_list_recompute_indicators_7_and_8(run, cli_db_url: str) -> None:
    added = run("complaints", "add", "S1", "--received", "22/04/2026", "--due", "02/05/2026", "--dossier", "S1-02",
                "--note", "cán bộ gây khó khăn")
    assert added.exit_code == 0 and "Đã mở phản ánh PA-00001." in added.output, added.output
    out = run("scores", "list", "S1", "2026-Q2").output
    # 7: S1-02 (early) complained of → (2+1+0+2+2+2)/6 = 1.5; 8: open past its due day at the end → 0 of 1 → 0.
    assert "Chỉ số 7: 1,5/2 (trung bình 6 hồ sơ)" in out and "Chỉ số 8: 0/2 (tính từ sổ phản ánh)" in out
    assert run("complaints", "handle", "PA-00001", "--on", "30/04/2026", "--outcome", "đã trả lời").exit_code == 0
    assert run("complaints", "verify", "PA-00001", "--result", "untrue", "--on", "30/04/2026").exit_code == 0
    out = run("scores", "list", "S1", "2026-Q2").output
    assert "Chỉ số 7: 1,83/2" in out and "Chỉ số 8: 2/2" in out  # untrue: stops counting; handled on time
    listed = run("complaints", "list", "S1").output
    assert "PA-00001  22/04/2026  02/05/2026  30/04/2026  —  không đúng sự thật / untrue  S1-02" in listed
    late = run("complaints", "protracted", "PA-00001", "--on", "01/03/2026")
    assert late.exit_code == 1 and "trước ngày nhận" in late.output and "before the complaint" in late.output
    bad = run("complaints", "add", "S1", "--received", "31/02/2026", "--due", "02/05/2026")
    assert bad.exit_code == 1 and "ngày không hợp lệ '31/02/2026'" in bad.output
    unknown = run("complaints", "handle", "PA-99", "--on", "30/04/2026")
    assert unknown.exit_code == 1 and "no complaint with code 'PA-99'" in unknown.output

    async def audited() -> list[str]:
        async with open_database(cli_db_url) as db, db.transaction() as s:
            return [e.action for e in await audit_entries(s, action_prefix="complaint.")]

    actions = run_async(audited())
    assert actions.count("complaint.update") == 2 and "complaint.add" in actions
