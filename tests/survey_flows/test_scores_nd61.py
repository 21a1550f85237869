"""Issue 12: the nd61 question for indicator 4 cannot be misread; replies land on the right points."""

from __future__ import annotations

import pytest

from survey_flows import Flow, TextReply, choices_for
from survey_flows.replies import interpret


def test_indicator_4_question_excludes_handing_in_and_collecting(nd61: Flow) -> None:
    step = nd61.step("bodies")
    assert step.writes == "indicator.4"
    vi, en = step.text.get("vi"), step.text.get("en")
    assert "Ngoài lúc nộp hồ sơ và nhận kết quả" in vi and "những nơi nào" in vi and "thẩm định" in vi
    assert "Apart from handing the dossier in and collecting the result" in en and "where did you" in en
    assert "appraisal council" in en
    # no "besides the desk … only the desk" contradiction any more
    assert "Ngoài Bộ phận Một cửa" not in vi and "Besides the one-stop desk" not in en
    # The law's three cases in words that cannot overlap: nowhere 2, only the desk 1, another body 0.
    assert choices_for(step, "vi") == (("1", "Không phải liên hệ nơi nào"),
                                       ("2", "Chỉ Bộ phận Một cửa"),
                                       ("3", "Phải liên hệ thêm cơ quan khác (ngoài hoặc thay Bộ phận Một cửa)"))
    assert [label for _, label in choices_for(step, "en")] == [
        "Nowhere: no contact was needed", "Only the one-stop desk", "Another body too (besides or instead of the desk)"]
    assert [o.value for o in step.options] == [2, 1, 0]


@pytest.mark.parametrize(("text", "points"), [
    ("không", 2), ("Không phải liên hệ thêm nơi nào", 2), ("khong noi nao", 2), ("no", 2), ("nowhere else", 2),
    ("1", 2), ("Không phải liên hệ nơi nào", 2), ("khong phai lien he noi nao", 2), ("Nowhere: no contact was needed", 2),
    ("chỉ một cửa", 1), ("chi bo phan mot cua", 1), ("only the desk", 1), ("2", 1), ("Chỉ Bộ phận Một cửa", 1),
    ("Chỉ liên hệ lại Bộ phận Một cửa", 1), ("only the one-stop desk", 1),
    ("cơ quan khác", 0), ("nhiều nơi", 0), ("another agency or unit", 0), ("3", 0), ("thêm cơ quan khác", 0),
    ("Phải liên hệ thêm cơ quan khác (ngoài hoặc thay Bộ phận Một cửa)", 0), ("phai lien he them co quan khac", 0),
    ("Another body too (besides or instead of the desk)", 0),
])
def test_indicator_4_replies(nd61: Flow, text: str, points: int) -> None:
    answer = interpret(nd61.step("bodies"), TextReply(text)).answer
    assert answer is not None and answer.value == points


def test_indicator_3_question_says_what_not_to_count(nd61: Flow) -> None:
    step = nd61.step("contacts")
    assert "Không tính lần nộp hồ sơ và lần nhận kết quả" in step.text.get("vi")
    assert "Do not count handing it in or collecting the result" in step.text.get("en")
    assert nd61.version == "2026.2"  # the wording changed: answers say which wording they had
