"""Security headers on every answer, Secure cookies behind https, and 405 for a wrong method.

- Every response (pages, JSON, static files, errors, the ones aiohttp makes itself) gets a
  Content-Security-Policy without inline script or style (`CSP`: scripts and styles only from
  /static, no plugins, no <base>, forms only to this site, never framed), X-Frame-Options DENY,
  X-Content-Type-Options nosniff, Referrer-Policy no-referrer (survey links carry their token in
  the address) and, when HAILONG_PUBLIC_URL is https, Strict-Transport-Security; and every cookie
  it sets is marked Secure there. This runs in `on_response_prepare`, after aiohttp has written the
  cookies into the headers and just before they are sent, so no view can forget it.
- `client_address`: the client's address for throttling: the peer, or, when the peer is one of
  HAILONG_TRUSTED_PROXIES, the last X-Forwarded-For hop that is not a trusted proxy.
- `method_middleware`: a path that exists for other methods answers 405 with an Allow header, also
  where a catch-all route (API v1's JSON 404) would otherwise take it; JSON under /api/, the
  bilingual text elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from bot.web.keys import SETTINGS
from bot.web.texts import both

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",  # QR codes as data: URIs; officers' photos may live on the agency's site
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
_SECURE = re.compile(r";\s*secure\s*(;|$)", re.IGNORECASE)


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip())


def _trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: web.Request) -> str:
    """Who is asking, for throttling: the peer, or behind a trusted proxy the client it names."""
    peer = request.remote or "?"
    networks = _networks(request.app[SETTINGS].trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
    for hop in reversed(hops):  # each proxy appends; the first untrusted one from the right is the client
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a hop that is no address: count the proxy, never a made-up text
    return peer


def secure_cookie(header: str) -> str:
    """A Set-Cookie value with the Secure attribute (unchanged when it has it)."""
    return header if _SECURE.search(header) else f"{header}; Secure"


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the headers above on every response; Secure cookies and HSTS under https."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.app[SETTINGS].public_url.startswith("https://"):
        return
    response.headers["Strict-Transport-Security"] = HSTS
    cookies = response.headers.getall(hdrs.SET_COOKIE, [])
    if cookies:
        del response.headers[hdrs.SET_COOKIE]
        for cookie in cookies:
            response.headers.add(hdrs.SET_COOKIE, secure_cookie(cookie))


async def _allowed_elsewhere(request: web.Request) -> set[str]:
    """The methods other routes accept for this path (empty when none does)."""
    allowed: set[str] = set()
    own = request.match_info.route.resource
    for resource in request.app.router.resources():
        if resource is own:
            continue
        match, methods = await resource.resolve(request)
        if match is None:
            allowed |= methods
    return allowed


def _method_not_allowed(request: web.Request, allowed: set[str]) -> web.Response:
    vi, en = both("method_not_allowed")
    headers = {"Allow": ",".join(sorted(allowed))}
    if request.path.startswith("/api/"):
        body = {"error": {"code": "method_not_allowed", "message": {"vi": vi, "en": en}}}
        return web.json_response(body, status=405, headers=headers)
    return web.Response(status=405, text=f"{vi}\n{en}\n", headers=headers)


@web.middleware
async def method_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """405 (with Allow) for a method the path does not take, in our own words."""
    route = request.match_info.route
    if route.method == hdrs.METH_ANY and route.resource is not None:
        allowed = await _allowed_elsewhere(request)
        if allowed and request.method not in allowed:
            return _method_not_allowed(request, allowed)
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        return _method_not_allowed(request, set(exc.allowed_methods))


def setup(app: web.Application) -> None:
    """Register the middleware and the response hook on the app."""
    app.middlewares.append(method_middleware)
    app.on_response_prepare.append(add_headers)


__all__ = ["CSP", "HEADERS", "HSTS", "add_headers", "client_address", "method_middleware", "secure_cookie", "setup"]
