"""Fixtures: the realistic reports of report_fixtures.py, one per test."""

from __future__ import annotations

import pytest
from support.report_fixtures import (
    BUILDERS,
    build_blocked,
    build_error,
    build_hostile,
    build_huge,
    build_passing,
)

from mlgate.records import Report


@pytest.fixture
def blocked_report() -> Report:
    return build_blocked()


@pytest.fixture
def passing_report() -> Report:
    return build_passing()


@pytest.fixture
def error_report() -> Report:
    return build_error()


@pytest.fixture
def hostile_report() -> Report:
    return build_hostile()


@pytest.fixture
def huge_report() -> Report:
    return build_huge()


@pytest.fixture(params=sorted(BUILDERS))
def any_report(request: pytest.FixtureRequest) -> tuple[str, Report]:
    """(name, report) for every realistic report above."""
    return request.param, BUILDERS[request.param]()
