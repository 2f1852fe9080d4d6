"""The layers of .importlinter hold on the real tree, and a forbidden import breaks them.

`lint-imports` runs on a copy of the package (PYTHONPATH puts the copy first), so adding the
import changes nothing in the real tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with root's .importlinter, analysing root/mlgate (not the installed one)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [str(LINT), str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "mlgate", tmp_path / "mlgate", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_real_tree_keeps_every_contract() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def add_import(copy: Path, module: str, line: str) -> None:
    path = copy / "mlgate" / module
    path.write_text(path.read_text() + f"\n{line}  # added by tests/test_layers.py\n")


@pytest.mark.parametrize(
    ("module", "line", "broken", "edge"),
    [
        # compare is pure: it may not reach the config (as it once did for Tolerance)
        (
            "compare.py",
            "from mlgate import config",
            "mlgate.compare is not allowed to import mlgate.config",
            "mlgate.compare -> mlgate.config",
        ),
        # the report stage renders records: it does not measure
        (
            "report/view.py",
            "import mlgate.measure.model.stats",
            "mlgate.report is not allowed to import mlgate.measure",
            "mlgate.report.view -> mlgate.measure.model.stats",
        ),
        # a gate kind does not import another one
        (
            "measure/data/gate.py",
            "import mlgate.measure.performance.budgets",
            "mlgate.measure.data is not allowed to import mlgate.measure.performance",
            "mlgate.measure.data.gate -> mlgate.measure.performance.budgets",
        ),
        # nothing below the commands imports them
        (
            "publish/comment.py",
            "import mlgate.commands.run",
            "mlgate.publish is not allowed to import mlgate.commands",
            "mlgate.publish.comment -> mlgate.commands.run",
        ),
        # the cycle the performance kind had (gate <-> session), back again
        (
            "measure/performance/budgets.py",
            "import mlgate.measure.performance.session",
            "No cycles are allowed in mlgate.measure.performance.",
            "- .session -> .budgets",  # the edge to remove, as import-linter suggests it
        ),
    ],
)
def test_a_forbidden_import_breaks_the_contracts(
    copy: Path, module: str, line: str, broken: str, edge: str
) -> None:
    add_import(copy, module, line)
    result = lint(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout, result.stdout
    assert edge in result.stdout, result.stdout
