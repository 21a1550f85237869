"""What an invitation looks like on paper and on screen: the QR code, the Telegram deep link, the slip."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

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
    """What the printed return slip says: ``{"dossier_code": "…", "procedure": "…", "agency": "…", "link": "…"}``."""

    dossier_code: str
    procedure: str
    agency: str
    link: str

    def lines(self) -> list[str]:
        """The slip's text lines, Vietnamese first."""
        return [self.agency, f"Hồ sơ / Dossier: {self.dossier_code}", f"Thủ tục / Procedure: {self.procedure or '—'}",
                INSTRUCTION, INSTRUCTION_EN]


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


def slip_pdf(slip: Slip) -> bytes:
    """An A6 PDF slip: the texts, the QR code and the short link."""
    from fpdf import FPDF

    pdf = FPDF(format=(105, 148))  # A6
    pdf.set_margins(8, 8, 8)
    pdf.add_page()
    pdf.add_font("slip", fname=str(font_path()))
    pdf.set_font("slip", size=10)
    for line in slip.lines()[:3]:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(qr_png(slip.link, scale=10)), x=(pdf.w - 50) / 2, w=50, h=50)
    pdf.set_font("slip", size=8)
    for line in (slip.link, *slip.lines()[3:]):
        pdf.multi_cell(0, 4, line, align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def slip_png(slip: Slip) -> bytes:
    """A 600 px wide PNG slip (for thermal printers): the texts, the QR code and the short link."""
    from PIL import Image, ImageDraw, ImageFont

    font, small = (ImageFont.truetype(str(font_path()), size) for size in (22, 16))
    qr = Image.open(io.BytesIO(qr_png(slip.link, scale=8))).convert("RGB")
    image = Image.new("RGB", (600, 260 + qr.height), "white")
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
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
