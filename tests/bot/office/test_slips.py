"""Invitations from the command line: QR files, the Telegram deep link, printable slips, API keys, desks."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from pdftext import Page, read_page

from bot.common.settings import load_settings
from bot.office.slips import MARGIN, Slip, qr_png, qr_svg, slip_pdf, slip_png, telegram_link

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
    page = read_page((cli.cwd / "slip.pdf").read_bytes())
    runs = [r.text for r in page.runs]
    link = re.search(r"https?://[^\s/]+/s/([A-Za-z0-9_-]{32})", "".join(runs))
    assert link is not None, runs  # every character of the link, in order
    assert any(link.group(1) in run for run in runs)  # the token never cut
    expiry = re.search(r"Hạn đánh giá / Rate by: (\d\d)/(\d\d)/(\d{4}) \d\d:\d\d", page.text())
    assert expiry is not None, page.text()
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


SHORT = "https://hailong.example.vn/s/" + "Ab3_-x" * 5 + "Zz"  # a 32-character token
PORTAL = "https://dichvucong.quangninh.gov.vn/khao-sat-hai-long/s/" + "Qw7-_e" * 7 + "R"  # a 43-character token
EXPIRES = datetime(2026, 12, 5, 20, 30, tzinfo=timezone.utc)  # 03:30 on 06/12/2026 in Vietnam


def slip_page(link: str, procedure: str = "Đăng ký khai sinh", expires: datetime | None = EXPIRES) -> Page:
    return read_page(slip_pdf(Slip(CODE, procedure, "UBND Phường 1", link, expires)))


def inside(page: Page) -> None:
    """Every text run and the QR code within the margins; no run over the QR code."""
    for run in page.runs:
        assert MARGIN - 0.5 <= run.left and run.right <= page.width - MARGIN + 0.5, run
        assert MARGIN <= run.baseline <= page.height - MARGIN, run
    (qr,) = page.images
    assert qr.left >= MARGIN - 0.5 and qr.left + qr.width <= page.width - MARGIN + 0.5
    for run in page.runs:
        assert not (qr.top < run.baseline < qr.top + qr.height), (run, qr)


@pytest.mark.parametrize("link", [SHORT, PORTAL], ids=["short", "portal"])
def test_the_slip_link_is_never_cut_inside_a_part(link: str) -> None:
    page = slip_page(link)
    inside(page)
    token = link.rsplit("/", 1)[1]
    lines = [r.text for r in page.runs if r.text in link and len(r.text) > 8]
    assert "".join(lines) == link, lines  # every character, in order
    assert token in lines[-1] and all(line.endswith("/") for line in lines[:-1])  # cut only after a "/"
    sizes = {r.size for r in page.runs if r.text in lines}
    assert len(sizes) == 1 and min(sizes) >= (10 if link == SHORT else 6), sizes  # large enough to type from
    if link == SHORT:
        assert lines == ["https://hailong.example.vn/s/", token]


def test_the_slip_says_until_when_in_vietnam_time() -> None:
    page = slip_page(SHORT)
    assert "Hạn đánh giá / Rate by: 06/12/2026 03:30" in page.text()
    assert "Hạn đánh giá" not in slip_page(SHORT, expires=None).text()
    early = slip_page(SHORT, expires=EXPIRES - timedelta(hours=4))  # still the 5th in Vietnam
    assert "05/12/2026 23:30" in early.text()


@pytest.mark.parametrize("procedure", ["Đăng ký khai sinh",
                                       "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác "
                                       "gắn liền với đất lần đầu cho hộ gia đình, cá nhân"], ids=["short", "long"])
def test_the_slip_fills_its_page(procedure: str) -> None:
    page = slip_page(PORTAL, procedure=procedure)
    inside(page)
    (qr,) = page.images
    assert qr.width >= 55, qr  # the QR code takes the room the texts leave
    lowest = max(r.baseline for r in page.runs)
    assert lowest >= page.height - MARGIN - 6, (lowest, page.height)  # no empty bottom third
    assert page.runs[-1].text.startswith("Hạn đánh giá")
