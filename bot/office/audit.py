"""The audit log read back for admins: filters, pages, and a CSV export (itself audited)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import StringIO
from typing import Any

from bot.common.contact_rules import VN
from reports.csvout import safe_writer
from storage import AuditEntry, Database, audit, audit_entries, count_audit_entries

PAGE_SIZE = 50
MAX_EXPORT = 100_000
BOM = "\ufeff"
COLUMNS = ("at", "actor", "action", "subject", "detail")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the page asks for: an action prefix, an actor, local days [since, until] (Asia/Ho_Chi_Minh)."""

    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def of(cls, query: dict[str, str]) -> tuple[AuditFilter, list[str]]:
        """Filters from the query string, and the names of those that were not understood (ignored)."""
        bad: list[str] = []
        days = {}
        for name in ("since", "until"):
            text = query.get(name, "").strip()
            try:
                days[name] = date.fromisoformat(text) if text else None
            except ValueError:
                days[name], bad = None, [*bad, name]
        action = query.get("action", "").strip()[:64]
        actor = query.get("actor", "").strip()[:128]
        if action and not re.fullmatch(r"[a-z_.]+", action):
            action, bad = "", [*bad, "action"]
        return cls(action, actor, days["since"], days["until"]), bad

    def span(self) -> dict[str, Any]:
        """The storage filters: UTC instants of the local days, the end exclusive."""
        def start(day: date) -> datetime:
            return datetime.combine(day, time(0), VN)
        return {"action_prefix": self.action or None, "actor": self.actor or None,
                "since": start(self.since) if self.since else None,
                "until": start(self.until + timedelta(days=1)) if self.until else None}

    def as_dict(self) -> dict[str, str]:
        return {"action": self.action, "actor": self.actor, "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else ""}


def compact(detail: dict[str, Any] | None) -> str:
    """The detail as one line of JSON."""
    return json.dumps(detail or {}, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def local_time(at: datetime) -> str:
    """An entry's time in Vietnam, to the second."""
    return at.astimezone(VN).strftime("%d/%m/%Y %H:%M:%S")


async def audit_page(db: Database, chosen: AuditFilter, page: int) -> tuple[list[AuditEntry], int]:
    """One page of entries (newest first) and how many match."""
    async with db.transaction() as s:
        total = await count_audit_entries(s, **chosen.span())
        rows = await audit_entries(s, **chosen.span(), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return rows, total


async def export_csv(db: Database, chosen: AuditFilter, *, actor: str, now: datetime) -> bytes:
    """Every matching entry as CSV in UTF-8 with a BOM; the export itself is audited."""
    async with db.transaction() as s:
        rows = await audit_entries(s, **chosen.span(), limit=MAX_EXPORT)
        await audit(s, actor=actor, action="audit.export", subject="audit_log", now=now,
                    detail={"filters": {k: v for k, v in chosen.as_dict().items() if v}, "rows": len(rows)})
    out = StringIO()
    writer = safe_writer(out)  # a name, code or detail that looks like a formula is written as text
    writer.writerow(COLUMNS)
    for e in rows:
        writer.writerow([local_time(e.at), e.actor, e.action, e.subject, compact(e.detail)])
    return (BOM + out.getvalue()).encode("utf-8")
