"""What an invitation looks like on paper and on screen: the QR code, the Telegram deep link, the slip."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import segno

from bot.common.errors import HailongError
from bot.common.settings import Settings

# Fonts with Vietnamese glyphs, in order of preference (Debian's fonts-dejavu-core comes with Chromium).
FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/System/Library/Fonts/Supplemental/Arial Unicode.ttf"),
    Path("C:/Windows/Fonts/arial.ttf"),
)
INSTRUCTION = "Quét mã QR hoặc mở đường dẫn để đánh giá sự hài lòng (1 phút)."
INSTRUCTION_EN = "Scan the QR code or open the link to rate our service (1 minute)."
EXPIRES = "Hạn đánh giá / Rate by: {at}"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The PDF slip: A6 in millimetres. The link is set in the largest size from LINK_SIZES at which it
# takes at most two lines, cut only after a "/" (never inside the token); the QR code takes the
# height the texts leave, so the page is filled to its bottom margin.
PAGE_W, PAGE_H, MARGIN = 105.0, 148.0, 8.0
LINK_SIZES = (12, 11, 10, 9, 8, 7, 6)
QR_MAX = PAGE_W - 2 * MARGIN
GAP = 3.0


class NoFont(HailongError):
    code = "no_font"

    def __init__(self) -> None:
        super().__init__(
            "Không tìm thấy phông chữ tiếng Việt; hãy cài gói fonts-dejavu-core.",
            "No font with Vietnamese letters was found; install the fonts-dejavu-core package.",
        )


class BadSlipFormat(HailongError):
    code = "bad_slip_format"

    def __init__(self, name: str) -> None:
        super().__init__(f"Tệp {name} phải có đuôi .pdf hoặc .png.", f"The file {name} must end in .pdf or .png.")


def qr_svg(link: str) -> bytes:
    """The link as an SVG QR code (scales to any print size)."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="svg", scale=4, border=2, xmldecl=False)
    return out.getvalue()


def qr_png(link: str, scale: int = 8) -> bytes:
    """The link as a PNG QR code, `scale` pixels per module."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def telegram_link(settings: Settings, token: str) -> str | None:
    """`https://t.me/<bot>?start=<token>` when a bot username is configured."""
    username = getattr(settings, "telegram_bot_username", "") or ""
    return f"https://t.me/{username.lstrip('@')}?start={token}" if username else None


def save_qr(link: str, stem: Path) -> tuple[Path, Path]:
    """Write `<stem>.svg` and `<stem>.png`; returns both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    # Not with_suffix: dossier codes are full of dots ("000.17.22.H56-…").
    svg, png = stem.parent / f"{stem.name}.svg", stem.parent / f"{stem.name}.png"
    svg.write_bytes(qr_svg(link))
    png.write_bytes(qr_png(link))
    return svg, png


@dataclass(frozen=True, slots=True)
class Slip:
    """What the printed return slip says: ``{"dossier_code": "…", "procedure": "…", "agency": "…", "link": "…",
    "expires_at": <the survey's expiry, shown in Vietnam time as dd/mm/yyyy HH:MM>}``."""

    dossier_code: str
    procedure: str
    agency: str
    link: str
    expires_at: datetime | None = None

    def expiry(self) -> str | None:
        """The expiry line in Vietnam time, or None without an expiry."""
        if self.expires_at is None:
            return None
        return EXPIRES.format(at=self.expires_at.astimezone(VN).strftime("%d/%m/%Y %H:%M"))

    def lines(self) -> list[str]:
        """The slip's text lines, Vietnamese first; the expiry last when there is one."""
        expiry = self.expiry()
        return [self.agency, f"Hồ sơ / Dossier: {self.dossier_code}", f"Thủ tục / Procedure: {self.procedure or '—'}",
                INSTRUCTION, INSTRUCTION_EN, *([expiry] if expiry else [])]


def font_path() -> Path:
    """The first installed font that can write Vietnamese; NoFont otherwise."""
    found = next((p for p in FONTS if p.exists()), None)
    if found is None:
        raise NoFont()
    return found


def write_slip(slip: Slip, output: Path) -> Path:
    """Render the slip to `output` (.pdf or .png by its suffix)."""
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise BadSlipFormat(output.name)
    data = slip_pdf(slip) if suffix == ".pdf" else slip_png(slip)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return output


