"""Staff accounts: users with a role and an agency, their signed-in sessions, failed sign-ins.

Storage keeps only what it is given: a password arrives already hashed (Argon2, in bot/), a
session token arrives as its SHA-256 hash. Nothing here can tell a password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.errors import NotFound
from storage.tables import Agency, Base


class User(Base):
    """A staff member: admin (all), manager (own agency and its units), staff (own desk), viewer."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its hash."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class SignInFailure(Base):
    """One failed sign-in, by the key it counts against ("user:<name>" or "ip:<address>")."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]


async def add_user(
    s: AsyncSession, *, username: str, display_name: str, password_hash: str, role: str,
    agency_id: int | None, officer_id: int | None, now: datetime,
) -> User:
    """A new user (the caller checks the username is free: the unique key refuses a second one)."""
    user = User(username=username, display_name=display_name, password_hash=password_hash, role=role,
                agency_id=agency_id, officer_id=officer_id, active=True, created_at=now)
    s.add(user)
    await s.flush()
    return user


async def find_user(s: AsyncSession, username: str) -> User | None:
    """The user with this username (already lower-cased by the caller), or None."""
    return (await s.scalars(select(User).where(User.username == username))).one_or_none()


async def get_user(s: AsyncSession, user_id: int) -> User:
    """The user with this id; NotFound otherwise."""
    user = await s.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


async def list_users(s: AsyncSession, agency_ids: frozenset[int] | None = None) -> list[User]:
    """Users, all (None) or of the given agencies, by username."""
    query = select(User).order_by(User.username)
    if agency_ids is not None:
        query = query.where(User.agency_id.in_(agency_ids))
    return list(await s.scalars(query))


async def update_user(s: AsyncSession, user_id: int, **values: object) -> None:
    """Set some columns of a user (password_hash, role, active, display_name, ...)."""
    await s.execute(update(User).where(User.id == user_id).values(**values))


async def open_web_session(
    s: AsyncSession, *, user_id: int, token_hash: str, csrf: str, now: datetime, expires_at: datetime,
) -> None:
    """Record a signed-in browser and the user's sign-in time."""
    s.add(WebSession(token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=now, seen_at=now,
                     expires_at=expires_at))
    await update_user(s, user_id, last_sign_in_at=now)
    await s.flush()


async def find_web_session(s: AsyncSession, token_hash: str, now: datetime) -> tuple[WebSession, User] | None:
    """The live session of a token hash and its (active) user; None when unknown, expired or disabled."""
    row = (await s.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash, WebSession.expires_at > now, User.active.is_(True))
    )).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def touch_web_session(s: AsyncSession, session_id: int, *, now: datetime, expires_at: datetime) -> None:
    """Slide an idle session's expiry forward."""
    await s.execute(update(WebSession).where(WebSession.id == session_id).values(seen_at=now, expires_at=expires_at))


async def close_web_sessions(s: AsyncSession, *, token_hash: str | None = None, user_id: int | None = None,
                             before: datetime | None = None) -> None:
    """Delete one session (sign-out), every session of a user, or every session expired before a time."""
    query = delete(WebSession)
    if token_hash is not None:
        query = query.where(WebSession.token_hash == token_hash)
    if user_id is not None:
        query = query.where(WebSession.user_id == user_id)
    if before is not None:
        query = query.where(WebSession.expires_at <= before)
    await s.execute(query)


async def record_sign_in_failure(s: AsyncSession, keys: list[str], now: datetime) -> None:
    """Count one failed sign-in against each key."""
    s.add_all(SignInFailure(key=key, at=now) for key in keys)
    await s.flush()


async def sign_in_failures(s: AsyncSession, key: str, since: datetime) -> tuple[int, datetime | None]:
    """How many failures a key has had since a time, and the first of them."""
    count, first = (await s.execute(
        select(func.count(), func.min(SignInFailure.at)).where(SignInFailure.key == key, SignInFailure.at > since)
    )).one()
    return int(count), first


async def sign_in_failure_span(s: AsyncSession, key: str, since: datetime) -> tuple[int, datetime | None]:
    """How many failures a key has had since a time, and the last of them."""
    count, last = (await s.execute(
        select(func.count(), func.max(SignInFailure.at)).where(SignInFailure.key == key, SignInFailure.at > since)
    )).one()
    return int(count), last


async def sign_in_failure_keys(s: AsyncSession, prefix: str, since: datetime) -> dict[str, int]:
    """The keys starting with `prefix` that have failures since a time, with their counts."""
    rows = await s.execute(
        select(SignInFailure.key, func.count()).where(SignInFailure.key.startswith(prefix, autoescape=True),
                                                      SignInFailure.at > since).group_by(SignInFailure.key))
    return {key: int(count) for key, count in rows}


async def clear_sign_in_failures(s: AsyncSession, keys: list[str], *, before: datetime | None = None) -> None:
    """Forget the failures of these keys (after a good sign-in), or every failure older than a time."""
    query = delete(SignInFailure)
    query = query.where(SignInFailure.key.in_(keys)) if keys else query.where(SignInFailure.at <= before)
    await s.execute(query)


async def agency_tree(s: AsyncSession, agency_id: int) -> frozenset[int]:
    """An agency and all its units (children, grandchildren...)."""
    parents = {id_: parent for id_, parent in await s.execute(select(Agency.id, Agency.parent_id))}
    if agency_id not in parents:
        return frozenset()
    seen, frontier = {agency_id}, [agency_id]
    while frontier:
        frontier = [a for a, p in parents.items() if p in frontier and a not in seen]
        seen.update(frontier)
    return frozenset(seen)
