"""SMS text rules: không dấu, GSM-7 or UCS-2, segments, numbered choices, keywords; the template table."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.common.settings import load_settings
from bot.office.sms_templates import template_rows
from channels.contract import ChannelName, Choice, Outbound
from channels.sms import Encoding, Keyword, invitation, keyword_of, render, size_of, sms_text, unaccent

FLOWS = Path(__file__).parents[2] / "survey_flows" / "data" / "flows"


@pytest.mark.parametrize(("text", "plain"), [
    ("Cảm ơn quý khách", "Cam on quy khach"),
    ("Đánh giá sự hài lòng — Đà Nẵng…", "Danh gia su hai long -- Da Nang..."),
    ("Gửi HUY để dừng", "Gui HUY de dung"),
    ("“Tốt” 👍", '"Tot" '),
])
def test_unaccent_gives_gsm7(text: str, plain: str) -> None:
    assert unaccent(text) == plain and size_of(unaccent(text)).encoding is Encoding.GSM7


SIZES = [
    ("a" * 160, Encoding.GSM7, 160, 1),
    ("a" * 161, Encoding.GSM7, 161, 2),
    ("a" * 306, Encoding.GSM7, 306, 2),
    ("a" * 307, Encoding.GSM7, 307, 3),
    ("{" * 80, Encoding.GSM7, 160, 1),  # extension characters count twice
    ("a" * 159 + "ả", Encoding.UCS2, 160, 3),  # one Vietnamese letter: the whole SMS is UCS-2
    ("ả" * 70, Encoding.UCS2, 70, 1),
    ("ả" * 71, Encoding.UCS2, 71, 2),
    ("ả" * 134, Encoding.UCS2, 134, 2),
    ("ả" * 135, Encoding.UCS2, 135, 3),
]


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), SIZES)
def test_segments(text: str, encoding: Encoding, units: int, segments: int) -> None:
    size = size_of(text)
    assert (size.encoding, size.units, size.segments) == (encoding, units, segments)
    assert size.cost(Decimal(850)) == 850 * segments


def test_choices_are_numbered_lines_without_diacritics() -> None:
    outbound = Outbound(ChannelName.SMS, "+84912345678", "Ông/Bà hài lòng không?",
                        (Choice("1", "Rất hài lòng"), Choice("2", "Hài lòng"), Choice("3", "Không hài lòng")))
    assert render(outbound) == "Ong/Ba hai long khong?\n1. Rat hai long\n2. Hai long\n3. Khong hai long"
    assert render(outbound, unicode=True).startswith("Ông/Bà hài lòng không?\n1. Rất hài lòng")
    assert sms_text("  a   b ") == "a b"


KEYWORDS = [
    ("STOP", Keyword.STOP), ("stop", Keyword.STOP), ("Huỷ", Keyword.STOP), ("HUY", Keyword.STOP),
    ("Hủy bỏ", Keyword.STOP), ("TU CHOI", Keyword.STOP), ("từ chối.", Keyword.STOP),
    ("unsubscribe", Keyword.STOP), ("Dừng", Keyword.STOP), ("dung lai", Keyword.STOP),
    ("DUNG", Keyword.MAYBE_STOP), ("dung", Keyword.MAYBE_STOP),
    ("đúng", None), ("Đúng", None), ("START", Keyword.START), ("yes", Keyword.YES),
    ("1", None), ("hai long", None), ("huy hieu", None), ("stop it please", None),
]


@pytest.mark.parametrize(("body", "keyword"), KEYWORDS)
def test_keywords_are_the_whole_body(body: str, keyword: Keyword | None) -> None:
    assert keyword_of(body) is keyword


def test_the_default_invitation_fits_one_gsm7_segment_with_its_link() -> None:
    link = "https://dichvucong.thanhhoa.gov.vn/s/" + "A" * 32
    text = invitation("000.17.22.H56-261118-0001", link)
    size = size_of(text)
    assert link in text and size.encoding is Encoding.GSM7 and size.segments == 1
    assert size_of(invitation("000.17.22.H56-261118-0001", link, unicode=True)).encoding is Encoding.UCS2


def test_template_table_has_every_shipped_question() -> None:
    settings = load_settings(env_file=None, public_url="https://dichvucong.thanhhoa.gov.vn", sms_segment_price=850)
    rows = {r.name: r for r in template_rows(settings)}
    assert {"invitation", "reply/stopped", "reply/no_survey", "quick/overall", "quick/officer",
            "nd61-standard/overall", "nd61-standard/reasons", "nd61-standard/end"} <= set(rows)
    assert rows["invitation"].segments == 1 and rows["invitation"].encoding == "GSM-7"
    assert rows["quick/overall"].text.endswith("\n5. Rat tot")
    assert all(r.cost == 850 * r.segments and r.encoding == "GSM-7" for r in rows.values())
    unicode = {r.name: r for r in template_rows(settings, unicode=True)}
    assert unicode["quick/officer"].encoding == "UCS-2" and unicode["quick/officer"].segments == 2


def test_cli_prints_the_table_and_validate_warns_without_failing() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["sms", "templates"], env={"HAILONG_SMS_SEGMENT_PRICE": "850"})
    assert result.exit_code == 0, result.output
    assert "invitation" in result.output and "GSM-7" in result.output and "quick/overall" in result.output
    result = runner.invoke(main, ["flows", "validate", str(FLOWS / "nd61-standard.yaml"), str(FLOWS / "quick.yaml")])
    assert result.exit_code == 0
    assert "nd61-standard/reasons (vi): SMS" in result.output and "quick/" not in result.output
