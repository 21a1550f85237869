"""Every POST route under /staff and /admin, read off the app's own router (a new route is covered
without touching this file), refuses a signed-in admin's post without the session's CSRF token, or
with a wrong one, and changes nothing: no row, no upload kept, the session still open."""

from __future__ import annotations

import itertools
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from live import run_async, serve_app
from staffkit import AGENCY_A, CODES_A, PASSWORD, seed_staff, settings_form, signed_in, stored_user
from surveykit import Client

from bot.common.settings import load_settings
from bot.conversation.flows import shipped_source
from bot.web.auth import STAFF_PREFIXES
from bot.web.texts import translate
from storage import open_database

FLOW = "quick"
QUICK = shipped_source(FLOW) or ""
CSV = (f"code,agency_code,status,received_on\n{AGENCY_A}-261201-0001,{AGENCY_A},2,2026-12-01\n").encode()
#: A value for each path parameter (several: one case each). A new parameter name fails the test below.
PARAMS: dict[str, tuple[str, ...]] = {
    "code": ("@code",),  # @: made by _prepare (a code: a dossier's or an agency's, see _path)
    "id": ("@upload",), "user_id": ("@user",), "kid": ("@kid",), "flow_id": (FLOW,),
    "what": ("change", "active", "password", "unlock"), "desk": ("quay-1",),
}


def _post_routes() -> list[str]:
    """The POST paths (formatters such as /staff/desk/{code}/trigger) of the real app under /staff and /admin."""
    from bot.app import create_app

    app = create_app(load_settings(env_file=None, database_url="sqlite+aiosqlite:///unused.db"))
    paths = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method == "POST" and path.startswith(STAFF_PREFIXES):
            paths.add(path)
    return sorted(paths)


def _cases() -> list[tuple[str, dict[str, str]]]:
    cases = []
    for path in _post_routes():
        names = re.findall(r"\{(\w+)", path)
        choices = [PARAMS.get(n, (f"no value for {n}: add one to PARAMS",)) for n in names]
        cases += [(path, dict(zip(names, values))) for values in itertools.product(*choices)]
    return cases


CASES = _cases()


def test_the_routes_read_off_the_router_include_the_known_ones() -> None:
    paths = {path for path, _ in CASES}
    assert {"/staff/logout", "/staff/desk/{code}/trigger", "/staff/imports", "/admin/settings",
            "/admin/users/{user_id}/{what}", "/admin/flows/{flow_id}/check"} <= paths
    assert len(CASES) >= 17


def _body(route: str, params: dict[str, str]) -> tuple[bytes, dict[str, str], str]:
    """What a real form of this route posts, without the token: (body, headers, query)."""
    if route == "/staff/imports":
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.csv"\r\n'
                f"Content-Type: text/csv\r\n\r\n").encode() + CSV + f"\r\n--{boundary}--\r\n".encode()
        return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, ""
    if route.endswith("/check"):  # the editor's script: JSON, the token in a header
        return json.dumps({"source": QUICK}).encode(), {"Content-Type": "application/json"}, ""
    fields: dict | list = {
        "/staff/login": {"username": "admin", "password": PASSWORD, "next": "/staff"},
        "/staff/desk/{code}/trigger": {"channel": "web"},
        "/staff/desk/{code}/slip": {"format": "pdf"},
        "/admin/users": {"username": "newcomer", "display_name": "Newcomer", "role": "viewer", "agency": AGENCY_A,
                         "password": "mật khẩu mới đủ dài 2027"},
        "/admin/agencies/{code}/api-keys": {"label": "web"},
        "/admin/flows/{flow_id}": {"do": "save", "source": QUICK.replace("Ông/Bà", "Quý khách"), "note": "x"},
        "/admin/flows/{flow_id}/publish": {"revision": "1", "confirm": "1"},
    }.get(route, {"note": "x"})
    if route == "/admin/users/{user_id}/{what}":
        fields = {"change": {"display_name": "Renamed", "role": "manager", "agency": AGENCY_A},
                  "active": {"active": "0"}, "password": {"password": "mật khẩu mới đủ dài 2027"},
                  "unlock": {}}[params["what"]]
    query = ""
    if route == "/admin/settings":
        fields = [(k, v) for k, v in settings_form("", survey_delay_minutes="45") if k != "_csrf"]
        query = f"?agency={AGENCY_A}"
    body = urllib.parse.urlencode(fields).encode()
    return body, {"Content-Type": "application/x-www-form-urlencoded"}, query


