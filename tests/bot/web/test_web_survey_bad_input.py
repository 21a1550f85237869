"""Bad input over real HTTP: each gets a clear page, changes nothing, and is never a 500."""

from __future__ import annotations

from live import run_async, serve_app
from surveykit import CODES, DESK, Client, enrolled, hidden, seed

from storage import find_survey, load_session, open_database


def session_version(url: str, token: str) -> int:
    async def run() -> int:
        async with open_database(url) as db, db.transaction() as s:
            row = await load_session(s, (await find_survey(s, token=token)).id)
            return 0 if row is None else row.version

    return run_async(run())


def started(client: Client, token: str) -> str:
    """Open the survey and press Start; returns the first question's page."""
    _, page = client.get(f"/s/{token}")
    _, page = client.post(f"/s/{token}", {"_csrf": hidden(page, "_csrf"), "v": "0", "action": "start"})
    return page


def test_unknown_and_malformed_tokens_get_a_clear_page(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    with serve_app(seeded.settings) as base:
        client = Client(base)
        for token in ("A" * 32, "short", "bad%20chars" * 3, "x" * 80):
            status, page = client.get(f"/s/{token}")
            assert status == 404 and "Đường dẫn không hợp lệ" in page and "Invalid link" in page
        status, _ = client.post(f"/s/{'A' * 32}", {"_csrf": "x"})
        assert status in (403, 404)


def test_forged_posts_without_the_csrf_token_change_nothing(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    token = seeded.tokens[CODES[0]]
    with serve_app(seeded.settings) as base:
        client = Client(base)
        page = started(client, token)
        before = session_version(live_db_url, token)
        fields = {"v": hidden(page, "v"), "step": "overall", "choice": "1"}
        for forged in (fields, {**fields, "_csrf": "forged-token-from-elsewhere-123"}):
            status, page = client.post(f"/s/{token}", forged)
            assert status == 403 and "Biểu mẫu không hợp lệ" in page
        assert session_version(live_db_url, token) == before


def test_a_replayed_answer_is_recorded_once(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    token = seeded.tokens[CODES[0]]
    with serve_app(seeded.settings) as base:
        client = Client(base)
        page = started(client, token)
        form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), "step": "overall", "choice": "1"}
        status, page = client.post(f"/s/{token}", form)
        assert status == 200 and 'data-step="contacts"' in page
        after_first = session_version(live_db_url, token)
        status, page = client.post(f"/s/{token}", form)  # the same form again (double tap, back+resend)
        assert status == 200 and "đã được ghi nhận" in page and 'data-step="contacts"' in page
        assert session_version(live_db_url, token) == after_first


def test_oversized_fields_and_bodies_are_refused(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    token = seeded.tokens[CODES[0]]
    with serve_app(seeded.settings) as base:
        client = Client(base)
        page = started(client, token)
        before = session_version(live_db_url, token)
        form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), "step": "overall"}
        status, page = client.post(f"/s/{token}", {**form, "value": "á" * 2001})
        assert status == 413 and "quá dài" in page
        status, page = client.post(f"/s/{token}", {**form, "value": "x" * 100_000})
        assert status == 413 and "quá dài" in page
        assert session_version(live_db_url, token) == before


def test_an_empty_answer_asks_again(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=1)
    token = seeded.tokens[CODES[0]]
    with serve_app(seeded.settings) as base:
        client = Client(base)
        page = started(client, token)
        form = {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"), "step": "overall", "choice": "9x"}
        status, page = client.post(f"/s/{token}", form)
        assert status == 200 and "Xin Ông/Bà chọn" in page and 'data-step="overall"' in page


def test_the_kiosk_opens_a_survey_for_a_dossier_without_one(live_db_url) -> None:
    seeded = seed(live_db_url, surveys=0)
    with serve_app(seeded.settings) as base:
        client = enrolled(base, live_db_url)
        _, page = client.get(f"/kiosk/{DESK}")
        status, page = client.post(f"/kiosk/{DESK}", {"_csrf": hidden(page, "_csrf"), "code": CODES[4], "go": "1"})
        assert status == 200 and 'data-step="overall"' in page and "120;url=/kiosk/quay-1" in page


def test_an_expired_survey_shows_a_closed_page(live_db_url) -> None:
    from datetime import datetime, timedelta, timezone

    from bot.conversation.surveys import send_survey

    seeded = seed(live_db_url, surveys=0)

    async def old_survey() -> str:
        async with open_database(live_db_url) as db:
            then = datetime.now(timezone.utc) - timedelta(days=30)
            return (await send_survey(db, seeded.settings, CODES[2], now=then)).token

    token = run_async(old_survey())
    with serve_app(seeded.settings) as base:
        status, page = Client(base).get(f"/s/{token}")
    assert status == 410 and "Khảo sát đã đóng" in page and "<form" not in page


def test_logged_paths_never_carry_a_token() -> None:
    from bot.web.logs import redact

    assert redact("/s/AbC_d-12345678901234567890/qr.png") == "/s/…/qr.png"
    assert redact("/kiosk/quay-1/s/AbC_d-123456789012345") == "/kiosk/quay-1/s/…"
