"""Managing staff accounts from the admin pages: who may do what to whom, and the audit of each change.

- admin: every user, every role, every agency;
- manager: users of the agencies it sees, roles manager/staff/viewer only, never an admin, never
  its own role or agency;
- nobody disables itself, and the last active admin cannot be disabled or given another role.
Disabling or a new password ends every session of that user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.common.errors import BadInput, HailongError
from bot.office.accounts import (
    ROLES,
    Principal,
    agency_and_officer,
    create_user,
    set_password,
    sign_in_delays,
    unlock_sign_in,
)
from storage import (
    Agency,
    Database,
    User,
    audit,
    close_web_sessions,
    count_active_admins,
    find_agency,
    get_user,
    list_agencies,
    list_officers,
    list_users,
    update_user,
)
from storage.errors import NotFound

MANAGER_ROLES = ("manager", "staff", "viewer")


class NotAllowed(HailongError):
    """A change this user may not make (the page answers 403)."""

    code = "not_allowed"


@dataclass(frozen=True, slots=True)
class UserRow:
    """One line of the users page."""

    id: int
    username: str
    display_name: str
    role: str
    agency_code: str | None
    agency_name: str | None
    officer_code: str | None
    active: bool
    last_sign_in_at: datetime | None


def roles_for(who: Principal) -> tuple[str, ...]:
    """The roles this user may give."""
    return ROLES if who.role == "admin" else MANAGER_ROLES


async def visible_agencies(db: Database, who: Principal) -> list[Agency]:
    """The agencies this user may pick (all for an admin)."""
    async with db.transaction() as s:
        return [a for a in await list_agencies(s) if who.sees(a.id)]


async def visible_users(db: Database, who: Principal) -> list[UserRow]:
    """The users this user may see, by username."""
    async with db.transaction() as s:
        agencies = {a.id: a for a in await list_agencies(s)}
        users = await list_users(s, who.agencies)
        officers = {o.id: o.code for o in await list_officers(s, who.agencies)}
    return [UserRow(u.id, u.username, u.display_name, u.role, _code(agencies, u.agency_id),
                    agencies[u.agency_id].name if u.agency_id in agencies else None, officers.get(u.officer_id or 0),
                    u.active, u.last_sign_in_at) for u in users]


def _code(agencies: dict[int, Agency], agency_id: int | None) -> str | None:
    return agencies[agency_id].code if agency_id in agencies else None


async def user_of(db: Database, who: Principal, user_id: int) -> UserRow:
    """One user this user may see; NotAllowed for a user of another agency, BadInput when unknown."""
    for row in await visible_users(db, who):
        if row.id == user_id and (who.role == "admin" or row.role != "admin"):
            return row
    async with db.transaction() as s:
        try:
            await get_user(s, user_id)
        except NotFound:
            raise BadInput("Không có người dùng này.", "There is no such user.") from None
    raise NotAllowed("Bạn không được quản lý người dùng này.", "You may not manage this user.")


async def _agency_allowed(db: Database, who: Principal, role: str, agency_code: str | None) -> None:
    if role not in roles_for(who):
        raise NotAllowed(f"Bạn không được giao vai trò {role}.", f"You may not give the role {role}.")
    if who.role == "admin" or not agency_code:
        return
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
    if agency is not None and not who.sees(agency.id):
        raise NotAllowed(f"Bạn không quản lý cơ quan {agency_code}.", f"You do not manage agency {agency_code}.")


async def add_user(db: Database, who: Principal, *, username: str, display_name: str, role: str,
                   agency_code: str | None, officer_code: str | None, password: str, now: datetime) -> int:
    """A new user, within what this user may give (the password is hashed at once, never kept)."""
    await _agency_allowed(db, who, role, agency_code)
    if role == "admin":
        agency_code = officer_code = None  # an admin sees every agency
    return await create_user(db, username=username, password=password, role=role, agency_code=agency_code or None,
                             officer_code=officer_code or None, display_name=display_name or None,
                             actor=who.actor, now=now)


async def change_user(db: Database, who: Principal, user_id: int, *, display_name: str, role: str,
                      agency_code: str | None, officer_code: str | None, now: datetime) -> list[str]:
    """Change a user's name, role, agency and officer; the names of what changed (audited as user.role)."""
    target = await user_of(db, who, user_id)
    await _agency_allowed(db, who, role, agency_code)
    if target.id == who.user_id and (role != target.role or (agency_code or None) != target.agency_code):
        raise NotAllowed("Bạn không thể tự đổi vai trò hoặc cơ quan của mình.",
                         "You cannot change your own role or agency.")
    if role != "admin" and not agency_code:
        raise BadInput("Người dùng không phải quản trị cần có cơ quan.", "A user who is not an admin needs an agency.")
    if role not in ROLES:
        raise BadInput(f"Không có vai trò {role}.", f"There is no role {role}.")
    async with db.transaction() as s:
        user = await get_user(s, user_id)
        if user.role == "admin" and role != "admin" and user.active and await count_active_admins(s) <= 1:
            raise NotAllowed("Không thể bỏ vai trò của quản trị viên cuối cùng.",
                             "The last active admin cannot be given another role.")
        agency_id, officer_id = (None, None) if role == "admin" else await agency_and_officer(
            s, str(agency_code), officer_code)
        new = {"display_name": (display_name.strip() or user.username)[:255], "role": role,
               "agency_id": agency_id, "officer_id": officer_id}
        old = {"display_name": user.display_name, "role": user.role, "agency_id": user.agency_id,
               "officer_id": user.officer_id}
        changed = sorted(k for k in new if new[k] != old[k])
        if changed:
            await update_user(s, user.id, **new)
            await audit(s, actor=who.actor, action="user.role", subject=f"user:{user.username}", now=now,
                        detail={"changed": changed, "role": [user.role, role],
                                "agency": [target.agency_code, agency_code if role != "admin" else None]})
        if {"role", "agency_id"} & set(changed):
            await close_web_sessions(s, user_id=user.id)  # the next request signs in with the new rights
    return changed


