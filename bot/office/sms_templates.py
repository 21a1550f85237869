"""Every SMS the product sends, as it would go out: text, encoding, segments and estimated cost.

Shown by `hailong sms templates`; `hailong flows validate` warns about texts over one segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.common.settings import Settings
from bot.conversation.texts import say
from channels.contract import Choice
from channels.sms import invitation, size_of, sms_text
from survey_flows import Flow, choices_for, load_flow, load_schema, shipped_flows
from survey_flows.i18n import fill

#: What `hailong simulate` shows where a real survey shows its dossier.
SAMPLE_DOSSIER = {
    "dossier_code": "000.17.22.H56-210531-0001",
    "agency": "UBND Phường 1",
    "procedure": "Đăng ký khai sinh",
    "officer": "Nguyễn Thị Lan",
}

#: The SMS answers of the inbound path (bot/conversation/inbox.py) that are not questions.
SMS_REPLIES = ("stopped", "started", "no_survey")
SAMPLE_TOKEN = "x" * 32  # survey tokens are 32 characters


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """One SMS: ``{"name": "quick/overall", "text": "…", "encoding": "GSM-7", "segments": 1, "cost": 850}``."""

    name: str
    text: str
    encoding: str
    units: int
    segments: int
    cost: Decimal


def row(name: str, text: str, price: int) -> TemplateRow:
    size = size_of(text)
    return TemplateRow(name, text, str(size.encoding), size.units, size.segments, size.cost(Decimal(price)))


def flow_texts(flow: Flow, *, lang: str = "vi", unicode: bool = False) -> list[tuple[str, str]]:
    """(step id, SMS body) per message the flow sends; a message step joins the next question, as in the engine."""
    out: list[tuple[str, str]] = []
    prefix: list[str] = []
    for step in flow.steps:
        text = fill(step.text_for(lang, "sms"), SAMPLE_DOSSIER)
        if not step.asks:
            prefix.append(text)
            continue
        choices = tuple(Choice(code, label) for code, label in choices_for(step, lang))
        out.append((step.id, sms_text("\n\n".join([*prefix, text]), choices, unicode=unicode)))
        prefix = []
    if prefix:
        out.append(("end", sms_text("\n\n".join(prefix), unicode=unicode)))
    return out


def template_rows(settings: Settings, *, unicode: bool = False, lang: str = "vi") -> list[TemplateRow]:
    """The invitation, the keyword answers and every question of the shipped flows."""
    price = settings.sms_segment_price
    link = f"{settings.public_url}/s/{SAMPLE_TOKEN}"
    rows = [row("invitation", invitation(SAMPLE_DOSSIER["dossier_code"], link, unicode=unicode), price)]
    rows += [row(f"reply/{key}", sms_text(say(key, "sms"), unicode=unicode), price) for key in SMS_REPLIES]
    schema = load_schema()
    for flow_id in sorted(shipped_flows()):
        flow = load_flow(flow_id, schema)
        rows += [row(f"{flow_id}/{step}", text, price) for step, text in flow_texts(flow, lang=lang, unicode=unicode)]
    return rows


def long_texts(flow: Flow) -> list[str]:
    """Warnings for SMS texts (no diacritics, with their choices) longer than one segment."""
    warnings = []
    for lang in flow.languages:
        for step, text in flow_texts(flow, lang=lang):
            size = size_of(text)
            if not size.single:
                warnings.append(f"{flow.id}/{step} ({lang}): SMS {size.units} ký tự / characters, "
                                f"{size.segments} tin / segments")
    return warnings


def flow_file_warnings(paths: Iterable[Path]) -> list[str]:
    """`long_texts` of valid flow files (for `hailong flows validate`)."""
    schema = load_schema()
    return [w for path in paths for w in long_texts(load_flow(path, schema))]


def format_table(rows: list[TemplateRow]) -> str:
    """A plain-text table: name, encoding, characters, segments, cost (VND), then the text."""
    head = f"{'mẫu / template':<32} {'mã / enc':<8} {'ký tự':>5} {'tin':>3} {'VND':>6}  nội dung / text"
    lines = [head]
    for r in rows:
        text = r.text.replace("\n", " ⏎ ")
        lines.append(f"{r.name:<32} {r.encoding:<8} {r.units:>5} {r.segments:>3} {r.cost:>6}  {text}")
    return "\n".join(lines)
