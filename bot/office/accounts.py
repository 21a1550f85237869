"""Staff accounts: Argon2 passwords, roles scoped by agency, sign-in with throttling, sessions.

A `Principal` is who a request acts for. Roles:
- admin: everything, every agency;
- manager: its own agency and that agency's units; settings, flows, users of those agencies;
- staff: look up and trigger surveys at its own agency (its desk), nothing else;
- viewer: reports of its own agency and units only.
A role the code does not know (a hand-edited row) signs nobody in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn

from bot.common.errors import BadInput, HailongError
from storage import (
    Database,
    add_user,
    agency_tree,
    audit,
    clear_sign_in_failures,
    close_web_sessions,
    find_agency,
    find_officer,
    find_user,
    find_web_session,
    open_web_session,
    record_sign_in_failure,
    sign_in_failure_keys,
    sign_in_failure_span,
    sign_in_failures,
    touch_web_session,
    update_user,
)

ROLES = ("admin", "manager", "staff", "viewer")
ROLE_NAMES = {
    "admin": ("Quản trị hệ thống", "Administrator"),
    "manager": ("Lãnh đạo/quản lý cơ quan", "Agency manager"),
    "staff": ("Cán bộ tiếp nhận", "Reception staff"),
    "viewer": ("Xem báo cáo", "Report viewer"),
}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10
#: zxcvbn's score (0–4) a password needs: 3 is "safely unguessable" (about 10^8 guesses or more); it
#: refuses the common-password lists, keyboard walks, repeats, sequences, dates and words of our own.
MIN_STRENGTH = 3
OWN_WORDS = ("hailong", "hài lòng", "hai long", "matkhau", "mật khẩu", "quantri", "admin", "demo")
#: Sign-in throttling per username + client address, so a stranger's failures never lock a person out:
#: FREE_TRIES failures, then a wait after each further failure of FIRST_DELAY, doubling up to MAX_DELAY;
#: failures are remembered for PAIR_WINDOW (a good sign-in or a manager's unlock forgets them).
FREE_TRIES, FIRST_DELAY, MAX_DELAY, PAIR_WINDOW = 5, timedelta(minutes=1), timedelta(minutes=30), timedelta(hours=24)
#: Failed sign-ins allowed per client address, whatever the username (one address guessing many names).
ADDRESS_LIMIT, THROTTLE_WINDOW = 30, timedelta(minutes=15)
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class SignInRefused(HailongError):
    """A sign-in that did not happen: `reason` is "wrong" or "throttled"."""

    def __init__(self, reason: str, minutes: int = 0) -> None:
        self.reason, self.minutes = reason, minutes
        if reason == "throttled":
            super().__init__(f"Đăng nhập sai quá nhiều lần. Xin thử lại sau {minutes} phút.",
                             f"Too many failed sign-ins. Please try again in {minutes} minutes.")
        else:
            super().__init__("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password.")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: the user, the role, and the agencies it may see (None: all)."""

    user_id: int
    username: str
    display_name: str
    role: str
    agency_id: int | None
    agencies: frozenset[int] | None
    officer_id: int | None
    csrf: str

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return f"user:{self.username}"

    def may(self, *roles: str) -> bool:
        """Whether the role is one of these (admin may everything)."""
        return self.role == "admin" or self.role in roles

    def sees(self, agency_id: int | None) -> bool:
        """Whether data of this agency is visible to this user."""
        return self.agencies is None or (agency_id is not None and agency_id in self.agencies)


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (the only form that is ever stored)."""
    return _hasher.hash(password)


def check_password(password: str, *, words: tuple[str, ...] = ()) -> None:
    """Refuse a password too short, common or trivial (zxcvbn, with the username and our own words as
    inputs it must not lean on); BadInput with the rule."""
    if len(password) < MIN_PASSWORD or password.strip() != password or len(password) > 256:
        raise BadInput(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự, không bắt đầu/kết thúc bằng khoảng trắng.",
                       f"A password needs at least {MIN_PASSWORD} characters, without leading or trailing spaces.")
    inputs = [w for w in (*OWN_WORDS, *words) if w]
    # zxcvbn refuses more than 72 characters; a longer password is judged by its first 72.
    if zxcvbn(password[:72], user_inputs=inputs)["score"] < MIN_STRENGTH:
        raise BadInput("Mật khẩu quá dễ đoán (mật khẩu phổ biến, dãy phím, lặp lại, ngày tháng hoặc tên). "
                       "Xin dùng một câu dài gồm vài từ không liên quan.",
                       "This password is too easy to guess (a common password, a keyboard pattern, a repeat, a date "
                       "or a name). Please use a long phrase of a few unrelated words.")


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(db: Database, *, username: str, password: str, role: str, agency_code: str | None,
                      officer_code: str | None = None, display_name: str | None = None, actor: str,
                      now: datetime) -> int:
    """A new user; BadInput for a bad name, role, agency, officer, a short password or a taken name."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise BadInput("Tên đăng nhập gồm 3–64 chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.",
                       "A username is 3–64 lower-case letters, digits, dots, hyphens or underscores.")
    if role not in ROLES:
        raise BadInput(f"Vai trò {role!r} không có; chọn một trong: {', '.join(ROLES)}.",
                       f"There is no role {role!r}; choose one of: {', '.join(ROLES)}.")
    if role != "admin" and not agency_code:
        raise BadInput("Người dùng không phải quản trị cần có cơ quan (--agency).",
                       "A user who is not an admin needs an agency (--agency).")
    check_password(password, words=(username, display_name or ""))
    hashed = hash_password(password)
    async with db.transaction() as s:
        agency_id, officer_id = await agency_and_officer(s, agency_code, officer_code)
        if await find_user(s, username) is not None:
            raise BadInput(f"Tên đăng nhập {username} đã có người dùng.", f"The username {username} is taken.")
        user = await add_user(s, username=username, display_name=display_name or username, password_hash=hashed,
                              role=role, agency_id=agency_id, officer_id=officer_id, now=now)
        await audit(s, actor=actor, action="user.add", subject=f"user:{username}", now=now,
                    detail={"role": role, "agency": agency_code})
        return user.id


