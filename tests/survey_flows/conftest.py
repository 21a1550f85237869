"""Fixtures for the survey_flows tests: the shipped schema and flows, and a fake Env."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flows_testkit import env_at, flow_named

from survey_flows import Env, Flow, Schema, load_flow, load_schema


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema()


@pytest.fixture(scope="session")
def nd61(schema: Schema) -> Flow:
    return load_flow("nd61-standard", schema)


@pytest.fixture(scope="session")
def quick(schema: Schema) -> Flow:
    return load_flow("quick", schema)


@pytest.fixture(scope="session")
def sat5_required() -> Flow:
    """A test-only flow: a sat5 question, then a required (not optional) comment."""
    return flow_named("sat5-required")


@pytest.fixture
def make_env() -> Callable[[int], Env]:
    return env_at
