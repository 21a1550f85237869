"""`hailong dossiers import` (in-process, as the command runs it) with the unit_steps and online columns:
good rows stored with their steps and flag, each bad cell reported on its line in Vietnamese and English,
bad rows not written at all; the same from an XLSX."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli.commands import import_dossiers
from bot.common.settings import load_settings
from bot.office.importer import check_rows
from storage import Database, find_dossier

NOW = datetime(2026, 5, 20, 3, 0, tzinfo=timezone.utc)
A = "000.11.22.H01"
HEADER = ["code", "agency_code", "agency_name", "status", "received_on", "due_on", "returned_on", "unit_steps",
          "online"]
ROWS = [  # line 2 … 9
    [f"{A}-260501-0001", A, "UBND Xã Một", "10", "2026-05-01", "2026-05-10", "2026-05-08",
     "STP:2026-05-04:2026-05-03|UB:08/05/2026:07/05/2026", "1"],
    [f"{A}-260501-0002", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", "", "không"],
    [f"{A}-260501-0003", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", "STP:2026-05-04", ""],
    [f"{A}-260501-0004", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", "STP:2026-05-04:hôm qua", ""],
    [f"{A}-260501-0005", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", "STP:2026-04-04:2026-04-05", ""],
    [f"{A}-260501-0006", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", ":2026-05-04:2026-05-05", ""],
    [f"{A}-260501-0007", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", "", "maybe"],
    [f"{A}-260501-0008", A, "", "10", "2026-05-01", "2026-05-10", "2026-05-10", "|".join(["S:2026-05-04:2026-05-04"] * 31), ""],
]
EXPECTED = {  # line -> words of the Vietnamese and the English message
    4: ("bước 1 phải có dạng", "step 1 must read unit:due_on:done_on"),
    5: ("không phải ngày", "unit_steps[1].done_on 'hôm qua' is not a date"),
    6: ("trước ngày tiếp nhận", "step 1 has a date before received_on"),
    7: ("bước 1 phải có dạng", "step 1 must read"),
    8: ("ghi 1 (nộp trực tuyến) hoặc 0", "online 'maybe' is not valid"),
    9: ("quá 30 bước", "more than 30 steps"),
}


def csv_file(path: Path) -> Path:
    path.write_text("\n".join(",".join(f'"{c}"' for c in row) for row in [HEADER, *ROWS]) + "\n", "utf-8")
    return path


def xlsx_file(path: Path) -> Path:
    book = Workbook()
    for row in [HEADER, *ROWS]:
        book.active.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_import_reads_steps_and_online_and_refuses_bad_cells_by_line(
        db: Database, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    path = csv_file(tmp_path / "d.csv") if kind == "csv" else xlsx_file(tmp_path / "d.xlsx")
    settings = load_settings(env_file=None, database_url=database_url)
    assert await import_dossiers(settings, path, now=NOW) == 1  # some rows were rejected
    err = capsys.readouterr().err
    for line, (vi, en) in EXPECTED.items():
        reported = next(x for x in err.splitlines() if x.startswith(f"{path}:{line}: "))
        assert vi in reported and en in reported and " / " in reported, reported
    async with db.transaction() as s:
        first = await find_dossier(s, f"{A}-260501-0001")
        second = await find_dossier(s, f"{A}-260501-0002")
        refused = [await find_dossier(s, f"{A}-260501-000{n}") for n in range(3, 9)]
    assert first.unit_steps == [{"unit": "STP", "due_on": "2026-05-04", "done_on": "2026-05-03"},
                                {"unit": "UB", "due_on": "2026-05-08", "done_on": "2026-05-07"}]
    assert first.online is True
    assert (second.unit_steps, second.online) == (None, False)
    assert refused == [None] * 6  # nothing half-written


def test_every_bad_row_is_refused_with_both_languages() -> None:
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in [HEADER, *ROWS]) + "\n"
    good, bad = check_rows(text)
    assert [r.line for r in good] == [2, 3]
    assert {e.line for e in bad} == set(EXPECTED)
    assert all(e.vi and e.en and e.vi != e.en for e in bad)