def _path(route: str, params: dict[str, str], made: dict[str, str]) -> str:
    made = made | {"code": AGENCY_A if route.startswith("/admin/agencies/") else CODES_A[0]}
    return route.format(**{k: made[v[1:]] if v.startswith("@") else v for k, v in params.items()})


def _send(client: Client, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, str]:
    """(status, body, final URL) of a POST with the client's cookies (redirects followed)."""
    request = urllib.request.Request(client.base + path, data=body, method="POST", headers=headers)
    try:
        with client.opener.open(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace"), response.geturl()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), exc.geturl()


def _prepare(client: Client, csrf: str, url: str) -> dict[str, str]:
    """Something for each route to act on, made through the pages with the token: an upload waiting
    for its import, an API key, a saved draft of the flow; and a user to change."""
    upload_body, headers, _ = _body("/staff/imports", {})
    boundary = headers["Content-Type"].split("=", 1)[1]
    upload_body = (f'--{boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n{csrf}\r\n').encode() \
        + upload_body
    status, _, where = _send(client, "/staff/imports", upload_body, headers)
    assert status == 200 and re.search(r"/staff/imports/[\w-]+$", where), (status, where, _)
    status, page = client.post(f"/admin/agencies/{AGENCY_A}/api-keys", {"_csrf": csrf, "label": "kept"})
    assert status == 200
    draft = QUICK.replace("Ông/Bà", "Anh/Chị")
    status, _ = client.post(f"/admin/flows/{FLOW}", {"_csrf": csrf, "do": "save", "source": draft, "note": "draft"})
    assert status == 200
    kid = _api_key_ids(url)
    assert len(kid) == 1
    return {"upload": where.rsplit("/", 1)[1], "kid": kid[0], "user": str(stored_user(url, "viewer_a").id)}


def _api_key_ids(url: str) -> list[str]:
    from storage import find_agency

    async def run() -> list[str]:
        async with open_database(url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY_A)
            return [k["id"] for k in (agency.settings or {}).get("api_keys", [])]

    return run_async(run())


def _state(url: str, root) -> tuple[dict, list[str]]:
    """Every row of every table (a session's sliding seen/expiry times left out), and the files kept
    for imports."""
    from sqlalchemy import select

    from storage.tables import Base

    async def run() -> dict:
        rows = {}
        async with open_database(url) as db, db.transaction() as s:
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if not (table.name == "web_sessions"
                                                            and c.name in ("seen_at", "expires_at"))]
                rows[table.name] = sorted(repr(tuple(r)) for r in await s.execute(select(*columns)))
        return rows

    files = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return run_async(run()), files


@pytest.mark.parametrize(("route", "params"), CASES, ids=[_path(r, p, {"upload": "id", "kid": "kid", "user": "n"})
                                                         for r, p in CASES])
def test_a_staff_post_without_the_csrf_token_is_refused_and_changes_nothing(
        route: str, params: dict[str, str], live_db_url, tmp_path, monkeypatch) -> None:
    assert not any("no value for" in v for v in params.values()), params
    monkeypatch.chdir(tmp_path)  # uploads are kept under ./var/imports: this test's own
    seeded = seed_staff(live_db_url)
    with serve_app(seeded.settings) as base:
        admin, csrf = signed_in(base, "admin")
        path = _path(route, params, _prepare(admin, csrf, live_db_url))
        body, headers, query = _body(route, params)
        before = _state(live_db_url, tmp_path / "var")
        forged_headers = headers | ({"X-CSRF-Token": "f" * len(csrf)} if route.endswith("/check") else {})
        forged_body = body
        if headers["Content-Type"].startswith("application/x-www-form-urlencoded"):
            forged_body = body + b"&" + urllib.parse.urlencode({"_csrf": "f" * len(csrf)}).encode()
        elif headers["Content-Type"].startswith("multipart/"):
            boundary = headers["Content-Type"].split("=", 1)[1]
            forged_body = (f'--{boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n'
                           f'{"f" * len(csrf)}\r\n').encode() + body
        for sent, sent_headers in ((body, headers), (forged_body, forged_headers)):  # no token, a wrong one
            status, page, _ = _send(admin, path + query, sent, sent_headers)
            assert status == 403, (path, status, page[:300])
            if route.endswith("/check"):
                assert json.loads(page)["error"]["code"] == "forged"
            else:
                assert translate("forged_title", "vi") in page or translate("forged", "vi") in page, page[:500]
        assert _state(live_db_url, tmp_path / "var") == before
        status, page = admin.get("/staff")
        assert status == 200 and 'data-user="admin"' in page  # still signed in: sign-out was refused too