async def set_active(db: Database, who: Principal, user_id: int, active: bool, *, now: datetime) -> None:
    """Disable (every session ends at once) or enable a user."""
    target = await user_of(db, who, user_id)
    if target.id == who.user_id:
        raise NotAllowed("Bạn không thể tự khoá tài khoản của mình.", "You cannot disable your own account.")
    async with db.transaction() as s:
        user: User = await get_user(s, user_id)
        if user.active == active:
            return
        if not active and user.role == "admin" and await count_active_admins(s) <= 1:
            raise NotAllowed("Không thể khoá quản trị viên cuối cùng.", "The last active admin cannot be disabled.")
        await update_user(s, user.id, active=active)
        if not active:
            await close_web_sessions(s, user_id=user.id)
        await audit(s, actor=who.actor, action="user.enable" if active else "user.disable",
                    subject=f"user:{user.username}", now=now)


async def reset_password(db: Database, who: Principal, user_id: int, password: str, *, now: datetime) -> None:
    """A new password for a user this user manages (its sessions end)."""
    target = await user_of(db, who, user_id)
    await set_password(db, target.username, password, actor=who.actor, now=now)


async def sign_in_waits(db: Database, who: Principal, user_id: int, *, now: datetime) -> int:
    """From how many addresses a user this user manages is made to wait before signing in."""
    target = await user_of(db, who, user_id)
    return await sign_in_delays(db, target.username, now=now)


async def unlock_user(db: Database, who: Principal, user_id: int, *, now: datetime) -> int:
    """Forget a managed user's failed sign-ins (audited as sign_in.unlock); how many addresses waited."""
    target = await user_of(db, who, user_id)
    return await unlock_sign_in(db, target.username, actor=who.actor, now=now)
