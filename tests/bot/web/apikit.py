"""Helpers of the API v1 tests: JSON calls over real HTTP, agencies with units and keys, a web survey answered."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

from live import run_async
from surveykit import AGENCY, Client, hidden

from bot.office.apikeys import create_api_key
from storage import find_dossier, get_agency, open_database, upsert_agency

UNIT, OTHER = f"{AGENCY}.U1", "000.99.99.H30"


def call(base: str, method: str, path: str, key: str | None, body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def agencies_and_keys(url: str, *, free_text: bool = False) -> dict[str, str]:
    """A unit under the seeded agency and an unrelated agency; a key for each (and the parent's)."""
    now = datetime.now(timezone.utc)

    async def run() -> dict[str, str]:
        async with open_database(url) as db:
            async with db.transaction() as s:
                await upsert_agency(s, code=UNIT, name="Tổ một cửa 1", parent_code=AGENCY, now=now)
                await upsert_agency(s, code=OTHER, name="UBND Phường 2", now=now)
            return {code: await create_api_key(db, code, label="t", now=now, free_text=free_text and code == AGENCY)
                    for code in (AGENCY, UNIT, OTHER)}

    return run_async(run())


def stored_agency(url: str, code: str) -> str | None:
    async def run():
        async with open_database(url) as db, db.transaction() as s:
            dossier = await find_dossier(s, code)
            if dossier is None:
                return None
            return (await get_agency(s, dossier.agency_id)).code

    return run_async(run())


def answer_quick(base: str, token: str, *, stars: str, officer: str, comment: str) -> None:
    """Answer the quick flow on the web as a citizen would (stars, officer's attitude, a comment)."""
    client = Client(base)
    _, page = client.get(f"/s/{token}")
    _, page = client.post(f"/s/{token}", {"_csrf": hidden(page, "_csrf"), "v": "0", "action": "start"})
    for step, field, value in (("overall", "choice", stars), ("officer", "choice", officer),
                               ("comment", "value", comment)):
        assert f'data-step="{step}"' in page, step
        status, page = client.post(f"/s/{token}", {"_csrf": hidden(page, "_csrf"), "v": hidden(page, "v"),
                                                   "step": step, field: value})
        assert status == 200


