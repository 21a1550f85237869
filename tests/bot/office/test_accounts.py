"""Sign-in throttling per username + address with a growing delay, a manager's unlock, and the
password rule (zxcvbn): the use cases on a real database, with the clock passed in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.common.errors import BadInput
from bot.office.accounts import (
    FREE_TRIES,
    SignInRefused,
    check_password,
    create_user,
    sign_in,
    sign_in_delays,
    unlock_sign_in,
)
from storage import audit_entries, sign_in_failures

PASSWORD = "mật khẩu đủ dài 2026"


async def attempt(db, password: str, now, address: str = "10.0.0.66") -> str:
    """'ok', 'wrong' or 'throttled:<minutes>'."""
    try:
        await sign_in(db, username="lan", password=password, address=address, now=now, minutes=60)
        return "ok"
    except SignInRefused as refused:
        return refused.reason if refused.reason == "wrong" else f"throttled:{refused.minutes}"


async def test_the_delay_grows_per_address_and_never_locks_the_user_out(db, now) -> None:
    await create_user(db, username="lan", password=PASSWORD, role="admin", agency_code=None, actor="test", now=now)
    t = now
    for _ in range(FREE_TRIES):
        assert await attempt(db, "a wrong guess 1", t) == "wrong"
    assert await attempt(db, PASSWORD, t) == "throttled:1"  # even the right password waits
    waits = []
    for _ in range(5):  # each further failure doubles the wait: 1, 2, 4, 8, 16 minutes
        t += timedelta(minutes=40)
        assert await attempt(db, "a wrong guess 1", t) == "wrong"
        waits.append(await attempt(db, PASSWORD, t + timedelta(seconds=1)))
    assert waits == ["throttled:2", "throttled:4", "throttled:8", "throttled:16", "throttled:30"]  # capped at 30
    # The person herself, at her own desk (another address), signs in at once.
    assert await attempt(db, PASSWORD, t, address="10.0.0.7") == "ok"
    assert await sign_in_delays(db, "lan", now=t) == 1
    assert await unlock_sign_in(db, "lan", actor="user:boss", now=t) == 1
    assert await attempt(db, PASSWORD, t) == "ok" and await sign_in_delays(db, "lan", now=t) == 0
    assert await attempt(db, "a wrong guess 1", t, address="10.0.0.8") == "wrong"
    assert await attempt(db, PASSWORD, t + timedelta(hours=25)) == "ok"  # a day later: old failures are gone
    async with db.transaction() as s:
        assert await sign_in_failures(s, "user:lan@10.0.0.8", t - timedelta(days=1)) == (0, None)
        actions = [e.action for e in await audit_entries(s, action_prefix="sign_in", limit=100)]
    assert actions.count("sign_in.failed") == 11 and actions.count("sign_in.throttled") == 6
    assert actions.count("sign_in.unlock") == 1 and actions.count("sign_in") == 3


@pytest.mark.parametrize("password", [
    "1234567890", "qwertyuiop", "password123", "aaaaaaaaaaaa", "abcdefghijkl", "Password2024!",
    "matkhau123456", "hailong2026", "lanlanlan123",
])
def test_common_and_trivial_passwords_are_refused(password: str) -> None:
    with pytest.raises(BadInput) as refused:
        check_password(password, words=("lanlanlan",))
    assert "dễ đoán" in refused.value.vi and "easy to guess" in refused.value.en


@pytest.mark.parametrize("password", [PASSWORD, "ngựa đỏ ăn cỏ bên sông", "correct horse battery staple"])
def test_long_phrases_pass(password: str) -> None:
    check_password(password)


async def test_users_cannot_be_created_with_a_weak_password(db, now) -> None:
    with pytest.raises(BadInput):
        await create_user(db, username="lan", password="1234567890", role="admin", agency_code=None,
                          actor="test", now=now)
