"""Results out through API v1: one dossier's evaluation, and every evaluation since a time, paged by a cursor.

An answer carries its schema field, the scale its question used, the value on that scale and the
canonical level (2, 1, 0); indicator points are listed apart; free text only for a key allowed it.
The four questions public portals show (overall, convenience, timeliness, staff attitude) are
mapped from the schema's satisfaction fields (docs/integration.md).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.errors import HailongError
from bot.common.settings import Settings
from bot.conversation.flows import load_revision
from bot.office.api_models import EvaluationsQuery
from bot.office.dossier_api import dossier_code, own_dossier, scope_of
from bot.office.scores import ScoreInputError, agency_score_of
from storage import Agency, Database
from storage.api_reads import EvaluationRead, read_evaluations
from survey_flows import Schema, load_schema

log = logging.getLogger(__name__)

#: The portal's four questions and the schema fields that answer each, in order of preference: the
#: satisfaction level when the flow asked it, else the indicator points (2, 1, 0 read as levels).
PORTAL: dict[str, tuple[tuple[str, ...], ...]] = {
    "overall": (("satisfaction.overall",),),
    "convenience": (("satisfaction.convenience",), ("indicator.3", "indicator.4")),
    "timeliness": (("satisfaction.timeliness",), ("indicator.1",)),
    "staff_attitude": (("satisfaction.officer_attitude",), ("indicator.7",)),
}


def portal_levels(levels: dict[str, int | None]) -> tuple[dict[str, int | None], dict[str, str | None]]:
    """The four portal answers ({question: level}) and where each came from ({question: "field+field"})."""
    answers: dict[str, int | None] = {}
    sources: dict[str, str | None] = {}
    for question, choices in PORTAL.items():
        answers[question], sources[question] = None, None
        for fields in choices:
            found = [level for f in fields if (level := levels.get(f)) is not None]
            if found:
                answers[question], sources[question] = min(found), "+".join(f for f in fields if levels.get(f) is not None)
                break
    return answers, sources


class NotEvaluated(HailongError):
    code = "not_evaluated"

    def __init__(self, code: str) -> None:
        super().__init__(f"Hồ sơ {code} chưa được đánh giá.", f"Dossier {code} has not been evaluated yet.")


@lru_cache(maxsize=1)
def _schema() -> Schema:
    return load_schema()


async def evaluation_of(db: Database, agency: Agency, raw_code: str, *, free_text: bool) -> dict[str, Any]:
    """The evaluation of one of the agency's (or its units') dossiers; NotEvaluated when there is none yet."""
    code = dossier_code(raw_code)
    scope = await scope_of(db, agency)
    dossier = await own_dossier(db, scope, code)
    async with db.transaction() as s:
        found = await read_evaluations(s, agency_ids=scope.ids, dossier_id=dossier.id, limit=1)
        if not found:
            raise NotEvaluated(code)
        return await evaluation_json(s, found[0], free_text)


async def evaluations_since(db: Database, agency: Agency, query: EvaluationsQuery, *, free_text: bool) -> dict[str, Any]:
    """A page of evaluations in a stable order (by id): `next_cursor` resumes right after the last one."""
    scope = await scope_of(db, agency)
    after = int(query.cursor) if query.cursor else 0
    async with db.transaction() as s:
        found = await read_evaluations(s, agency_ids=scope.ids, since=query.since, after_id=after,
                                       limit=query.limit + 1)
        items = [await evaluation_json(s, item, free_text) for item in found[:query.limit]]
    last = items[-1]["id"] if items else after
    return {"items": items, "next_cursor": str(last) if last else None, "has_more": len(found) > query.limit}


async def evaluation_json(s: AsyncSession, read: EvaluationRead, free_text: bool) -> dict[str, Any]:
    ev = read.evaluation
    schema = _schema()
    scales = await _scales(s, ev.flow_id, ev.flow_revision)
    levels = dict(schema.levels)
    answers = []
    indicators = []
    for a in read.answers:
        field = schema.field(a.field)
        kind = field.type.value if field is not None else "unknown"
        label = levels.get(a.level) if a.level is not None else None
        answers.append({
            "field": a.field, "type": kind, "scale": scales.get(a.field), "value": a.value, "level": a.level,
            "level_label": {"vi": label.get("vi"), "en": label.get("en")} if label is not None else None,
            "items": list(a.items) if a.items is not None else None,
            "text": a.text if free_text else None,
        })
        if field is not None and field.indicator is not None and a.value is not None:
            indicators.append({"indicator": field.indicator, "points": a.value})
    by_field = {a.field: a.level if a.level is not None else (a.value if a.field.startswith("indicator.") else None)
                for a in read.answers}
    portal, sources = portal_levels(by_field)
    return {
        "id": ev.id, "dossier_code": read.dossier_code, "agency_code": read.agency_code, "channel": ev.channel,
        "language": ev.language, "completed_at": _iso(ev.completed_at), "schema_version": ev.schema_version,
        "flow_id": ev.flow_id, "flow_revision": ev.flow_revision, "answers": answers,
        "indicators": sorted(indicators, key=lambda i: i["indicator"]),
        "portal": portal | {"sources": sources},
    }


_SCALES: dict[tuple[str, int], dict[str, str]] = {}


async def _scales(s: AsyncSession, flow_id: str | None, revision: int | None) -> dict[str, str]:
    """{schema field: scale id} of the flow revision that asked the questions (revisions never change)."""
    if flow_id is None:
        return {}
    key = (flow_id, revision or 0)
    if key not in _SCALES:
        try:
            flow = await load_revision(s, flow_id, revision or 0, _schema())
        except Exception:  # noqa: BLE001 - a flow gone or broken must not hide the evaluation itself
            log.warning("flow %s revision %s not loadable for the API", flow_id, revision)
            return {}
        _SCALES[key] = {step.writes: step.scale for step in flow.steps if step.writes and step.scale}
    return _SCALES[key]


def _iso(value: datetime) -> str:
    return value.isoformat()


async def agency_results(db: Database, settings: Settings, agency: Agency, period: str, *,
                         now: datetime) -> dict[str, Any]:
    """The agency's total for a period (its own report window and bands), as ``ScoreOut``."""
    try:
        score, chosen = await agency_score_of(db, settings, agency=agency.id, period=period, now=now)
    except ScoreInputError as exc:
        raise BadPeriod(exc.vi, exc.en) from None
    return {"agency": agency.code, "period": chosen.name, "first": chosen.first.isoformat(),
            "last": chosen.last.isoformat(), "score": score.to_json()}


class BadPeriod(HailongError):
    code = "bad_input"
