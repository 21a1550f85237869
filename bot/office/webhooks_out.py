"""Outgoing webhooks per agency: each new evaluation of the agency (or its units) becomes a signed POST.

Agency setting `webhook`: `{"url": "https://igate.example/hailong", "secret": "…", "cursor": 41,
"free_text": false}`. A background task turns evaluations recorded after `cursor` into outbox rows
(channel "webhook", address = the URL) and moves the cursor in the same transaction, under a lock per
agency, so every evaluation is queued once whatever the number of processes. The outbox drain then
delivers them like any message: retries with back-off, in order per URL, a final `failed` row kept
for admins. channels/webhook.py signs each attempt (HMAC-SHA256 over timestamp and body).

Event body: `{"id": "evaluation.completed:42", "event": "evaluation.completed", "agency_code": …,
"created_at": …, "data": <the evaluation as GET /api/v1/dossiers/{code}/evaluation shows it>}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bot.common.errors import BadInput
from bot.office.results_api import evaluation_json
from channels.webhook import CHANNEL
from storage import (
    Database,
    Evaluation,
    agency_tree,
    audit,
    enqueue,
    find_agency,
    get_agency,
    list_agencies,
    update_agency_settings,
)
from storage.api_reads import read_evaluations
from storage.locks import lock_key

EVENT = "evaluation.completed"
BATCH = 100
log = logging.getLogger(__name__)


async def set_webhook(db: Database, agency_code: str, url: str, *, now: datetime, actor: str = "cli",
                      free_text: bool = False) -> str:
    """Point the agency's webhook at `url` with a new secret (returned once); events start from now on."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 500:
        raise BadInput("Địa chỉ webhook phải là một URL http(s).", "The webhook address must be an http(s) URL.")
    secret = secrets.token_urlsafe(32)
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
        if agency is None:
            raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
        tree = await agency_tree(s, agency.id)
        last = await s.scalar(select(func.max(Evaluation.id)).where(Evaluation.agency_id.in_(tree)))
        await update_agency_settings(s, agency.id, {"webhook": {
            "url": url, "secret": secret, "cursor": int(last or 0), "free_text": free_text,
            "created_at": now.isoformat()}})
        await audit(s, actor=actor, action="webhook.set", subject=f"agency:{agency.code}", now=now,
                    detail={"host": parts.netloc, "free_text": free_text})
    return secret


async def queue_events(db: Database, *, now: datetime, limit: int = BATCH) -> int:
    """Queue the webhook events of every agency with a webhook; how many were queued."""
    async with db.transaction() as s:
        agencies = [a.id for a in await list_agencies(s) if (a.settings or {}).get("webhook", {}).get("url")]
    queued = 0
    for agency_id in agencies:
        queued += await _queue_agency(db, agency_id, now=now, limit=limit)
    return queued


async def _queue_agency(db: Database, agency_id: int, *, now: datetime, limit: int) -> int:
    async with db.transaction() as s:
        await lock_key(s, f"webhook:{agency_id}")
        agency = await get_agency(s, agency_id)  # read again under the lock: another process may have moved on
        hook = dict((agency.settings or {}).get("webhook") or {}) if agency is not None else {}
        if not hook.get("url"):
            return 0
        tree = sorted(await agency_tree(s, agency_id))
        found = await read_evaluations(s, agency_ids=tree, after_id=int(hook.get("cursor") or 0), limit=limit)
        for read in found:
            body = {"id": f"{EVENT}:{read.evaluation.id}", "event": EVENT, "agency_code": agency.code,
                    "created_at": now.isoformat(),
                    "data": await evaluation_json(s, read, bool(hook.get("free_text")))}
            await enqueue(s, channel=CHANNEL, address=hook["url"], now=now,
                          payload={"text": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                                   "kind": "webhook", "event": EVENT})
        if found:
            await update_agency_settings(s, agency_id, {"webhook": hook | {"cursor": found[-1].evaluation.id}})
    return len(found)


def secret_lookup(db: Database) -> Callable[[bytes], Awaitable[str | None]]:
    """For the sender: the secret of the agency a queued body names (read at send time: a new secret
    applies to deliveries still waiting)."""
    async def secret_of(body: bytes) -> str | None:
        try:
            code = json.loads(body)["agency_code"]
        except (ValueError, KeyError, TypeError):
            return None
        async with db.transaction() as s:
            agency = await find_agency(s, str(code))
        hook = (agency.settings or {}).get("webhook") or {} if agency is not None else {}
        return hook.get("secret")
    return secret_of


async def run_events(db: Database, wake: Callable[[], None], *, every: float = 2.0) -> None:
    """Background task: queue new events every `every` seconds and wake the outbox drain."""
    while True:
        try:
            if await queue_events(db, now=datetime.now(timezone.utc)):
                wake()
        except asyncio.CancelledError:
            raise
        except Exception:  # keep webhooks going through a database hiccup
            log.exception("queueing webhook events failed")
        await asyncio.sleep(every)
