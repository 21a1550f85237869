"""Flows by revision: revision 0 is the file shipped in survey_flows/, the others are texts admins saved.

A revision never changes once saved, so a loaded one may be kept for the life of the process.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from storage import NotFound, flow_source
from survey_flows import Flow, FlowInvalid, Problem, Schema, load_flow, shipped_flows
from survey_flows.flow_loader import read_flow

MAX_SOURCE = 32 * 1024  # characters of a flow's YAML; the shipped ones are under 5 kilobytes
_ID_LINE = re.compile(r"^id\s*:", re.MULTILINE)


def shipped_source(flow_id: str) -> str | None:
    """The text of a shipped flow file, or None when no flow of that id ships."""
    path = shipped_flows().get(flow_id)
    return path.read_text(encoding="utf-8") if path is not None else None


def check_source(flow_id: str, source: str, schema: Schema) -> tuple[Flow | None, list[Problem]]:
    """Validate a flow text meant as a revision of `flow_id`: every problem with its line."""
    file = f"{flow_id}.yaml"
    if len(source) > MAX_SOURCE:
        return None, [Problem(file, 1, f"văn bản quá dài (tối đa {MAX_SOURCE} ký tự) / "
                                       f"the text is too long ({MAX_SOURCE} characters at most)")]
    flow, problems = read_flow(source, file, schema)
    if flow is not None and not problems and flow.id != flow_id:
        match = _ID_LINE.search(source)
        line = source.count("\n", 0, match.start()) + 1 if match else 1
        problems = [Problem(file, line, f"id phải giữ nguyên là {flow_id!r} / id must stay {flow_id!r}")]
    return (flow if not problems else None), problems


async def load_revision(s: AsyncSession, flow_id: str, revision: int, schema: Schema) -> Flow:
    """The flow at that revision (0: the shipped file); NotFound or FlowInvalid otherwise."""
    if revision == 0:
        return load_flow(flow_id, schema)
    source = await flow_source(s, flow_id, revision)
    if source is None:
        raise NotFound(f"flow {flow_id} has no revision {revision}")
    flow, problems = check_source(flow_id, source, schema)
    if flow is None:
        raise FlowInvalid(problems)
    return flow
