"""Every text hailong may send by SMS or read back as a keyword: the shipped flows, the catalogs, the alphabet."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VIETNAMESE = ("aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ")
PUNCTUATION = "–—…“”‘’«»•·×€£¥©®°±²³¼½¾"


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def corpus() -> list[str]:
    """The texts, sorted, each once."""
    texts: set[str] = {VIETNAMESE, VIETNAMESE.upper(), PUNCTUATION}
    for flow in sorted((ROOT / "survey_flows" / "data" / "flows").glob("*.yaml")):
        texts.update(_strings(yaml.safe_load(flow.read_text("utf-8"))))
    texts.update(_strings(yaml.safe_load((ROOT / "survey_flows" / "data" / "schema.yaml").read_text("utf-8"))))
    for po in sorted(ROOT.glob("**/locales/*/LC_MESSAGES/*.po")):
        if ".venv" in po.parts:
            continue
        texts.update(m.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
                     for m in re.findall(r'^msgstr "(.+)"$', po.read_text("utf-8"), re.M))
    return sorted(t for t in texts if t.strip())


if __name__ == "__main__":  # python -m tests.channels.sms_texts: rewrite the golden file (review the diff!)
    import json

    from channels.sms import fold, unaccent

    texts = corpus()
    golden = {"unaccent": {t: unaccent(t) for t in texts}, "fold": {t: fold(t) for t in texts}}
    (ROOT / "tests" / "channels" / "golden" / "sms_unaccent.json").write_text(
        json.dumps(golden, ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8")
