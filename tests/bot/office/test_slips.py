"""Invitations from the command line: QR files, the Telegram deep link, printable slips, API keys, desks."""

from __future__ import annotations

import re

from bot.common.settings import load_settings
from bot.office.slips import Slip, qr_png, qr_svg, slip_pdf, slip_png, telegram_link

CSV = ("code,agency_code,agency_name,status,received_on,due_on,returned_on,procedure_code,procedure_name,officer_code,officer_name\n"
       "000.17.22.H56-210531-0001,000.17.22.H56,UBND Phường 1,10,2021-05-31,2021-06-03,2021-06-02,HT-01,Đăng ký khai sinh,CB01,Nguyễn Thị Lan\n")
CODE = "000.17.22.H56-210531-0001"


def ready(cli) -> None:
    (cli.cwd / "d.csv").write_text(CSV, encoding="utf-8")
    assert cli("db", "upgrade").returncode == 0
    assert cli("dossiers", "import", "d.csv").returncode == 0


def test_send_saves_the_qr_and_prints_the_telegram_link(cli) -> None:
    ready(cli)
    out = cli("survey", "send", CODE, "--qr-dir", "qr", env={"TELEGRAM_BOT_USERNAME": "hailong_bot"})
    assert out.returncode == 0, out.stderr
    token = re.search(r"/s/([A-Za-z0-9_-]{32})$", out.stdout, re.M).group(1)
    assert f"Telegram: https://t.me/hailong_bot?start={token}" in out.stdout
    assert (cli.cwd / "qr" / f"{CODE}.svg").read_text().lstrip().startswith("<svg")
    assert (cli.cwd / "qr" / f"{CODE}.png").read_bytes()[:4] == b"\x89PNG"


def test_slip_renders_pdf_and_png_and_refuses_other_formats(cli) -> None:
    ready(cli)
    for name, magic in (("slip.pdf", b"%PDF"), ("slip.png", b"\x89PNG")):
        out = cli("survey", "slip", CODE, "--output", name)
        assert out.returncode == 0, out.stderr
        assert (cli.cwd / name).read_bytes()[:4] == magic
    out = cli("survey", "slip", CODE, "--output", "slip.docx")
    assert out.returncode == 1 and "Lỗi:" in out.stderr and ".pdf" in out.stderr


def test_api_keys_are_shown_once_and_desks_need_a_known_officer(cli) -> None:
    ready(cli)
    out = cli("api-key", "create", "000.17.22.H56", "--label", "one-stop system")
    key = out.stdout.strip().splitlines()[-1]
    assert out.returncode == 0 and re.fullmatch(r"hl_[0-9]+_[A-Za-z0-9_-]{43}", key)
    out = cli("kiosk", "desk", "000.17.22.H56", "quay-1", "--officer", "CB01")
    assert out.returncode == 0 and "/kiosk/quay-1" in out.stdout
    out = cli("kiosk", "desk", "000.17.22.H56", "quay-2", "--officer", "NOBODY")
    assert out.returncode == 1 and "NOBODY" in out.stderr


def test_kiosk_enrol_prints_a_one_time_link_and_its_qr(cli) -> None:
    ready(cli)
    assert cli("kiosk", "desk", "000.17.22.H56", "quay-1", "--officer", "CB01").returncode == 0
    out = cli("kiosk", "enrol", "quay-1", "--qr", "enrol/quay-1", env={"HAILONG_PUBLIC_URL": "https://dg.example.vn"})
    assert out.returncode == 0, out.stderr
    assert re.search(r"^https://dg\.example\.vn/kiosk/quay-1/enrol/[A-Za-z0-9_-]{32}$", out.stdout, re.M)
    assert (cli.cwd / "enrol" / "quay-1.png").read_bytes()[:4] == b"\x89PNG"
    out = cli("kiosk", "enrol", "quay-9")
    assert out.returncode == 1 and "quay-9" in out.stderr and "Traceback" not in out.stderr


def test_qr_codes_and_slips_render_in_memory() -> None:
    link = "https://hailong.example.vn/s/" + "A" * 32
    assert b"<svg" in qr_svg(link) and qr_png(link)[:4] == b"\x89PNG"
    slip = Slip(CODE, "Đăng ký khai sinh", "UBND Phường 1", link)
    assert slip_pdf(slip)[:4] == b"%PDF" and slip_png(slip)[:4] == b"\x89PNG"
    assert telegram_link(load_settings(env_file=None), "tok") is None
    assert telegram_link(load_settings(env_file=None, TELEGRAM_BOT_USERNAME="@b"), "tok") == "https://t.me/b?start=tok"
