"""`/admin/audit` (admins only): the audit log newest first, filters, pages, and a CSV export (audited)."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from aiohttp import web

from bot.office.audit import PAGE_SIZE, AuditFilter, audit_page, compact, export_csv, local_time
from bot.web.auth import require, signed_in_user, staff_render
from bot.web.keys import DATABASE

routes = web.RouteTableDef()


def _page_number(request: web.Request) -> int:
    text = request.query.get("page", "1")
    return min(int(text), 100_000) if text.isdigit() and int(text) > 0 else 1


@routes.get("/admin/audit", name="admin_audit")
@require()
async def audit_log(request: web.Request) -> web.Response:
    """One page of the log, newest first, under the filters asked for."""
    chosen, bad = AuditFilter.of(dict(request.query))
    page = _page_number(request)
    rows, total = await audit_page(request.app[DATABASE], chosen, page)
    pages = max(1, -(-total // PAGE_SIZE))
    query = {k: v for k, v in chosen.as_dict().items() if v}
    return staff_render(request, "admin_audit.html", rows=rows, total=total, page=page, pages=pages,
                        chosen=chosen.as_dict(), bad=bad, compact=compact, local_time=local_time,
                        link=lambda **extra: "?" + urlencode(query | {k: str(v) for k, v in extra.items()}),
                        export="/admin/audit.csv" + ("?" + urlencode(query) if query else ""))


@routes.get("/admin/audit.csv", name="admin_audit_csv")
@require()
async def audit_csv(request: web.Request) -> web.Response:
    """Every entry under the filters as CSV (UTF-8 with a BOM, for Excel); the export is itself audited."""
    chosen, _ = AuditFilter.of(dict(request.query))
    who = signed_in_user(request)
    now = datetime.now(timezone.utc)
    data = await export_csv(request.app[DATABASE], chosen, actor=who.actor, now=now)
    return web.Response(body=data, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-{now:%Y%m%d-%H%M%S}.csv"',
        "Cache-Control": "no-store"})
