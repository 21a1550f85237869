"""Staff sign-in and the rules every staff/admin page follows.

- `/staff/...` and `/admin/...` requests carry a session cookie (HttpOnly, SameSite=Lax, Secure
  behind https); the middleware turns it into `request["principal"]` (bot.accounts.Principal).
- Views declare who may use them with `@require("manager", ...)` (admin always may); a missing
  or expired session goes to the sign-in page (GET) or gets 401 (anything else), a role that may
  not gets 403.
- Data of another agency is refused with 403 through `ensure_sees`, whether it was reached by the
  UI or by typing a URL.
- Every staff form carries the session's CSRF token: `read_staff_form` refuses a post without it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from functools import wraps
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from bot.office.accounts import ROLE_NAMES, Principal, SignInRefused, principal_of, sign_in, sign_out
from bot.web.keys import DATABASE, SETTINGS, TEMPLATES
from bot.web.pages import CSRF_FIELD, FormRefused, check_readable, page_lang, read_form, render
from bot.web.security import client_address
from bot.web.texts import translate

SESSION_COOKIE = "hl_staff"
PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal", Principal | None)  # type: ignore[arg-type]
STAFF_PREFIXES = ("/staff", "/admin")
MAX_FORM = 256 * 1024  # a flow's YAML is the largest form (uploads read their own limit)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()

#: The staff navigation: (path, text key, roles that see it; admin sees all).
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/staff/desk", "nav_desk", ("manager", "staff")),
    ("/staff/imports", "nav_imports", ("manager",)),
    ("/staff/kiosks", "nav_kiosks", ("manager",)),
    ("/staff/reports", "nav_reports", ("manager", "viewer")),
    ("/staff/scores", "nav_scores", ("manager", "viewer")),
    ("/staff/complaints", "nav_complaints", ("manager", "staff", "viewer")),
    ("/admin/flows", "nav_flows", ()),
    ("/admin/schema", "nav_schema", ()),
    ("/admin/settings", "nav_settings", ("manager",)),
    ("/admin/users", "nav_users", ("manager",)),
    ("/admin/audit", "nav_audit", ()),
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@web.middleware
async def staff_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who a staff request acts for (None when not signed in); nothing for other paths."""
    if request.path.startswith(STAFF_PREFIXES):
        settings = request.app[SETTINGS]
        token = request.cookies.get(SESSION_COOKIE, "")
        request[PRINCIPAL] = await principal_of(request.app[DATABASE], token, now=_now(),
                                                minutes=settings.staff_session_minutes) if token else None
        try:
            return await handler(request)
        except FormRefused as refusal:  # read_staff_form's refusals: a page that says why, nothing done
            return refused(request, refusal.key, refusal.status)
    return await handler(request)


def current(request: web.Request) -> Principal | None:
    """The signed-in user of this request, or None."""
    return request.get(PRINCIPAL)


def signed_in_user(request: web.Request) -> Principal:
    """The signed-in user of a view behind `@require` (which has already refused everyone else)."""
    who = current(request)
    if who is None:
        raise web.HTTPUnauthorized()
    return who


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Let a view run only for a signed-in user of one of these roles (admin always)."""
    def decorate(view: Handler) -> Handler:
        @wraps(view)
        async def guarded(request: web.Request) -> web.StreamResponse:
            who = current(request)
            if who is None:
                return _signed_out(request)
            if not who.may(*roles):
                return refused(request, "forbidden", 403)
            return await view(request)
        return guarded
    return decorate


def _signed_out(request: web.Request) -> web.StreamResponse:
    had_cookie = bool(request.cookies.get(SESSION_COOKIE))
    if request.method in ("GET", "HEAD"):
        target = "/staff/login?next=" + quote(request.path_qs, safe="") + ("&expired=1" if had_cookie else "")
        raise web.HTTPSeeOther(target)
    return refused(request, "session_expired" if had_cookie else "signed_out", 401)


def ensure_sees(request: web.Request, agency_id: int | None) -> None:
    """403 unless the signed-in user may see this agency's data."""
    who = current(request)
    if who is None or not who.sees(agency_id):
        raise web.HTTPForbidden(text=_refusal_html(request, "forbidden"), content_type="text/html")


def check_csrf(request: web.Request, sent: str) -> None:
    """FormRefused("forged") unless `sent` is this session's CSRF token."""
    who = current(request)
    if who is None or not sent or not hmac.compare_digest(who.csrf.encode(), sent.encode()):
        raise FormRefused("forged", 403)


