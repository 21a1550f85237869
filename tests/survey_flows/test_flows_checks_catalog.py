"""The flow checker speaks from a catalog: every message it can say has a Vietnamese and an English
text with the same placeholders, and a broken flow's problems come in both languages."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import survey_flows
from survey_flows import load_schema
from survey_flows.flow_loader import read_flow
from survey_flows.i18n import check_ids

PACKAGE = Path(survey_flows.__file__).parent


def said() -> set[str]:
    """Every msgid the package passes to `Findings.say` or `flow_loader._problem` (read from its source)."""
    out = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            if called in ("found.say", "ctx.found.say", "_problem"):
                assert isinstance(node.args[1], ast.Constant), f"{path.name}:{node.lineno}: a literal msgid is needed"
                out.add(node.args[1].value)
    return out


def fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)


def test_every_checker_message_is_in_both_catalogs_with_the_same_placeholders() -> None:
    vi, en = check_ids("vi"), check_ids("en")
    used = said()
    assert len(used) >= 40
    assert used == set(vi) == set(en), (used ^ set(vi), used ^ set(en))
    for msgid in used:
        assert en[msgid] == msgid
        assert vi[msgid] != msgid and fields(vi[msgid]) == fields(msgid), msgid


def test_a_broken_flow_is_reported_in_vietnamese_and_english() -> None:
    text = """id: broken
version: "1"
name: {vi: "Hỏng", en: "Broken"}
languages: [vi, en]
steps:
  - id: overall
    kind: choice
    scale: sat9
    writes: satisfaction.overall
    text: {vi: "Hài lòng không?", en: "Satisfied?"}
  - id: why
    kind: reasons
    writes: reasons
    when: {step: later, level_in: [0]}
    text: {vi: "Vì sao?"}
  - id: later
    kind: shout
"""
    _, problems = read_flow(text, "broken.yaml", load_schema())
    pairs = [(p.line, p.vi, p.message) for p in problems]
    assert (8, "câu 'overall': không có thang 'sat9' (chọn một trong: sat3, sat5, stars5)",
            "step 'overall': unknown scale 'sat9' (expected one of: sat3, sat5, stars5)") in pairs
    assert (14, "câu 'why': điều kiện dựa vào câu 'later', nhưng câu đó không đứng trước",
            "step 'why': when refers to step 'later', which does not come before it") in pairs
    assert (15, "câu 'why': lời hỏi (text): thiếu bản ngôn ngữ 'en'", "step 'why': text lacks language 'en'") in pairs
    assert any(line == 17 and vi.startswith("câu 'later': không có loại câu hỏi 'shout'") for line, vi, _ in pairs)
    assert all(p.vi and p.vi != p.message for p in problems)
