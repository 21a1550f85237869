"""Helpers shared by the survey_flows tests (a unique name: no clash with other test folders)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

from survey_flows import Env

START = datetime(2025, 1, 2, 9, 0, tzinfo=timezone(timedelta(hours=7)))
HERE = Path(__file__).parent


def env_at(turn: int) -> Env:
    """A deterministic Env: one minute per turn, ids ``t<turn>-<n>``."""
    counter = itertools.count(1)
    return Env(now=START + timedelta(minutes=turn), new_id=lambda: f"t{turn}-{next(counter)}")