async def agency_and_officer(s: AsyncSession, agency_code: str | None,
                             officer_code: str | None) -> tuple[int | None, int | None]:
    """The ids of a user's agency and officer by their codes (None, None without an agency); BadInput
    for a code that names nothing."""
    if not agency_code:
        return None, None
    agency = await find_agency(s, agency_code)
    if agency is None:
        raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
    if not officer_code:
        return agency.id, None
    officer = await find_officer(s, agency.id, officer_code)
    if officer is None:
        raise BadInput(f"Cơ quan {agency_code} không có cán bộ {officer_code}.",
                       f"Agency {agency_code} has no officer {officer_code}.")
    return agency.id, officer.id


def pair_key(username: str, address: str) -> str:
    """The throttling key of one username from one client address."""
    return f"user:{username}@{address}"[:128]


def pair_delay(failures: int) -> timedelta:
    """How long a username + address waits after its last failure, given how many it has had."""
    if failures < FREE_TRIES:
        return timedelta(0)
    delay: timedelta = min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_TRIES))
    return delay


async def sign_in(db: Database, *, username: str, password: str, address: str, now: datetime,
                  minutes: int) -> str:
    """A new session token for a right username and password; SignInRefused otherwise.

    Failures count per username + client address (growing delay after FREE_TRIES) and per address
    (ADDRESS_LIMIT in THROTTLE_WINDOW); while a wait runs every attempt is refused, right password
    or not, so guessing gains nothing. Nobody's failures delay the same user at another address.
    """
    username = username.strip().lower()[:64]
    pair, ip = pair_key(username, address), f"ip:{address}"[:128]
    async with db.transaction() as s:
        failures, last = await sign_in_failure_span(s, pair, now - PAIR_WINDOW)
        wait = (last + pair_delay(failures) - now) if last is not None and failures >= FREE_TRIES else timedelta(0)
        count, first = await sign_in_failures(s, ip, now - THROTTLE_WINDOW)
        if count >= ADDRESS_LIMIT and first is not None:
            wait = max(wait, first + THROTTLE_WINDOW - now)
        if wait > timedelta(0):
            await audit(s, actor=f"ip:{address}", action="sign_in.throttled", subject=f"user:{username}", now=now,
                        detail={"failures": failures, "wait_seconds": int(wait.total_seconds())})
        user = await find_user(s, username) if wait <= timedelta(0) else None
    if wait > timedelta(0):
        raise SignInRefused("throttled", max(1, -(-int(wait.total_seconds()) // 60)))
    ok = _verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    if user is None or not ok or not user.active or user.role not in ROLES:
        async with db.transaction() as s:  # committed: the refusal below must not roll it back
            await record_sign_in_failure(s, [pair, ip], now)
            await audit(s, actor=f"ip:{address}", action="sign_in.failed", subject=f"user:{username}", now=now)
        raise SignInRefused("wrong")
    async with db.transaction() as s:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await clear_sign_in_failures(s, [pair])
        await clear_sign_in_failures(s, [], before=now - PAIR_WINDOW)  # housekeeping: anyone's old failures
        await close_web_sessions(s, before=now)  # housekeeping: expired sessions of anyone
        await open_web_session(s, user_id=user.id, token_hash=token_hash(token), csrf=csrf, now=now,
                               expires_at=now + timedelta(minutes=minutes))
        if _hasher.check_needs_rehash(user.password_hash):
            await update_user(s, user.id, password_hash=hash_password(password))
        await audit(s, actor=f"user:{username}", action="sign_in", subject=f"user:{username}", now=now,
                    detail={"address": address})
    return token


async def sign_in_delays(db: Database, username: str, *, now: datetime) -> int:
    """From how many client addresses this username is being made to wait now."""
    async with db.transaction() as s:
        keys = await sign_in_failure_keys(s, f"user:{username}@", now - PAIR_WINDOW)
        waiting = 0
        for key in keys:
            failures, last = await sign_in_failure_span(s, key, now - PAIR_WINDOW)
            waiting += failures >= FREE_TRIES and last is not None and last + pair_delay(failures) > now
    return waiting


async def unlock_sign_in(db: Database, username: str, *, actor: str, now: datetime) -> int:
    """Forget a username's failed sign-ins from every address (a manager's unlock); how many addresses."""
    async with db.transaction() as s:
        keys = await sign_in_failure_keys(s, f"user:{username}@", now - PAIR_WINDOW)
        if keys:
            await clear_sign_in_failures(s, list(keys))
        await audit(s, actor=actor, action="sign_in.unlock", subject=f"user:{username}", now=now,
                    detail={"addresses": len(keys)})
    return len(keys)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def principal_of(db: Database, token: str, *, now: datetime, minutes: int) -> Principal | None:
    """Who a session token signs in, sliding its expiry; None for an unknown, expired or disabled one,
    and for a role the code does not know."""
    if not token or len(token) > 128:
        return None
    async with db.transaction() as s:
        found = await find_web_session(s, token_hash(token), now)
        if found is None:
            return None
        session, user = found
        if user.role not in ROLES:
            return None
        if session.seen_at < now - timedelta(seconds=60):  # write at most once a minute per session
            await touch_web_session(s, session.id, now=now, expires_at=now + timedelta(minutes=minutes))
        agencies = None if user.role == "admin" else (
            await agency_tree(s, user.agency_id) if user.agency_id is not None else frozenset())
        if user.role == "staff" and user.agency_id is not None:
            agencies = frozenset({user.agency_id})  # the desk: its own agency, not the units below
    return Principal(user.id, user.username, user.display_name, user.role, user.agency_id, agencies,
                     user.officer_id, session.csrf)


async def sign_out(db: Database, token: str, *, actor: str, now: datetime) -> None:
    """End one session."""
    async with db.transaction() as s:
        await close_web_sessions(s, token_hash=token_hash(token))
        await audit(s, actor=actor, action="sign_out", subject=actor, now=now)


async def set_password(db: Database, username: str, password: str, *, actor: str, now: datetime) -> None:
    """A new password for a user; every session of that user ends."""
    check_password(password, words=(username,))
    hashed = hash_password(password)
    async with db.transaction() as s:
        user = await find_user(s, username.strip().lower())
        if user is None:
            raise BadInput(f"Không có người dùng {username}.", f"There is no user {username}.")
        await update_user(s, user.id, password_hash=hashed)
        await close_web_sessions(s, user_id=user.id)
        await audit(s, actor=actor, action="user.password", subject=f"user:{user.username}", now=now)