def link_lines(link: str, fits: Any) -> list[str]:
    """The link as lines that each `fits(line)`: one line when it fits, else cut only after a "/"
    (or before "?"), so the token and every other part stays whole."""
    if fits(link):
        return [link]
    parts = [p for p in re.split(r"(?<=/)|(?=\?)", link) if p]
    lines = [""]
    for part in parts:
        if lines[-1] and not fits(lines[-1] + part):
            lines.append("")
        lines[-1] += part
    return lines


def slip_pdf(slip: Slip) -> bytes:
    """An A6 PDF slip filled top to bottom: agency, dossier and procedure, the QR code as large as
    the page allows, the whole short link, the instructions and the expiry date."""
    from fpdf import FPDF

    pdf = FPDF(format=(PAGE_W, PAGE_H))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("slip", fname=str(font_path()))
    width = PAGE_W - 2 * MARGIN

    def block(texts: Sequence[tuple[str, float, str]], *, dry: bool) -> float:
        """Write (text, size, align) lines from the current position; their height in mm."""
        height = 0.0
        for text, size, align in texts:
            pdf.set_font("slip", size=size)
            line_h = size * 0.45
            if dry:
                measured = pdf.multi_cell(width, line_h, text, align=align, dry_run=True, output="HEIGHT")
                height += float(measured) if isinstance(measured, (int, float)) else 0.0
            else:
                pdf.multi_cell(width, line_h, text, align=align, new_x="LMARGIN", new_y="NEXT")
        return height

    agency, dossier, procedure = slip.lines()[:3]
    top = [(agency, 12, "C"), (dossier, 10, "L"), (procedure, 10, "L")]
    link = [(line, size, "C") for size, lines in [_link_layout(pdf, slip.link, width)] for line in lines]
    expiry = slip.expiry()
    bottom = [*link, (INSTRUCTION, 10, "C"), (INSTRUCTION_EN, 9, "C"), *([(expiry, 11, "C")] if expiry else [])]
    top_h, bottom_h = block(top, dry=True), block(bottom, dry=True)
    room = PAGE_H - 2 * MARGIN - top_h - bottom_h - 2 * GAP
    side = max(30.0, min(QR_MAX, room))
    spare = max(0.0, room - side) / 2  # a short text leaves room around the QR code rather than at the bottom
    block(top, dry=False)
    y = pdf.get_y() + GAP + spare
    pdf.image(io.BytesIO(qr_png(slip.link, scale=10)), x=(PAGE_W - side) / 2, y=y, w=side, h=side)
    pdf.set_y(y + side + GAP + spare)
    block(bottom, dry=False)
    return bytes(pdf.output())


def _link_layout(pdf: Any, link: str, width: float) -> tuple[float, list[str]]:
    """The largest size from LINK_SIZES at which the link takes at most two lines cut after a "/"
    (one line when it fits), with its lines; past that, the smallest size and as many lines as needed."""
    for size in LINK_SIZES:
        lines = link_lines(link, lambda t, size=size: _fits(pdf, t, size, width))
        if len(lines) <= 2 and all(_fits(pdf, line, size, width) for line in lines):
            return size, lines
    smallest = LINK_SIZES[-1]
    return smallest, link_lines(link, lambda t: _fits(pdf, t, smallest, width))


def _fits(pdf: Any, text: str, size: float, width: float) -> bool:
    pdf.set_font("slip", size=size)
    return bool(pdf.get_string_width(text) <= width - 2 * pdf.c_margin)


def slip_png(slip: Slip) -> bytes:
    """A 600 px wide PNG slip (for thermal printers): the texts, the QR code and the short link."""
    from PIL import Image, ImageDraw, ImageFont

    font, small = (ImageFont.truetype(str(font_path()), size) for size in (22, 16))
    qr = Image.open(io.BytesIO(qr_png(slip.link, scale=8))).convert("RGB")
    image = Image.new("RGB", (600, 300 + qr.height), "white")
    draw = ImageDraw.Draw(image)
    y = 16
    for line in slip.lines()[:3]:
        draw.text((20, y), line, font=font, fill="black")
        y += 32
    image.paste(qr, ((600 - qr.width) // 2, y))
    y += qr.height + 8
    for line in (slip.link, *slip.lines()[3:]):
        draw.text((300, y), line, font=small, fill="black", anchor="ma")
        y += 24
    image = image.crop((0, 0, 600, min(image.height, y + 16)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