async def read_staff_form(request: web.Request, *, max_body: int = MAX_FORM) -> MultiDictProxy[str]:
    """A posted staff form after the size check and the session's CSRF check; FormRefused otherwise
    (the middleware turns it into the refusal page, so views just call this)."""
    if request.content_length is None or request.content_length > max_body:
        raise FormRefused("too_big", 413)
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise FormRefused("too_big", 413) from None
    except ValueError:  # not UTF-8, a broken multipart body …: nothing to read, nothing done
        raise FormRefused("bad_form", 400) from None
    check_readable(form)
    check_csrf(request, str(form.get(CSRF_FIELD, "")))
    return form  # type: ignore[return-value]


def _page_context(request: web.Request) -> dict[str, Any]:
    """What every staff template gets: language, user, navigation, CSRF token, `t` and `role_name`."""
    who = current(request)
    lang = page_lang(request)
    return dict(
        lang=lang, csrf=who.csrf if who else "", csrf_field=CSRF_FIELD, path=request.path, who=who,
        nav=[(path, key) for path, key, roles in NAV if who is not None and who.may(*roles)],
        role_name=lambda role: ROLE_NAMES.get(role, (role, role))[0 if lang == "vi" else 1],
        t=lambda key, **v: translate(key, lang, **v),
    )


def staff_render(request: web.Request, name: str, *, status: int = 200, **context: Any) -> web.Response:
    """A staff page: the template with the user, the navigation and the session's CSRF token."""
    html = request.app[TEMPLATES].get_template(name).render(**_page_context(request), **context)
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _refusal_html(request: web.Request, key: str) -> str:
    return request.app[TEMPLATES].get_template("staff_message.html").render(
        **_page_context(request), key=key,
        title=(translate(f"{key}_title", "vi"), translate(f"{key}_title", "en")),
        text=(translate(key, "vi"), translate(key, "en")),
    )


def refused(request: web.Request, key: str, status: int) -> web.Response:
    """A page that says, in Vietnamese then English, why nothing happened."""
    return web.Response(text=_refusal_html(request, key), content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store"})


def _safe_next(target: str) -> str:
    """Only a path of this site (never //host or a full URL) after sign-in."""
    return target if target.startswith(("/staff", "/admin")) and not target.startswith("//") else "/staff"


@routes.get("/staff/login", name="staff_login")
async def login_page(request: web.Request) -> web.Response:
    """The sign-in form (a signed-in user goes straight on)."""
    if current(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next", "/staff")))
    notice = "session_expired" if request.query.get("expired") else None
    return render(request, "staff_login.html", next=_safe_next(request.query.get("next", "/staff")),
                  notice=notice, error=None, username="")


@routes.post("/staff/login")
async def login(request: web.Request) -> web.Response:
    """Check the password; on success set the session cookie and go on."""
    try:
        form = await read_form(request)
    except FormRefused as refusal:
        return render(request, "staff_login.html", status=refusal.status, next="/staff", notice=None,
                      error=translate(refusal.key, page_lang(request)), username="")
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:256]
    target = _safe_next(str(form.get("next", "/staff")))
    settings = request.app[SETTINGS]
    try:
        token = await sign_in(request.app[DATABASE], username=username, password=password,
                              address=client_address(request), now=_now(), minutes=settings.staff_session_minutes)
    except SignInRefused as refusal:
        lang = page_lang(request)
        return render(request, "staff_login.html", status=429 if refusal.reason == "throttled" else 401,
                      next=target, notice=None, username=username,
                      error=refusal.vi if lang == "vi" else refusal.en)
    response = web.HTTPSeeOther(target)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=settings.public_url.startswith("https://"))
    raise response


@routes.post("/staff/logout", name="staff_logout")
@require("manager", "staff", "viewer")
async def logout(request: web.Request) -> web.Response:
    """End this session (CSRF-checked, so another site cannot sign a user out)."""
    await read_staff_form(request)
    who = signed_in_user(request)
    await sign_out(request.app[DATABASE], request.cookies.get(SESSION_COOKIE, ""), actor=who.actor, now=_now())
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/staff", name="staff_home")
@require("manager", "staff", "viewer")
async def staff_home(request: web.Request) -> web.Response:
    """Where a signed-in user starts: the pages of its role."""
    return staff_render(request, "staff_home.html")
