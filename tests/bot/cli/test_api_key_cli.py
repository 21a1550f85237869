"""`hailong api-key create AGENCY [--free-text]`: the key works, and only a --free-text key reads comments."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.office.apikeys import grant_of_key
from storage import open_database


def test_a_free_text_key_is_marked_and_a_plain_one_is_not(sqlite_cli, tmp_path: Path) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("code,agency_code,agency_name,status,received_on\n"
                        "000.32.31.H29-261118-0001,000.32.31.H29,UBND Phường 1,4,2026-11-18\n", "utf-8")
    assert sqlite_cli("dossiers", "import", str(csv_file)).returncode == 0
    keys = []
    for extra in ((), ("--free-text",)):
        out = sqlite_cli("api-key", "create", "000.32.31.H29", "--label", "portal", *extra)
        assert out.returncode == 0, out.stderr
        keys.append(out.stdout.strip().splitlines()[-1])

    async def grants():
        async with open_database(sqlite_cli.database_url) as db:
            return [await grant_of_key(db, key) for key in keys]

    plain, free = asyncio.run(grants())
    assert plain.agency.code == free.agency.code == "000.32.31.H29"
    assert (plain.free_text, free.free_text) == (False, True)


def test_webhook_set_prints_a_secret_and_refuses_a_bad_url(sqlite_cli, tmp_path: Path) -> None:
    assert sqlite_cli("db", "upgrade").returncode == 0
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("code,agency_code,agency_name,status,received_on\n"
                        "000.32.31.H29-261118-0001,000.32.31.H29,UBND Phường 1,4,2026-11-18\n", "utf-8")
    assert sqlite_cli("dossiers", "import", str(csv_file)).returncode == 0
    out = sqlite_cli("webhook", "set", "000.32.31.H29", "https://igate.example.gov.vn/hailong")
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40
    shown = sqlite_cli("webhook", "status", "000.32.31.H29")
    assert shown.returncode == 0 and "https://igate.example.gov.vn/hailong" in shown.stdout and secret not in shown.stdout
    bad = sqlite_cli("webhook", "set", "000.32.31.H29", "ftp://x")
    assert bad.returncode == 1 and "Lỗi:" in bad.stderr and "http(s)" in bad.stderr and "Traceback" not in bad.stderr
    unknown = sqlite_cli("webhook", "set", "000.99.99.H29", "https://x.example")
    assert unknown.returncode == 1 and "000.99.99.H29" in unknown.stderr
