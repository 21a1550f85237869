"""Outgoing webhooks per agency: each new evaluation of the agency (or its units) becomes a signed POST.

Agency setting `webhook`: `{"url": "https://igate.example/hailong", "secret": "…", "cursor": 41,
"cursors": {"survey": 7, "followup": 2, "followup_closed": ["2026-12-01T…", 2]}, "free_text": false}`.
A background task turns what happened after each cursor (surveys opened, evaluations recorded,
follow-ups opened and closed) into outbox rows (channel "webhook", address = the URL) and moves the
cursors in the same transaction, under a lock per agency, so every event is queued once whatever the
number of processes. The outbox drain then
delivers them like any message: retries with back-off, in order per URL, a final `failed` row kept
for admins. channels/webhook.py signs each attempt (HMAC-SHA256 over timestamp and body).

Event body: `{"id": "evaluation.completed:42", "event": "evaluation.completed", "agency_code": …,
"created_at": …, "data": …}`; events: `survey.invited` (data: the survey's dossier code, status,
created and expiry times), `evaluation.completed` (data: the evaluation as
GET /api/v1/dossiers/{code}/evaluation shows it), `followup.opened` and `followup.closed` (data: the
follow-up's dossier code, reason, opened, due and closed times).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bot.common.errors import BadInput
from bot.office.results_api import evaluation_json
from channels.webhook import CHANNEL
from storage import (
    Database,
    Dossier,
    Evaluation,
    Survey,
    agency_tree,
    audit,
    enqueue,
    find_agency,
    get_agency,
    list_agencies,
    update_agency_settings,
)
from storage.api_reads import deliveries_of, follow_ups_closed, follow_ups_opened, read_evaluations, surveys_after
from storage.locks import lock_key
from storage.tables import FollowUp

EVENT = "evaluation.completed"
EVENTS = ("survey.invited", EVENT, "followup.opened", "followup.closed")
BATCH = 100
log = logging.getLogger(__name__)


async def set_webhook(db: Database, agency_code: str, url: str, *, now: datetime, actor: str = "cli",
                      free_text: bool = False) -> str:
    """Point the agency's webhook at `url` with a new secret (returned once); events start from now on."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 128:
        raise BadInput("Địa chỉ webhook phải là một URL http(s), tối đa 128 ký tự.", "The webhook address must be an http(s) URL of 128 characters at most.")
    secret = secrets.token_urlsafe(32)
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
        if agency is None:
            raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
        tree = await agency_tree(s, agency.id)
        last = await s.scalar(select(func.max(Evaluation.id)).where(Evaluation.agency_id.in_(tree)))
        survey = await s.scalar(select(func.max(Survey.id)).join(Dossier, Dossier.id == Survey.dossier_id)
                                .where(Dossier.agency_id.in_(tree)))
        follow = await s.scalar(select(func.max(FollowUp.id)).where(FollowUp.agency_id.in_(tree)))
        await update_agency_settings(s, agency.id, {"webhook": {
            "url": url, "secret": secret, "cursor": int(last or 0), "free_text": free_text,
            "cursors": {"survey": int(survey or 0), "followup": int(follow or 0),
                        "followup_closed": [now.isoformat(), 0]},
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
        if agency is None or not hook.get("url"):
            return 0
        tree = sorted(await agency_tree(s, agency_id))
        cursors = dict(hook.get("cursors") or {})
        events: list[tuple[str, str, dict[str, Any]]] = []  # (event, id, data)
        for survey, code, agency_code in await surveys_after(s, agency_ids=tree, after_id=int(cursors.get("survey", 0)),
                                                            limit=limit):
            events.append(("survey.invited", str(survey.id), {
                "dossier_code": code, "agency_code": agency_code, "status": survey.status,
                "created_at": survey.created_at.isoformat(), "expires_at": survey.expires_at.isoformat()}))
            cursors["survey"] = survey.id
        found = await read_evaluations(s, agency_ids=tree, after_id=int(hook.get("cursor") or 0), limit=limit)
        for read in found:
            events.append((EVENT, str(read.evaluation.id),
                           await evaluation_json(s, read, bool(hook.get("free_text")))))
        if found:
            hook["cursor"] = found[-1].evaluation.id
        for item in await follow_ups_opened(s, agency_ids=tree, after_id=int(cursors.get("followup", 0)), limit=limit):
            events.append(("followup.opened", str(item.id), _follow_up(item)))
            cursors["followup"] = item.id
        mark = cursors.get("followup_closed")
        after = (datetime.fromisoformat(mark[0]), int(mark[1])) if mark else None
        for item in await follow_ups_closed(s, agency_ids=tree, after=after, limit=limit):
            events.append(("followup.closed", str(item.id), _follow_up(item)))
            closed_at = item.closed_at
            assert closed_at is not None  # follow_ups_closed reads closed ones only
            cursors["followup_closed"] = [closed_at.isoformat(), item.id]
        for event, id_, data in events:
            body = {"id": f"{event}:{id_}", "event": event, "agency_code": agency.code,
                    "created_at": now.isoformat(), "data": data}
            await enqueue(s, channel=CHANNEL, address=hook["url"], now=now,
                          payload={"text": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                                   "kind": "webhook", "event": event})
        if events:
            await update_agency_settings(s, agency_id, {"webhook": hook | {"cursors": cursors}})
    return len(events)


def _follow_up(item: Any) -> dict[str, Any]:
    return {"dossier_code": item.dossier_code, "reason": item.reason, "opened_at": item.opened_at.isoformat(),
            "due_at": item.due_at.isoformat(), "closed_at": item.closed_at.isoformat() if item.closed_at else None}


async def webhook_status(db: Database, agency_code: str) -> dict[str, Any]:
    """For admins: where the agency's webhook points, its deliveries by status and the last failed ones."""
    async with db.transaction() as s:
        agency = await find_agency(s, agency_code)
        if agency is None:
            raise BadInput(f"Không có cơ quan {agency_code}.", f"There is no agency {agency_code}.")
        hook = (agency.settings or {}).get("webhook") or {}
        if not hook.get("url"):
            return {"url": None, "counts": {}, "failed": []}
        counts, failed = await deliveries_of(s, channel=CHANNEL, address=hook["url"])
    return {"url": hook["url"], "counts": counts,
            "failed": [{"id": row.id, "event": row.payload.get("event"), "attempts": row.attempts,
                        "error": row.last_error, "created_at": row.created_at.isoformat()} for row in failed]}


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
