"""Per-dossier scores that change after the evaluation, and indicator 9 from the dossiers' online flags.

- Legal exceptions (indicators 3 and 4): staff record them on a dossier (``storage.dossiers.record_exceptions``);
  the stored answers stay as the citizen gave them, and the evaluation's facts take
  ``survey_flows.apply_exceptions`` of them. ``sync_exceptions`` brings the facts in line, for the
  dossiers given or every dossier with recorded exceptions (run after each ``refresh_facts``, which
  flattens the raw answers).
- Indicator 9 (online public services): ``online_entry`` maps an agency's ``OnlineCounts`` to the
  ``AgencyEntry(9, points, EntryBy.COMPUTED, note)`` that ``survey_flows.totals.agency_total`` takes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import rollup
from storage.dossiers import OnlineCounts, online_counts
from storage.tables import Answer, Dossier, Evaluation, EvaluationFact
from survey_flows import load_schema
from survey_flows.indicators import DossierExceptions, apply_exceptions, indicator_9
from survey_flows.schema import Schema
from survey_flows.totals import AgencyEntry, EntryBy

_FIELDS = {3: "indicator.3", 4: "indicator.4"}
_COLUMNS = {3: EvaluationFact.i3, 4: EvaluationFact.i4}


async def sync_exceptions(s: AsyncSession, dossier_ids: Collection[int] | None = None) -> int:
    """Re-roll the flattened evaluations whose indicator 3/4 facts differ from their answers with the
    dossier's recorded exceptions applied; returns how many changed. Cheap: only dossiers with
    recorded exceptions are read (a staff action, rare)."""
    stmt: Any = (select(Evaluation.id, Dossier.exceptions, *_COLUMNS.values())
                 .join(Dossier, Dossier.id == Evaluation.dossier_id)
                 .join(EvaluationFact, EvaluationFact.evaluation_id == Evaluation.id)
                 .where(Dossier.exceptions.is_not(None)))
    if dossier_ids is not None:
        stmt = stmt.where(Dossier.id.in_(sorted(dossier_ids)))
    rows = (await s.execute(stmt)).all()
    if not rows:
        return 0
    answers: dict[int, dict[int, int]] = {}
    found = await s.execute(select(Answer.evaluation_id, Answer.field, Answer.value)
                            .where(Answer.evaluation_id.in_([r[0] for r in rows]),
                                   Answer.field.in_(_FIELDS.values())))
    for evaluation_id, field, value in found:
        if value is not None:
            answers.setdefault(evaluation_id, {})[int(field.split(".")[1])] = value
    changed: dict[int, Mapping[str, int | None]] = {}
    for evaluation_id, exceptions, *facts in rows:
        wanted = apply_exceptions(answers.get(evaluation_id, {}), DossierExceptions.from_json(exceptions))
        if [wanted.get(i) for i in _FIELDS] != facts:
            changed[evaluation_id] = {field: wanted.get(i) for i, field in _FIELDS.items()}
    if changed:
        await rollup.reroll_evaluations(s, changed, points=changed)
    return len(changed)


def online_entry(counts: OnlineCounts, schema: Schema | None = None) -> AgencyEntry:
    """Indicator 9 of one agency and period from its dossiers' online flags, with the schema's params.

    The procedures counted are those the period's dossiers were for (the dossier data does not list
    the procedures offered online but unused); the note says what was counted.
    """
    indicator = (schema or load_schema()).indicator(9)
    params = dict(indicator.params) if indicator is not None else {}
    points = indicator_9(procedures=counts.procedures, procedures_online=counts.procedures_online,
                         dossiers=counts.total, dossiers_online=counts.online, online_late=counts.late,
                         **params)
    note = (f"{counts.online}/{counts.total} hồ sơ trực tuyến, {counts.late} quá hạn; "
            f"{counts.procedures_online}/{counts.procedures} thủ tục có hồ sơ trực tuyến / "
            f"{counts.online}/{counts.total} dossiers online, {counts.late} late; "
            f"{counts.procedures_online}/{counts.procedures} procedures with online dossiers")
    return AgencyEntry(9, points, EntryBy.COMPUTED, note)


async def online_entries(s: AsyncSession, *, first: date, last: date, agency_id: int | None = None,
                         schema: Schema | None = None) -> dict[int, AgencyEntry]:
    """Indicator 9 per agency for the period, where its dossiers say which were online."""
    return {agency: online_entry(counts, schema)
            for agency, counts in (await online_counts(s, first=first, last=last, agency_id=agency_id)).items()}
