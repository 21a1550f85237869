"""Dossier codes, system-text catalogs, the terminal runner, the public API and purity."""

from __future__ import annotations

import ast
import string
import subprocess
import sys
from pathlib import Path

import pytest
from flows_testkit import env_at

import survey_flows
from survey_flows import DossierStatus, Flow, InvalidDossierCode, is_evaluable, normalize_code, run_terminal, texts
from survey_flows.i18n import catalog_ids

PACKAGE = Path(survey_flows.__file__).parent


@pytest.mark.parametrize(("raw", "code"), [
    ("000.17.22.H56-210531-0001", "000.17.22.H56-210531-0001"),
    ("  000.17.22.h56-210531-0001 \n", "000.17.22.H56-210531-0001"),
    ("H56-240229-0001", "H56-240229-0001"),  # 2024 is a leap year
    ("G01.234-241231-120001", "G01.234-241231-120001"),
    ("xa.phuong-250701-ab1234", "XA.PHUONG-250701-AB1234"),
    ("000.17.22.H56–210531–0001", "000.17.22.H56-210531-0001"),  # en dashes from a word processor
])
def test_normalize_code(raw: str, code: str) -> None:
    assert normalize_code(raw) == code


@pytest.mark.parametrize("raw", [
    "", "000.17.22.H56", "000.17.22.H56-210532-0001", "H56-250229-0001", "H56-210531-001",
    "H56-210531-ABC0001", ".H56-210531-0001", "H56..1-210531-0001", "H 56-210531-0001",
])
def test_invalid_codes(raw: str) -> None:
    with pytest.raises(InvalidDossierCode) as caught:
        normalize_code(raw)
    assert caught.value.code == "invalid_dossier_code"
    assert "Mã hồ sơ không hợp lệ" in caught.value.vi
    assert "Invalid dossier code" in caught.value.en


def test_only_processed_or_returned_dossiers_are_evaluable() -> None:
    assert [s.value for s in DossierStatus if is_evaluable(s)] == [9, 10]
    assert is_evaluable(10) and not is_evaluable(4)
    with pytest.raises(ValueError):
        is_evaluable(11)


def test_every_msgid_has_a_vietnamese_translation() -> None:
    vi, en = catalog_ids("vi"), catalog_ids("en")
    assert set(texts.ALL) <= set(vi), set(texts.ALL) - set(vi)
    assert set(vi) == set(en) == set(texts.ALL)
    for msgid in texts.ALL:
        assert vi[msgid].strip() and vi[msgid] != msgid
        assert set(format_fields(msgid)) == set(format_fields(vi[msgid])), msgid


def format_fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_terminal_runner_is_generic_over_io(quick: Flow) -> None:
    lines = iter(["⭐⭐⭐⭐", "/press 2", "/what", "Nhanh gọn"])
    out: list[str] = []
    turns = iter(range(100))
    session = run_terminal(quick, lang="vi", channel="web", read_line=lambda: next(lines, None),
                           write=out.append, env_factory=lambda: env_at(next(turns)))
    assert session.status == "completed"
    text = "\n".join(out)
    assert "  5. Rất tốt" in text
    assert "[satisfaction.overall = 4, level 1]" in text
    assert "[satisfaction.officer_attitude = 1, level 1]" in text
    assert "/press N" in text
    assert "[comment = 'Nhanh gọn']" in text
    assert out[-1] == "  [survey completed]"


def test_terminal_runner_stops_at_end_of_input(quick: Flow) -> None:
    session = run_terminal(quick, lang="en", channel="sms", read_line=lambda: None,
                           write=lambda _: None, env_factory=lambda: env_at(0))
    assert session.status == "active" and session.step_id == "overall"


def test_python_dash_m_chats_with_a_flow() -> None:
    result = subprocess.run([sys.executable, "-m", "survey_flows", "quick", "--lang", "en"],
                            input="5\n1\nskip\n", capture_output=True, text=True, cwd=PACKAGE.parent, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Thank you for your evaluation!" in result.stdout


def test_python_dash_m_reports_an_unknown_flow() -> None:
    result = subprocess.run([sys.executable, "-m", "survey_flows", "nope"], capture_output=True, text=True,
                            cwd=PACKAGE.parent, timeout=60)
    assert result.returncode == 2
    assert "unknown_flow" in result.stderr and "Traceback" not in result.stderr


def test_public_api_is_sorted_and_importable() -> None:
    assert survey_flows.__all__ == sorted(survey_flows.__all__)
    assert all(hasattr(survey_flows, name) for name in survey_flows.__all__)


FORBIDDEN_CALLS = {"now", "today", "utcnow", "uuid4", "uuid1"}


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__main__.py"))
def test_core_never_reads_the_clock_or_makes_ids(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    calls = {node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not calls & FORBIDDEN_CALLS
    assert not imports & {"uuid", "time", "random", "secrets", "asyncio"}


def test_modules_stay_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 300, sizes
