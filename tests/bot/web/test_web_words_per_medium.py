"""Words per medium: pages (web and kiosk) never carry the chats' instructions — no "send STOP",
no "reply with a number", no "(pick numbers, e.g. 1 3)" — because a person there presses buttons.

Every step of every shipped flow is rendered for both page channels in both languages, and every
shipped flow is answered over real HTTP on the web and on an enrolled kiosk, lowest answers
first (the low-rating branch: reasons, comment) and then highest, every page's text checked.
"""

from __future__ import annotations

import html
import re

import pytest
from live import serve_app
from surveykit import CODES, DESK, Client, enrolled, hidden, seed

from bot.web.screens import intro_of, screen_of
from survey_flows import Env, load_flow, load_schema, shipped_flows, start
from survey_flows.flow import SCREEN_CHANNELS

# What only a chat says: typed control words and typed-number instructions.
CHAT_WORDS = re.compile(
    r"(?<![\w-])(HUY|STOP|SKIP|BỎ QUA|BO QUA|QUAY LAI)(?![\w-])|"  # control words, as typed in capitals
    r"(?i:gửi (HUY|BỎ QUA)|send (HUY|SKIP|STOP)|trả lời bằng số|reply with|chọn một hoặc nhiều số|"
    r"pick one or more numbers|ví dụ:? ?\d|e\.g\. ?\d|\(\s*gửi|\(\s*send)")
SAMPLE = {"agency": "UBND Phường 1", "dossier_code": CODES[0], "procedure": "Đăng ký khai sinh",
          "officer": "Nguyễn Thị Lan", "due_on": "19/11/2026"}


def _visible(page: str) -> str:
    """The text a person reads on a page (tags, scripts and styles dropped)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("flow_id", sorted(shipped_flows()))
@pytest.mark.parametrize("channel", sorted(SCREEN_CHANNELS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_step_of_every_shipped_flow_uses_page_words(flow_id: str, channel: str, lang: str) -> None:
    from datetime import datetime, timezone

    flow = load_flow(flow_id, load_schema())
    session = start(flow, Env(now=datetime.now(timezone.utc), new_id=lambda: "x"), lang=lang,
                    channel=channel, context=SAMPLE).session
    texts = [*intro_of(flow, SAMPLE, lang, channel)]
    for step in flow.steps:
        texts.append(step.text_for(lang, channel))
        if step.asks:
            screen = screen_of(flow, session.__class__.from_json({**session.to_json(), "step_id": step.id}), lang)
            texts += [screen.text, *(c.label for c in screen.choices)]
    found = [t for t in texts if CHAT_WORDS.search(t)]
    assert not found, found
    # The chats keep their instructions: the check above is not vacuous.
    assert any(CHAT_WORDS.search(step.text_for(lang, "telegram")) for step in flow.steps)


def _answer(client: Client, path: str, page: str, *, low: bool) -> tuple[int, str]:
    """Post the lowest (or highest) answer the current question offers."""
    form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), "step": hidden(page, "step")}
    buttons = re.findall(r'name="choice" value="(\d+)"', page)
    boxes = re.findall(r'name="choices" value="(\d+)"', page)
    if buttons:
        form["choice"] = min(buttons, key=int) if low else max(buttons, key=int)
    elif boxes:
        return client.post(path, [*form.items(), ("choices", boxes[0]), ("action", "answer")])
    elif 'type="number"' in page:
        minimum = re.search(r'min="(\d+)"', page)
        form |= {"value": minimum.group(1) if minimum else "0", "action": "answer"}
    else:
        form |= {"value": "Cảm ơn", "action": "answer"}
    return client.post(path, form)


def _walk(client: Client, path: str, page: str, *, low: bool) -> list[str]:
    pages = [page]
    for _ in range(20):
        if 'name="step"' not in page:
            return pages
        status, page = _answer(client, path, page, low=low)
        assert status == 200, status
        pages.append(page)
    raise AssertionError("the survey did not end in 20 answers")


@pytest.mark.parametrize("flow_id", sorted(shipped_flows()))
def test_the_pages_of_every_shipped_flow_carry_no_chat_words(live_db_url, flow_id: str) -> None:
    seeded = seed(live_db_url, flow=flow_id, surveys=5)
    with serve_app(seeded.settings) as base:
        pages: list[str] = []
        for n, (lang, low) in enumerate((("vi", True), ("en", False))):
            token = seeded.tokens[CODES[n]]
            client = Client(base)
            _, page = client.get(f"/s/{token}?lang={lang}")
            pages.append(page)
            _, page = client.post(f"/s/{token}", {"_csrf": hidden(page, "_csrf"), "v": "0", "action": "start"})
            pages += _walk(client, f"/s/{token}", page, low=low)
        kiosk = enrolled(base, live_db_url)
        for code, low in ((CODES[3], True), (CODES[4], False)):
            _, page = kiosk.get(f"/kiosk/{DESK}")
            status, page = kiosk.post(f"/kiosk/{DESK}", {"_csrf": hidden(page, "_csrf"), "code": code, "go": "1"})
            assert status == 200 and 'data-step="' in page
            path = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
            pages += _walk(kiosk, path, page, low=low)
    asked = {step for page in pages for step in re.findall(r'data-step="([^"]+)"', page)}
    flow = load_flow(flow_id, load_schema())
    assert asked == {s.id for s in flow.steps if s.asks}  # every question was on a page
    texts = [_visible(page) for page in pages]
    assert not [m.group(0) for t in texts for m in CHAT_WORDS.finditer(t)]
    assert not [t for t in texts if "!." in t]  # "Thank you!." once ended a message page
    assert any("Phiếu đánh giá đã được ghi nhận" in t for t in texts)
