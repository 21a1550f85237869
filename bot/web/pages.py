"""Page plumbing shared by the survey and the kiosk: language, CSRF, bounded forms, rendering."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import BodyPartReader, web
from multidict import MultiDictProxy

from bot.web.keys import TEMPLATES
from bot.web.texts import LANGUAGES, TEXTS, both, translate

CSRF_COOKIE, CSRF_FIELD, LANG_COOKIE = "hl_csrf", "_csrf", "hl_lang"
MAX_BODY = 16 * 1024  # a survey form is a few fields; anything bigger is refused before parsing


class FormRefused(Exception):
    """A post that must change nothing: its text key says why, its status how."""

    def __init__(self, key: str, status: int) -> None:
        super().__init__(key)
        self.key, self.status = key, status


def page_lang(request: web.Request) -> str:
    """`?lang=` first, then the language cookie, else Vietnamese."""
    lang = request.query.get("lang") or request.cookies.get(LANG_COOKIE, "vi")
    return lang if lang in LANGUAGES else "vi"


def csrf_of(request: web.Request) -> str:
    """The browser's CSRF token (double-submit cookie), or a new one for `render` to set."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 64 else secrets.token_urlsafe(24)


def check_readable(form: MultiDictProxy[Any]) -> None:
    """FormRefused("bad_form") for a NUL character in a field: no person types one, and PostgreSQL
    can store none (the insert or the look-up would fail)."""
    if any("\x00" in key or (isinstance(value, str) and "\x00" in value) for key, value in form.items()):
        raise FormRefused("bad_form", 400)


async def multipart_fields(request: web.Request) -> AsyncIterator[tuple[BodyPartReader, str | None]]:
    """Each field part of a multipart body with the CSRF token when it is that field (nested
    multiparts are skipped); every part is released, read or not, so the body is read to its end:
    for bodies whose length the caller has bounded (the import's upload drains its own, up to a limit)."""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader):
            csrf = (await part.read_chunk(512)).decode("utf-8", "replace") if part.name == CSRF_FIELD else None
            yield part, csrf
        await part.release()


async def read_form(request: web.Request) -> MultiDictProxy[str]:
    """The posted form after the size and CSRF checks; FormRefused otherwise."""
    if request.content_length is None or request.content_length > MAX_BODY:
        raise FormRefused("too_big", 413)
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise FormRefused("too_big", 413) from None
    except ValueError:  # not UTF-8, a broken multipart body …: nothing to read, nothing done
        raise FormRefused("bad_form", 400) from None
    check_readable(form)
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), str(form.get(CSRF_FIELD, ""))
    # A forged cross-site post can neither read the cookie nor set it (SameSite=Strict).
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise FormRefused("forged", 403)
    return form  # type: ignore[return-value]


def render(request: web.Request, name: str, *, status: int = 200, **context: object) -> web.Response:
    """A template in the page's language, with the CSRF token and language remembered."""
    lang, csrf = page_lang(request), csrf_of(request)
    html = request.app[TEMPLATES].get_template(name).render(
        lang=lang, csrf=csrf, csrf_field=CSRF_FIELD, path=request.path,
        t=lambda key, **v: translate(key, lang, **v), **context,
    )
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Strict", path="/")
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="Lax", path="/", max_age=86400 * 30)
    return response


def message_page(request: web.Request, key: str, *, status: int = 200, refresh: str | None = None,
                 kiosk: bool = False, home: str | None = None) -> web.Response:
    """A page that only says something (thank you, unknown link, closed, refused), vi then en;
    `home` (a kiosk's code screen) adds a button back to it."""
    title_key = f"{key}_title" if f"{key}_title" in TEXTS else key
    return render(request, "message.html", status=status, key=key, title=both(title_key),
                  text=both(key), refresh=refresh, kiosk=kiosk, home=home)
