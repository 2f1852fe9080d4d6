"""`make demo` / `mlgate demo`: installs only what a user installs, and points at report.html."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_only_the_all_extra(tmp_path: Path) -> None:
    done = subprocess.run(
        ["make", "-n", "demo", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    installs = [
        line for line in done.stdout.splitlines() if "pip install" in line and " -e " in line
    ]
    assert len(installs) == 1, done.stdout
    assert installs[0].endswith(" -e '.[all]'"), installs[0]  # not the test or dev extras


@pytest.mark.slow
def test_demo_closing_lines_point_to_report_html(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mlgate", "demo", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    tail = done.stderr.split("mlgate demo: done", 1)[1].splitlines()
    assert tail[0] == " (open the report.html files in a browser)"
    scenario_lines = [line for line in tail if "verdict" in line]
    assert len(scenario_lines) == 2
    for line in scenario_lines:
        assert line.endswith("/report.html"), line
        assert Path(line.rsplit("-> ", 1)[1]).is_file()


def _report(verdict: str, status: str) -> Any:
    from mlgate.records import GateResult, Report

    gate = GateResult(
        id="perf.latency_p95_ms",
        kind="performance",
        status=status,
        blocking=status in ("fail", "error"),
        name="latency p95",
        message="latency p95 63.1 ms is above the maximum 50 ms",
    )
    return Report(verdict=verdict, gates=(gate,))


@pytest.mark.parametrize(
    ("expected", "verdict", "status", "code", "exit_code"),
    [
        ("pass", "fail", "fail", 1, 1),  # a budget failed under load: the run's own code
        ("pass", "error", "error", 3, 3),  # a budget could not be measured: 3
        ("fail", "pass", "pass", 0, 1),  # a regression meant to be blocked passed: 1
    ],
)
def test_an_unexpected_verdict_is_said_and_never_exit_4(
    expected: str, verdict: str, status: str, code: int, exit_code: int
) -> None:
    from mlgate.commands.demo import Unexpected, closing

    lines, result = closing(
        [Unexpected("harmless retrain", expected, code, _report(verdict, status))]
    )
    assert result == exit_code
    cause = (
        ": perf.latency_p95_ms: latency p95 63.1 ms is above the maximum 50 ms"
        if status != "pass"
        else ""
    )
    assert lines == [
        f"mlgate demo: the 'harmless retrain' scenario ended {verdict}, not {expected} as the "
        f"demo means{cause} (its report.html says more; if a timing did it, run the demo again "
        "on a quieter machine)"
    ]


def test_every_scenario_as_meant_is_exit_0() -> None:
    from mlgate.commands.demo import closing

    assert closing([]) == ([], 0)


def test_the_demo_latency_budget_warns_so_load_cannot_change_a_verdict(tmp_path: Path) -> None:
    import yaml

    from mlgate.config import load_config
    from mlgate.scaffold.demo import SCENARIOS, _write

    _write(tmp_path, seed=7)
    for scenario in SCENARIOS:
        doc = yaml.safe_load((tmp_path / scenario.config).read_text())
        budgets = {k: v for b in doc["gates"]["performance"] for k, v in b.items()}
        assert budgets["latency_p95_ms"]["level"] == "warn"
        assert "level" not in budgets["model_size_mb"]  # a size does not depend on load
        load_config(tmp_path / scenario.config)  # and the config is valid
