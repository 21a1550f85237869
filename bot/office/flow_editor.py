"""The flow editor's rules: drafts, publishing and rollback (with the scored-questions check), diffs.

- Saving a valid text of a flow makes a new draft revision; an invalid text, or one whose `id:` is
  another flow's, changes nothing.
- Publishing makes a revision the one new surveys start with; publishing a revision that was
  published before (the shipped file, revision 0, included) is a rollback.
- A revision that changes what the flow scores (the fields its steps write and how) while a
  reporting period is under way would mix two questionnaires in one period: it needs `confirmed`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.settings import Settings
from bot.conversation.flows import check_source, load_revision, shipped_source
from bot.office.accounts import Principal
from reports.periods import DEFAULT_TZ, Window, current_quarter, parse_period
from storage import (
    Database,
    NotFound,
    RevisionRow,
    StorageError,
    add_flow_version,
    audit,
    edited_flows,
    flow_revisions,
    flow_source,
    get_flow_version,
    publish_flow_version,
    published_revision,
)
from survey_flows import Flow, FlowError, Problem, Schema, load_flow, shipped_flows

MAX_NOTE = 500


class EditorRefused(Exception):
    """Nothing changed; `key` names the text (flows.po) that says why, `problems` any validation findings."""

    def __init__(self, key: str, problems: list[Problem] | None = None, **values: object) -> None:
        super().__init__(key)
        self.key, self.problems, self.values = key, problems or [], values


class NeedsConfirmation(Exception):
    """Publishing would change scored questions during a reporting period: ask before doing it."""

    def __init__(self, revision: int, period: str) -> None:
        super().__init__(f"revision {revision} changes scored questions during {period}")
        self.revision, self.period = revision, period


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """A flow on the editor's list: its names, its current revision and its newest one."""

    flow_id: str
    name_vi: str
    name_en: str
    current: int
    latest: int
    shipped: bool


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One row of a diff table: kind is same, add, del or gap (lines left out between hunks)."""

    kind: str
    old: int | None
    new: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish did: the audit action, the revision before, whether scored questions changed."""

    action: str
    previous: int
    scored_changed: bool
    confirmed: bool


def local_today(now: datetime) -> date:
    """The Vietnamese calendar day of an instant (report days are local days)."""
    return now.astimezone(ZoneInfo(DEFAULT_TZ)).date()


def period_under_way(today: date, settings: Settings) -> tuple[bool, str]:
    """(whether the current quarter's window started before today, that quarter's name)."""
    window, cutoff = Window(settings.report_window), settings.report_cutoff_day
    name = current_quarter(today, window, cutoff)
    return today != parse_period(name, window, cutoff).first, name


def scored_questions(flow: Flow) -> frozenset[tuple[Any, ...]]:
    """What a flow scores: each written field with its kind, scale or options, range and thresholds."""
    return frozenset(
        (step.writes, str(step.kind), step.scale,
         tuple((o.code, o.value, o.level) for o in step.options),
         step.minimum, step.maximum, tuple((t.low, t.high, t.points) for t in step.thresholds))
        for step in flow.steps if step.writes
    )


async def list_flows(db: Database, schema: Schema) -> list[FlowSummary]:
    """Every flow an admin may edit: the shipped ones and any with saved revisions (new flows too)."""
    async with db.transaction() as s:
        edited = await edited_flows(s)
        sources = {flow_id: await flow_source(s, flow_id, latest) for flow_id, (_, latest) in edited.items()
                   if flow_id not in shipped_flows()}
    out = []
    for flow_id in sorted(set(shipped_flows()) | set(edited)):
        current, latest = edited.get(flow_id, (0, 0))
        names = (flow_id, flow_id)
        try:
            flow = load_flow(flow_id, schema) if flow_id in shipped_flows() else None
        except FlowError:
            flow = None
        if flow is None and sources.get(flow_id):
            flow, _ = check_source(flow_id, sources[flow_id] or "", schema)
        if flow is not None:
            names = flow.name.get("vi"), flow.name.get("en")
        out.append(FlowSummary(flow_id, names[0], names[1], current, latest, flow_id in shipped_flows()))
    return out


def is_editable(flow_id: str) -> bool:
    """Whether a flow ships (it has a revision 0 to start from); see `exists` for flows made here."""
    return flow_id in shipped_flows()


async def exists(db: Database, flow_id: str) -> bool:
    """Whether the flow ships or has saved revisions (a flow made in the editor)."""
    if is_editable(flow_id):
        return True
    async with db.transaction() as s:
        return bool(await flow_revisions(s, flow_id))


