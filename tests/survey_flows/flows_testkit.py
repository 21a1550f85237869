"""Helpers shared by the survey_flows tests (a unique name: no clash with other test folders)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from survey_flows import Env, Flow, load_flow, load_schema, shipped_flows

START = datetime(2025, 1, 2, 9, 0, tzinfo=timezone(timedelta(hours=7)))
HERE = Path(__file__).parent
# Flows that exist only for tests: what the shipped flows leave out (the 5-level scale, a required text).
TEST_FLOWS = {p.stem: p for p in sorted((HERE / "flows").glob("*.yaml"))}


def env_at(turn: int) -> Env:
    """A deterministic Env: one minute per turn, ids ``t<turn>-<n>``."""
    counter = itertools.count(1)
    return Env(now=START + timedelta(minutes=turn), new_id=lambda: f"t{turn}-{next(counter)}")


def flow_ids() -> list[str]:
    """Every flow with golden data: the shipped ones and the test-only ones."""
    return sorted({*shipped_flows(), *TEST_FLOWS})


@cache
def flow_named(flow_id: str) -> Flow:
    """A shipped flow or a test-only flow (``tests/survey_flows/flows/<id>.yaml``) by id."""
    return load_flow(TEST_FLOWS.get(flow_id, flow_id), load_schema())
