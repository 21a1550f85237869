"""The `hailong` command end to end: a real subprocess on a real database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

HEADER = "code,agency_code,agency_name,status,received_on,due_on,returned_on,procedure_code,procedure_name,field_code,field_name,officer_code,officer_name,phone\n"
GOOD = [
    "000.17.22.H56-210531-0001,000.17.22.H56,UBND Phường 1,10,2021-05-31,2021-06-03,2021-06-02,HT-01,Đăng ký khai sinh,HT,Hộ tịch,CB01,Nguyễn Thị Lan,0912345678\n",
    " 000.17.22.h56-210601-0002 ,000.17.22.H56,,9,01/06/2021,04/06/2021,,CT-01,Chứng thực bản sao,CT,Chứng thực,CB01,,+84 912 345 679\n",
    "000.17.22.H56-210602-0003,000.17.22.H56,,4,2021-06-02,2021-06-05,,,,,,,,\n",
]
BAD = [
    "not-a-code,000.17.22.H56,,10,2021-05-31,,2021-06-01,,,,,,,\n",             # line 5: code
    "000.17.22.H56-210603-0004,000.17.22.H56,,11,2021-06-03,,,,,,,,,\n",        # line 6: status
    "000.17.22.H56-210604-0005,000.17.22.H56,,10,2021-06-04,,,,,,,,,\n",        # line 7: returned_on
    "000.17.22.H56-210605-0006,000.17.22.H56,,10,2021-06-05,,2021-06-06,,,,,,,12345\n",  # line 8: phone
    "000.99.99.H99-210605-0007,000.99.99.H99,,10,2021-06-05,,2021-06-06,,,,,,,\n",  # line 9: unknown agency
]


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def test_help_lists_every_command(sqlite_cli) -> None:
    out = sqlite_cli("--help", subprocess=True)  # smoke: `python -m bot` as installed, in a process of its own
    assert out.returncode == 0
    for command in ("db", "dossiers", "survey", "flows", "simulate", "serve", "demo"):
        assert re.search(rf"^\s+{command}\s", out.stdout, re.M), command
    sub = sqlite_cli("dossiers", "import", "--help")
    assert "received_on" in sub.stdout and "YYYY-MM-DD" in sub.stdout


def test_db_upgrade_is_idempotent(cli) -> None:
    first, second = cli("db", "upgrade", subprocess=True), cli("db", "upgrade")  # the first: a real process
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert "revision" in first.stdout


def test_commands_refuse_an_uninitialised_database(sqlite_cli) -> None:
    out = sqlite_cli("survey", "send", "000.17.22.H56-210531-0001")
    assert out.returncode == 1
    assert "hailong db upgrade" in out.stderr and "Lỗi:" in out.stderr and "Error:" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_setting_is_named_without_traceback(sqlite_cli) -> None:
    out = sqlite_cli("db", "upgrade", env={"HAILONG_PORT": "eighty"})
    assert out.returncode == 1
    assert "HAILONG_PORT" in out.stderr and "Traceback" not in out.stderr


def test_import_keeps_good_rows_reports_bad_lines_and_updates_on_reimport(cli, tmp_path) -> None:
    assert cli("db", "upgrade").returncode == 0
    csv_file = write_csv(tmp_path / "dossiers.csv", GOOD + BAD)
    out = cli("dossiers", "import", str(csv_file))
    assert out.returncode == 1, out.stderr
    lines = {int(m.group(1)) for m in re.finditer(r"dossiers\.csv:(\d+): ", out.stderr)}
    assert lines == {5, 6, 7, 8, 9}
    assert "(mới 3, cập nhật 0)" in out.stdout and "3 new, 0 updated" in out.stdout
    assert "0912345678" not in out.stderr + out.stdout and "12345\n" not in out.stderr
    again = cli("dossiers", "import", str(write_csv(tmp_path / "again.csv", GOOD)))
    assert again.returncode == 0, again.stderr
    assert "3 new" not in again.stdout and "0 new, 3 updated" in again.stdout


def test_import_refuses_a_file_without_required_columns(sqlite_cli, tmp_path) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("code;status\nX;10\n", encoding="utf-8")
    out = sqlite_cli("dossiers", "import", str(bad))
    assert out.returncode == 1
    assert "agency_code" in out.stderr and "received_on" in out.stderr and "Traceback" not in out.stderr
    missing = sqlite_cli("dossiers", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_semicolon_csv_with_bom_imports(sqlite_cli, tmp_path) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    path = tmp_path / "excel.csv"
    text = (HEADER + GOOD[0]).replace(",", ";")
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    out = sqlite_cli("dossiers", "import", str(path))
    assert out.returncode == 0, out.stderr
    assert "1 new" in out.stdout


def test_survey_send_refuses_with_reasons_and_links_a_returned_dossier(cli, tmp_path) -> None:
    assert cli("db", "upgrade").returncode == 0
    assert cli("dossiers", "import", str(write_csv(tmp_path / "d.csv", GOOD))).returncode == 0
    unknown = cli("survey", "send", "000.17.22.H56-210531-9999")
    assert unknown.returncode == 1 and "Không tìm thấy hồ sơ" in unknown.stderr and "not found" in unknown.stderr
    pending = cli("survey", "send", "000.17.22.H56-210602-0003")
    assert pending.returncode == 1 and "chưa được trả" in pending.stderr and "status 4" in pending.stderr
    invalid = cli("survey", "send", "hello")
    assert invalid.returncode == 1 and "Traceback" not in invalid.stderr
    sent = cli("survey", "send", "000.17.22.h56-210531-0001 ", env={"HAILONG_PUBLIC_URL": "https://danhgia.example.vn/"})
    assert sent.returncode == 0, sent.stderr
    token = re.search(r"https://danhgia\.example\.vn/s/([A-Za-z0-9_-]+)\s", sent.stdout).group(1)
    assert 22 <= len(token) <= 64
    again = cli("survey", "send", "000.17.22.H56-210531-0001", env={"HAILONG_PUBLIC_URL": "https://danhgia.example.vn"})
    assert again.returncode == 0 and token in again.stdout and "already open" in again.stdout
    processed = cli("survey", "send", "000.17.22.H56-210601-0002")
    assert processed.returncode == 0 and "survey created" in processed.stdout


@pytest.mark.parametrize("flow", ["quick", "nd61-standard"])
def test_shipped_flows_validate(sqlite_cli, flow) -> None:
    path = Path(__file__).parents[3] / "survey_flows" / "data" / "flows" / f"{flow}.yaml"
    out = sqlite_cli("flows", "validate", str(path))
    assert out.returncode == 0, out.stdout + out.stderr


def test_flows_validate_exits_2_with_file_and_line(sqlite_cli, tmp_path) -> None:
    source = (Path(__file__).parents[3] / "survey_flows" / "data" / "flows" / "quick.yaml").read_text("utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(source.replace("satisfaction.overall", "satisfaction.nonexistent", 1), "utf-8")
    out = sqlite_cli("flows", "validate", str(broken))
    assert out.returncode == 2
    line = next(n for n, text in enumerate(broken.read_text("utf-8").splitlines(), 1) if "satisfaction.nonexistent" in text)
    assert f"{broken}:{line}: " in out.stdout
    # Vietnamese first, then English, from the checker's catalog.
    assert ("câu 'overall': trường 'satisfaction.nonexistent' không có trong lược đồ / "
            "step 'overall': unknown schema field 'satisfaction.nonexistent'") in out.stdout


def test_flows_list_names_the_shipped_flows(sqlite_cli) -> None:
    out = sqlite_cli("flows", "list")
    assert out.returncode == 0 and "nd61-standard" in out.stdout and "quick" in out.stdout


def test_simulate_json_prints_the_final_record(sqlite_cli) -> None:
    out = sqlite_cli("simulate", "quick", "--json", input="rất hài lòng\nhai long\nCán bộ nhiệt tình\n")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["flow"] == "quick" and record["status"] == "completed"
    assert record["answers"]["satisfaction.overall"] == {"value": 5, "level": 2, "text": None, "items": None}
    assert record["answers"]["satisfaction.officer_attitude"]["level"] == 1
    assert record["answers"]["comment"]["text"] == "Cán bộ nhiệt tình"


def test_simulate_json_opt_out(sqlite_cli) -> None:
    out = sqlite_cli("simulate", "nd61-standard", "--json", "--channel", "sms", input="HUY\n")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "opted_out"


def test_unknown_flow_is_a_clear_error(sqlite_cli) -> None:
    out = sqlite_cli("simulate", "no-such-flow", "--json", input="")
    assert out.returncode == 1 and "no-such-flow" in out.stderr and "Traceback" not in out.stderr


def test_a_row_naming_only_codes_keeps_the_known_names(sqlite_cli, tmp_path) -> None:
    import asyncio

    from storage import dossier_names, find_dossier, open_database

    assert sqlite_cli("db", "upgrade").returncode == 0
    assert sqlite_cli("dossiers", "import", str(write_csv(tmp_path / "a.csv", GOOD[:1]))).returncode == 0
    bare = "000.17.22.H56-210607-0008,000.17.22.H56,,10,2021-06-07,,2021-06-08,HT-01,,,,CB01,,\n"
    assert sqlite_cli("dossiers", "import", str(write_csv(tmp_path / "b.csv", [bare]))).returncode == 0

    async def names() -> dict[str, str]:
        async with open_database(sqlite_cli.database_url) as db, db.transaction() as s:
            dossier = await find_dossier(s, "000.17.22.H56-210607-0008")
            return await dossier_names(s, dossier.id)

    assert asyncio.run(names()) == {
        "dossier_code": "000.17.22.H56-210607-0008", "agency": "UBND Phường 1",
        "procedure": "Đăng ký khai sinh", "officer": "Nguyễn Thị Lan",
    }


def test_simulate_in_the_terminal_shows_a_sample_dossier_or_the_given_one(sqlite_cli) -> None:
    sample = sqlite_cli("simulate", "nd61-standard", input="HUY\n")
    assert sample.returncode == 0, sample.stderr
    assert "UBND Phường 1" in sample.stdout and "000.17.22.H56-210531-0001" in sample.stdout
    given = sqlite_cli("simulate", "nd61-standard", "--lang", "en", "--context", "agency=UBND Quận 3", input="STOP\n")
    assert "UBND Quận 3 invites you" in given.stdout
    bad = sqlite_cli("simulate", "quick", "--context", "nonsense", input="")
    assert bad.returncode == 1 and "KEY=VALUE" in bad.stderr and "Lỗi:" in bad.stderr and "Traceback" not in bad.stderr