async def source_of(db: Database, flow_id: str, revision: int | None = None) -> tuple[int, str]:
    """(revision, YAML text): the given revision, or the one published now; EditorRefused when unknown."""
    async with db.transaction() as s:
        if revision is None:
            revision = await published_revision(s, flow_id)
            if revision == 0 and not is_editable(flow_id):  # a new flow not published yet: its newest draft
                rows = await flow_revisions(s, flow_id)
                revision = rows[0].revision if rows else 0
        text = shipped_source(flow_id) if revision == 0 else await flow_source(s, flow_id, revision)
    if text is None:
        raise EditorRefused("flows_no_revision", revision=revision)
    return revision, text


def normalised(source: str) -> str:
    """The text as stored: Unix line ends (browsers post CRLF), one final newline."""
    return source.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


async def save_draft(db: Database, schema: Schema, *, flow_id: str, source: str, note: str,
                     who: Principal, now: datetime) -> int:
    """A new draft revision of a valid text; EditorRefused with the problems otherwise."""
    source = normalised(source)
    _, problems = check_source(flow_id, source, schema)
    if problems:
        raise EditorRefused("flows_invalid", problems)
    note = " ".join(note.split())[:MAX_NOTE]
    async with db.transaction() as s:
        rows = await flow_revisions(s, flow_id)
        latest = await flow_source(s, flow_id, rows[0].revision) if rows else shipped_source(flow_id)
        if latest == source:
            raise EditorRefused("flows_unchanged")
        try:
            row = await add_flow_version(s, flow_id=flow_id, source=source, note=note,
                                         created_by=who.user_id, now=now)
        except StorageError:
            raise EditorRefused("flows_busy") from None
        await audit(s, actor=who.actor, action="flow.save", subject=f"flow:{flow_id}", now=now,
                    detail={"revision": row.revision, "characters": len(source)})
    return row.revision


async def publish(db: Database, schema: Schema, settings: Settings, *, flow_id: str, revision: int,
                  who: Principal, now: datetime, confirmed: bool = False) -> Published:
    """Make `revision` the one new surveys use; NeedsConfirmation or EditorRefused change nothing."""
    async with db.transaction() as s:
        current = await published_revision(s, flow_id)
        if revision == current:
            raise EditorRefused("flows_already_current", revision=revision)
        row = await get_flow_version(s, flow_id, revision)
        if row is None and revision != 0:
            raise EditorRefused("flows_no_revision", revision=revision)
        try:
            target = await load_revision(s, flow_id, revision, schema)
            # A flow made in the editor and never published has nothing live: no survey used it yet.
            new = current == 0 and not is_editable(flow_id)
            live = target if new else await load_revision(s, flow_id, current, schema)
        except (FlowError, NotFound):
            raise EditorRefused("flows_not_loadable", revision=revision) from None
        scored_changed = scored_questions(target) != scored_questions(live)
        under_way, period = period_under_way(local_today(now), settings)
        if scored_changed and under_way and not confirmed:
            raise NeedsConfirmation(revision, period)
        if row is None:  # the shipped file published again: a row records when and by whom
            await add_flow_version(s, flow_id=flow_id, source=shipped_source(flow_id) or "", revision=0,
                                   note="", created_by=None, now=now)
        rollback = revision == 0 or (row is not None and row.published_at is not None)
        await publish_flow_version(s, flow_id, revision, by=who.user_id, now=now)
        outcome = Published("flow.rollback" if rollback else "flow.publish", current, scored_changed,
                            scored_changed and under_way)
        await audit(s, actor=who.actor, action=outcome.action, subject=f"flow:{flow_id}", now=now,
                    detail={"revision": revision, "previous": current, "scored_changed": scored_changed,
                            "confirmed": outcome.confirmed})
    return outcome


async def revisions(db: Database, flow_id: str) -> tuple[int, list[RevisionRow]]:
    """(current revision, every revision newest first, the shipped file last as revision 0)."""
    async with db.transaction() as s:
        current = await published_revision(s, flow_id)
        rows = await flow_revisions(s, flow_id)
    if not any(r.revision == 0 for r in rows) and is_editable(flow_id):
        rows.append(RevisionRow(0, "", None, None, None, None))  # type: ignore[arg-type]
    return current, rows


async def diff(db: Database, flow_id: str, old: int, new: int, *, context: int = 3) -> list[DiffLine]:
    """The changed lines from revision `old` to revision `new`, with `context` lines around each change."""
    (_, before), (_, after) = await source_of(db, flow_id, old), await source_of(db, flow_id, new)
    a, b = before.splitlines(), after.splitlines()
    out: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [DiffLine("same", i + 1, j + 1, a[i]) for i, j in zip(range(i1, i2), range(j1, j2))]
                continue
            out += [DiffLine("del", i + 1, None, a[i]) for i in range(i1, i2)]
            out += [DiffLine("add", None, j + 1, b[j]) for j in range(j1, j2)]
    return out
