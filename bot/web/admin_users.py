"""`/admin/users`: accounts (add, change role/agency, disable/enable, new password) and agencies' API keys.

Admins manage everyone; a manager manages the users of the agencies it sees and gives only the
roles manager/staff/viewer there. The rules and the audit are in bot.user_admin and bot.apikeys;
a password is passed straight on to be hashed and never shown again (not even after a mistake).
"""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from bot.common.errors import HailongError
from bot.office.apikeys import api_keys_of, create_api_key, revoke_api_key
from bot.office.audit import local_time
from bot.office.users import (
    NotAllowed,
    add_user,
    change_user,
    reset_password,
    roles_for,
    set_active,
    sign_in_waits,
    unlock_user,
    user_of,
    visible_agencies,
    visible_users,
)
from bot.web.auth import current, ensure_sees, read_staff_form, refused, require, signed_in_user, staff_render
from bot.web.keys import DATABASE
from storage import Agency, find_agency

routes = web.RouteTableDef()
DONE = ("user_added", "user_changed", "user_disabled", "user_enabled", "password_set", "key_revoked", "nothing",
        "unlocked")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _done(request: web.Request) -> str | None:
    done = request.query.get("done", "")
    return f"admin_done_{done}" if done in DONE else None


async def _list_page(request: web.Request, *, status: int = 200, error: tuple[str, str] | None = None,
                     entered: dict[str, str] | None = None) -> web.Response:
    who = signed_in_user(request)
    db = request.app[DATABASE]
    return staff_render(request, "admin_users.html", status=status, users=await visible_users(db, who),
                        agencies=await visible_agencies(db, who), roles=roles_for(who), error=error,
                        entered=entered or {}, done=_done(request), local_time=local_time)


@routes.get("/admin/users", name="admin_users")
@require("manager")
async def users_page(request: web.Request) -> web.Response:
    """Every user this user manages, and the form to add one."""
    return await _list_page(request)


@routes.post("/admin/users")
@require("manager")
async def add(request: web.Request) -> web.Response:
    """Add a user (the initial password is hashed at once)."""
    form = await read_staff_form(request, max_body=16 * 1024)
    who = signed_in_user(request)
    entered = {k: str(form.get(k, "")).strip()[:255] for k in ("username", "display_name", "role", "agency", "officer")}
    try:
        await add_user(request.app[DATABASE], who, username=entered["username"][:64],
                       display_name=entered["display_name"], role=entered["role"],
                       agency_code=entered["agency"] or None,
                       officer_code=entered["officer"] or None, password=str(form.get("password", ""))[:300],
                       now=_now())
    except HailongError as exc:
        return await _list_page(request, status=403 if isinstance(exc, NotAllowed) else 400,
                                error=(exc.vi, exc.en), entered=entered)
    raise web.HTTPSeeOther("/admin/users?done=user_added")


def _user_id(request: web.Request) -> int:
    text = request.match_info["user_id"]
    if not text.isdigit() or len(text) > 12:
        raise web.HTTPNotFound()
    return int(text)


async def _user_page(request: web.Request, user_id: int, *, status: int = 200,
                     error: tuple[str, str] | None = None) -> web.Response:
    who = signed_in_user(request)
    db = request.app[DATABASE]
    try:
        user = await user_of(db, who, user_id)
    except NotAllowed:
        return refused(request, "forbidden", 403)
    except HailongError:
        raise web.HTTPNotFound() from None
    return staff_render(request, "admin_user.html", status=status, user=user, roles=roles_for(who),
                        agencies=await visible_agencies(db, who), error=error, done=_done(request),
                        itself=user.id == who.user_id, waits=await sign_in_waits(db, who, user.id, now=_now()))


@routes.get("/admin/users/{user_id}", name="admin_user")
@require("manager")
async def user_page(request: web.Request) -> web.Response:
    """One user: change name, role, agency, officer; disable or enable; a new password."""
    return await _user_page(request, _user_id(request))


@routes.post("/admin/users/{user_id}/{what:(change|active|password|unlock)}")
@require("manager")
async def change(request: web.Request) -> web.Response:
    """One change to a user; a refused one changes nothing and says why."""
    user_id, what = _user_id(request), request.match_info["what"]
    form = await read_staff_form(request, max_body=16 * 1024)
    who, db, now = current(request), request.app[DATABASE], _now()
    assert who is not None
    try:
        if what == "change":
            changed = await change_user(db, who, user_id, display_name=str(form.get("display_name", ""))[:255],
                                        role=str(form.get("role", "")), agency_code=str(form.get("agency", "")) or None,
                                        officer_code=str(form.get("officer", "")).strip()[:64] or None, now=now)
            done = "user_changed" if changed else "nothing"
        elif what == "active":
            active = str(form.get("active", "")) == "1"
            await set_active(db, who, user_id, active, now=now)
            done = "user_enabled" if active else "user_disabled"
        elif what == "unlock":
            await unlock_user(db, who, user_id, now=now)
            done = "unlocked"
        else:
            await reset_password(db, who, user_id, str(form.get("password", ""))[:300], now=now)
            done = "password_set"
    except HailongError as exc:
        return await _user_page(request, user_id, status=403 if isinstance(exc, NotAllowed) else 400,
                                error=(exc.vi, exc.en))
    if what == "password" and user_id == who.user_id:
        raise web.HTTPSeeOther("/staff/login")  # a new password ends one's own sessions too
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?done={done}")


async def _agency(request: web.Request) -> Agency:
    async with request.app[DATABASE].transaction() as s:
        agency = await find_agency(s, request.match_info["code"][:64])
    if agency is None:
        raise web.HTTPNotFound()
    ensure_sees(request, agency.id)
    return agency


@routes.get("/admin/agencies/{code}/api-keys", name="admin_api_keys")
@require("manager")
async def api_keys_page(request: web.Request) -> web.Response:
    """An agency's API keys: label, created, last characters (never the key), revoke; a new one."""
    agency = await _agency(request)
    return staff_render(request, "admin_api_keys.html", agency=agency, keys=api_keys_of(agency.settings),
                        key=None, done=_done(request))


@routes.post("/admin/agencies/{code}/api-keys")
@require("manager")
async def api_key_create(request: web.Request) -> web.Response:
    """A new key, shown on this answer only (it is stored as its hash)."""
    agency = await _agency(request)
    form = await read_staff_form(request, max_body=4096)
    who = signed_in_user(request)
    label = " ".join(str(form.get("label", "")).split())[:64] or "web"
    key = await create_api_key(request.app[DATABASE], agency.code, label=label, now=_now(), actor=who.actor)
    agency = await _agency(request)
    return staff_render(request, "admin_api_keys.html", agency=agency, keys=api_keys_of(agency.settings),
                        key=key, done=None)


@routes.post("/admin/agencies/{code}/api-keys/{kid}/revoke")
@require("manager")
async def api_key_revoke(request: web.Request) -> web.Response:
    """Revoke one key: API calls with it are refused from now on."""
    agency = await _agency(request)
    await read_staff_form(request, max_body=4096)
    who = signed_in_user(request)
    if not await revoke_api_key(request.app[DATABASE], agency.id, request.match_info["kid"][:64], actor=who.actor,
                                now=_now()):
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(f"/admin/agencies/{agency.code}/api-keys?done=key_revoked")
