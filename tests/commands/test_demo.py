"""`make demo` / `mlgate demo`: installs only what a user installs, and points at report.html."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
