"""A leaf both custom/gate.py and custom/session.py import (no cycle): what one test reported,
and the pytest flags a session always runs with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Ours, and never the user's choice: no .pytest_cache in their repo, no second copy of our
# fixtures from the pytest11 entry point, no worker processes that would not see the run's inputs,
# no reshuffled order; collection errors do not hide the results of the other files.
PYTEST_FLAGS = (
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:mlgate",
    "-p",
    "no:xdist",
    "-p",
    "no:randomly",
    "--continue-on-collection-errors",
)


@dataclass(frozen=True)
class CheckOutcome:
    """What pytest reported for one test: phase by phase, reduced to what a gate needs."""

    nodeid: str
    name: str  # with parameters: test_recall[a]
    original: str  # without: test_recall
    marker: dict[str, Any] | None
    outcome: str  # pass, fail, error, skip, xfail, xpass, notrun
    line: str = ""  # the one-line reason (assertion message, exception, skip reason)
    phase: str = "call"
    duration_s: float = 0.0
