"""The data gates through the real CLI in a subprocess; GX stays unimported unless needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.frames import EXPECTATIONS, holdout, write_project

MLGATE = Path(sys.executable).parent / "mlgate"
GATES = [*EXPECTATIONS, {"schema": True}, {"drift": {"columns": "*", "method": "psi", "max": 0.2}}]


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    env.pop("CI", None)
    return subprocess.run(
        [str(MLGATE), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_importing_the_cli_and_the_data_gates_does_not_load_gx() -> None:
    out = python(
        "import sys, mlgate.cli, mlgate.measure.data.gate\n"
        "print(sorted(m for m in ('great_expectations', 'pandas', 'scipy') if m in sys.modules))"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_drift_and_schema_gates_run_without_gx(tmp_path: Path) -> None:
    write_project(tmp_path, [{"schema": True}, {"drift": {"columns": "*", "max": 0.2}}])
    out = python(
        "import sys\n"
        "from pathlib import Path\n"
        "from mlgate.config import load_config\n"
        "from mlgate.pipeline import RunOptions, execute\n"
        f"root = Path({str(tmp_path)!r})\n"
        "loaded = load_config('mlgate.yaml', cwd=root)\n"
        "report = execute(loaded, RunOptions(out_dir=root / 'out', env={}))\n"
        "print(report.verdict, len(report.gates), 'great_expectations' in sys.modules)\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["pass", "7", "False"]


def test_warnings_still_show_after_gx_is_loaded() -> None:
    # importing GX routes warnings to a logger with no handler (GX issue 12067)
    out = python(
        "import warnings\n"
        "from mlgate.measure.data import gx\n"
        "gx.load()\n"
        "warnings.warn('still-visible', UserWarning)\n"
    )
    assert out.returncode == 0, out.stderr
    assert "UserWarning: still-visible" in out.stderr


@pytest.mark.slow
def test_cli_clean_data_passes_and_defects_block(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    write_project(clean, GATES)
    out = cli(clean, "run", "-c", "mlgate.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((clean / "mlgate-report" / "report.json").read_text())
    assert report["verdict"] == "pass"
    assert len(report["gates"]) == 12 + 1 + 6
    assert "Calculating Metrics" not in out.stderr  # GX's progress bars are off
    assert report["diagnostics"]["drift"].keys() == {
        "age",
        "income",
        "tenure",
        "country",
        "plan",
        "score",
    }

    bad = tmp_path / "bad"
    frame = holdout()
    frame["age"] = frame["age"].astype(float)
    frame.loc[frame.index[:37], "age"] = np.nan
    frame.loc[frame.index[40:45], "country"] = "XX"
    frame["income"] = frame["income"] + 9_000
    write_project(bad, GATES, eval_frame=frame)
    out = cli(bad, "run", "-c", "mlgate.yaml")
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads((bad / "mlgate-report" / "report.json").read_text())
    failed = {g["id"]: g for g in report["gates"] if g["status"] == "fail"}
    assert set(failed) == {
        "data.expect_column_values_to_not_be_null.age",
        "data.expect_column_values_to_be_in_set.country",
        "data.expect_column_mean_to_be_between.income",
        "data.drift.income",
        "data.drift.age",  # 3.7% of values went missing: the binned PSI sees that too
    }
    assert failed["data.expect_column_values_to_not_be_null.age"]["message"] == (
        "age: 37 of 1,000 values (3.7%) are null; expected none"
    )
    assert (bad / "mlgate-report" / "junit.xml").is_file()


@pytest.mark.slow
def test_cli_bad_config_exit_2_and_missing_column_exit_3(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        [
            {"expect": "expect_column_values_to_not_be_nul", "column": "age"},
            {"drift": {"max": 0.2}},
        ],
        with_reference=False,
    )
    out = cli(tmp_path, "run", "-c", "mlgate.yaml")
    assert out.returncode == 2
    assert out.stderr.splitlines()[:2] == [
        "mlgate: error: mlgate.yaml: gates.data[0].expect: unknown expectation type "
        '"expect_column_values_to_not_be_nul"; did you mean "expect_column_values_to_not_be_null", '
        '"expect_column_values_to_be_null" or "expect_column_values_to_not_be_outliers"?',
        "mlgate: error: mlgate.yaml: gates.data[1].drift: needs data.reference",
    ]
    assert "Traceback" not in out.stderr

    write_project(tmp_path, [{"expect": "expect_column_values_to_be_unique", "column": "customer"}])
    out = cli(tmp_path, "run", "-c", "mlgate.yaml")
    assert out.returncode == 3, out.stdout + out.stderr
    report = json.loads((tmp_path / "mlgate-report" / "report.json").read_text())
    assert report["verdict"] == "error"
    assert report["gates"][0]["message"] == (
        "mlgate.yaml: gates.data[0].column: column 'customer' is not in data/eval.csv; "
        "did you mean 'customer_id'?"
    )
