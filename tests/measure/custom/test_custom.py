"""Custom checks: real pytest checks in a real project, run by the CLI and by plain pytest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project, base_config

FAIRNESS = '''
"""No segment may lose recall against the production model."""
import pytest
from sklearn.metrics import recall_score


@pytest.mark.mlgate(id="fairness.recall_by_segment")
def test_recall_by_segment(mlgate_eval_data, mlgate_labels, mlgate_candidate_predictions,
                           mlgate_baseline_predictions):
    segments = mlgate_eval_data["segment"].to_numpy()
    drops = {}
    for segment in sorted(set(segments)):
        rows = segments == segment
        candidate = recall_score(mlgate_labels[rows], mlgate_candidate_predictions.label[rows])
        production = recall_score(mlgate_labels[rows], mlgate_baseline_predictions.label[rows])
        drops[segment] = production - candidate
    worst = max(drops, key=drops.get)
    assert drops[worst] <= 0.05, f"recall dropped {drops[worst]:.3f} in segment {worst}"
'''

SERVING = '''
"""The serving path predicts one row at a time: it must agree with batch predictions."""
import pytest


@pytest.mark.mlgate(kind="performance")
def test_single_rows_match_batch(mlgate_candidate, mlgate_eval_data, mlgate_features):
    X = mlgate_eval_data[mlgate_features].head(20)
    single = [mlgate_candidate.predict_raw(X.iloc[[i]])[0] for i in range(len(X))]
    assert single == list(mlgate_candidate.predict_raw(X))
'''

DATA = """
import pytest


@pytest.mark.mlgate(kind="data")
@pytest.mark.parametrize("column", ["x0", "x1"])
def test_no_missing(mlgate_eval_data, column):
    assert mlgate_eval_data[column].notna().all(), f"{column} has missing values"


def test_rows(mlgate_eval_data, mlgate_target):
    assert len(mlgate_eval_data) >= 1000 and mlgate_target == "label"
"""

BROKEN = """
import numpy as np
import pytest


def test_positive_rate(mlgate_candidate_predictions):
    rate = float(np.mean(mlgate_candidate_predictions.label == 1))
    assert rate > 0.9, f"positive rate {rate:.2f} is below 0.9"


@pytest.fixture
def region_lookup():
    return {}["region"]


def test_uses_broken_fixture(region_lookup):
    pass


def test_crashes(mlgate_eval_data):
    mlgate_eval_data["no_such_column"].mean()


def test_drift(mlgate_reference_data):
    pass


def test_skipped():
    pytest.skip("waiting for fresh labels")


@pytest.mark.xfail(reason="known label noise")
def test_known_issue():
    assert False


@pytest.mark.xfail(reason="fixed upstream?")
def test_known_issue_passes():
    pass


@pytest.mark.mlgate(kind="latency")
def test_bad_marker():
    pass


def test_a_changes_its_copy(mlgate_eval_data, mlgate_candidate_predictions):
    mlgate_eval_data["x0"] = 0.0
    with pytest.raises(ValueError):
        mlgate_candidate_predictions.label[0] = 1


def test_b_sees_the_original(mlgate_eval_data):
    print("NOISE FROM A CHECK")
    assert (mlgate_eval_data["x0"] != 0.0).any()


def test_rows(mlgate_eval_data):
    assert len(mlgate_eval_data) > 0
"""


def checks(project: Project, **files: str) -> None:
    folder = project.root / "checks"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(text))


def custom_config(candidate: str, **entry: Any) -> dict[str, Any]:
    """Only custom gates (so the exit code is theirs), with a production baseline to compare to."""
    doc = base_config(candidate)
    doc["gates"] = {"custom": [{"pytest": "checks/", **entry}]}
    return doc


def gates(project: Project) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in project.report()["gates"]}


def test_every_outcome_of_a_check_becomes_a_gate(project: Project) -> None:
    checks(
        project, test_fairness=FAIRNESS, test_serving=SERVING, test_data=DATA, test_broken=BROKEN
    )
    doc = base_config("models/retrain.skops")
    doc["gates"]["custom"] = [{"pytest": "checks/"}]
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 3, result.stdout + result.stderr  # an erroring check: incomplete
    found = gates(project)
    status = {gate_id: gate["status"] for gate_id, gate in found.items()}
    assert status == {
        "model.roc_auc": "pass",
        "model.accuracy": "pass",
        "fairness.recall_by_segment": "pass",
        "custom.test_single_rows_match_batch": "pass",
        "custom.test_no_missing[x0]": "pass",
        "custom.test_no_missing[x1]": "pass",
        "custom.test_rows": "pass",
        "custom.test_positive_rate": "fail",
        "custom.test_uses_broken_fixture": "error",
        "custom.test_crashes": "error",
        "custom.test_drift": "skipped",
        "custom.test_skipped": "skipped",
        "custom.test_known_issue": "skipped",
        "custom.test_known_issue_passes": "skipped",
        "custom.test_bad_marker": "error",
        "custom.test_a_changes_its_copy": "pass",
        "custom.test_b_sees_the_original": "pass",
        "custom.test_rows#2": "pass",
    }
    kinds = {gate_id: gate["kind"] for gate_id, gate in found.items()}
    assert kinds["custom.test_no_missing[x0]"] == "data"
    assert kinds["custom.test_single_rows_match_batch"] == "performance"
    assert kinds["fairness.recall_by_segment"] == "model"

    message = {gate_id: gate["message"] for gate_id, gate in found.items()}
    assert message["custom.test_positive_rate"].startswith("positive rate 0.")
    assert message["custom.test_positive_rate"].endswith(" is below 0.9")
    assert message["custom.test_uses_broken_fixture"] == (
        "checks/test_broken.py::test_uses_broken_fixture in setup: KeyError: 'region'"
    )
    assert message["custom.test_crashes"] == (
        "checks/test_broken.py::test_crashes: KeyError: 'no_such_column'"
    )
    assert message["custom.test_drift"] == "no data.reference configured"
    assert message["custom.test_skipped"] == "waiting for fresh labels"
    assert message["custom.test_known_issue"] == "expected failure: known label noise"
    assert message["custom.test_known_issue_passes"] == (
        "expected failure, but it passed (fixed upstream?)"
    )
    assert message["custom.test_bad_marker"] == (
        "checks/test_broken.py::test_bad_marker: @pytest.mark.mlgate: kind must be data, model "
        "or performance, got 'latency'"
    )
    assert found["custom.test_positive_rate"]["blocking"] is True
    assert found["custom.test_rows#2"]["details"]["nodeid"] == "checks/test_data.py::test_rows"
    # pytest's own output stays off the user's terminal
    printed = result.stdout + result.stderr
    assert "NOISE FROM A CHECK" not in printed
    assert "short test summary" not in printed and " passed in " not in printed


COUNTING = '''
"""A factory model that records every predict call (to see that nothing is predicted twice)."""
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression

COLUMNS = [f"x{i}" for i in range(6)]
LOG = Path(__file__).with_name("calls.log")


class Counting(LogisticRegression):
    def predict(self, X):
        with LOG.open("a") as log:
            log.write(f"predict {len(X)}\\n")
        return super().predict(X[COLUMNS])

    def predict_proba(self, X):
        with LOG.open("a") as log:
            log.write(f"predict_proba {len(X)}\\n")
        return super().predict_proba(X[COLUMNS])


def load():
    frame = pd.read_parquet(Path(__file__).with_name("data") / "train.parquet")
    return Counting(max_iter=500).fit(frame[COLUMNS], frame["label"])
'''


def full_calls(project: Project) -> list[str]:
    log = project.root / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return [line for line in lines if line.endswith(" 3000")]  # whole eval set, not single rows


def test_passing_checks_pass_and_reuse_the_model_gates_predictions(project: Project) -> None:
    (project.root / "counting.py").write_text(COUNTING)
    checks(project, test_fairness=FAIRNESS, test_serving=SERVING, test_data=DATA)
    doc = base_config()
    doc["models"]["candidate"] = {"factory": "counting:load"}
    project.config(doc)
    without = project.run("run")
    assert without.returncode == 0, without.stdout + without.stderr
    predicted_once = full_calls(project)
    assert predicted_once  # the model gates did predict on the eval rows

    doc["gates"]["custom"] = [{"pytest": "checks/"}]
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert full_calls(project) == predicted_once
    assert {g["status"] for g in project.report()["gates"]} == {"pass"}
    assert "fairness.recall_by_segment" in gates(project)


def test_a_failing_check_blocks(project: Project) -> None:
    checks(project, test_fairness=FAIRNESS, test_data=DATA)
    project.config(custom_config("models/regressed.skops"))
    result = project.run("run")
    assert result.returncode == 1, result.stdout + result.stderr
    gate = gates(project)["fairness.recall_by_segment"]
    assert gate["status"] == "fail" and gate["blocking"] is True
    assert gate["message"].startswith("recall dropped 0.") and " in segment " in gate["message"]
    assert gates(project)["custom.test_no_missing[x0]"]["status"] == "pass"


def test_warn_level_checks_never_block(project: Project) -> None:
    checks(project, test_fairness=FAIRNESS, test_broken=BROKEN)
    project.config(custom_config("models/regressed.skops", level="warn", id_prefix="advisory"))
    result = project.run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    found = gates(project)
    assert found["fairness.recall_by_segment"]["status"] == "warn"  # marker id wins over prefix
    assert found["advisory.test_positive_rate"]["status"] == "warn"
    assert found["advisory.test_crashes"]["status"] == "error"
    assert not any(g["blocking"] for g in found.values())
    assert project.report()["verdict"] == "pass"


def test_unimportable_files_and_empty_folders_are_errors(project: Project) -> None:
    checks(
        project,
        test_data=DATA,
        test_syntax="def test_x(:\n    pass\n",
        test_imports="import no_such_module_here\n\ndef test_y():\n    pass\n",
    )
    (project.root / "empty").mkdir()
    (project.root / "empty" / "helpers.py").write_text("def test_not_collected(): pass\n")
    doc = custom_config("models/retrain.skops")
    doc["gates"]["custom"].append({"pytest": "empty/", "id_prefix": "more"})
    doc["gates"]["custom"].append({"pytest": "checks/test_data.py::test_gone", "id_prefix": "node"})
    (project.root / "stops").mkdir()
    (project.root / "stops" / "test_stops.py").write_text(
        "import pytest\n\ndef test_a():\n    pass\n\ndef test_b():\n    pytest.exit('enough')\n"
        "\ndef test_c():\n    pass\n"
    )
    doc["gates"]["custom"].append({"pytest": "stops/", "id_prefix": "stop"})
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 3, result.stdout + result.stderr
    found = gates(project)
    assert found["custom[checks/test_syntax.py]"]["message"] == (
        "checks/test_syntax.py: could not collect: SyntaxError: invalid syntax"
    )
    assert found["custom[checks/test_imports.py]"]["message"] == (
        "checks/test_imports.py: could not collect: ModuleNotFoundError: No module named "
        "'no_such_module_here'"
    )
    assert found["custom.test_rows"]["status"] == "pass"  # the other files still ran
    assert found["more"]["status"] == "error"
    assert found["more"]["message"] == (
        "mlgate.yaml: gates.custom[1].pytest: empty/ holds no tests (pytest collects test_*.py "
        "files and their test_* functions)"
    )
    assert [found[f"stop.test_{x}"]["status"] for x in "abc"] == ["pass", "error", "error"]
    assert found["stop.test_b"]["message"] == (
        "stops/test_stops.py::test_b: did not finish: pytest stopped early (pytest.exit(), or -x / "
        "--maxfail in args?)"
    )
    assert found["node"]["message"] == (
        "mlgate.yaml: gates.custom[2]: pytest could not run the checks: not found: "
        "checks/test_data.py::test_gone (no match in any of [<Module test_data.py>])"
    )


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (
            {"pytest": "checks/"},
            "mlgate.yaml: gates.custom[0].pytest: no such file or folder: checks/",
        ),
        (
            {"pytest": ["tests/", "tests/test_nope.py::test_y"]},
            "mlgate.yaml: gates.custom[0].pytest[1]: no such file or folder: tests/test_nope.py",
        ),
        (
            {"pytest": "tests/", "id_prefx": "x"},
            'mlgate.yaml: gates.custom[0].id_prefx: unknown key; did you mean "id_prefix"?',
        ),
        (
            {"pytest": "tests/", "level": "warning"},
            "mlgate.yaml: gates.custom[0].level: expected 'error' or 'warn', got \"warning\"",
        ),
        (
            {"pytest": "tests/", "args": ["--no-such-flag"]},
            "mlgate.yaml: gates.custom[0].args: pytest: unrecognized arguments: --no-such-flag",
        ),
    ],
)
def test_config_mistakes_are_located_lines(
    project: Project, entry: dict[str, Any], line: str
) -> None:
    (project.root / "tests").mkdir()
    (project.root / "tests" / "test_x.py").write_text("def test_z():\n    pass\n")
    doc = base_config()
    doc["gates"] = {"custom": [entry]}
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [f"mlgate: error: {line}"]


def plain_pytest(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """The development loop: the user's checks under plain pytest, our pytest11 plugin loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfs", *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_checks_run_under_plain_pytest_with_the_config(project: Project) -> None:
    checks(project, test_fairness=FAIRNESS, test_data=DATA)
    project.config(custom_config("models/regressed.skops"))
    result = plain_pytest(project, "checks/", "--mlgate-config", "mlgate.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED checks/test_fairness.py::test_recall_by_segment" in result.stdout
    assert "AssertionError: recall dropped 0." in result.stdout
    assert "1 failed, 3 passed" in result.stdout


def test_without_a_config_the_fixtures_skip_and_say_how(project: Project) -> None:
    checks(project, test_data=DATA, test_plain="def test_unrelated():\n    assert 1 + 1 == 2\n")
    result = plain_pytest(project, "checks/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 3 skipped" in result.stdout
    assert (
        "no mlgate inputs: run through `mlgate run` or pass --mlgate-config mlgate.yaml"
        in result.stdout
    )


def test_a_bad_config_under_plain_pytest_is_a_usage_error(project: Project) -> None:
    checks(project, test_data=DATA)
    project.config("version: 1\ndata: {eval: data/holdout.parquet, traget: label}\n")
    result = plain_pytest(project, "checks/", "--mlgate-config", "mlgate.yaml")
    assert result.returncode == 4  # pytest's usage error
    assert 'mlgate: mlgate.yaml: data.traget: unknown key; did you mean "target"?' in result.stderr


def test_the_plugin_adds_only_prefixed_fixtures_to_every_session(tmp_path: Path) -> None:
    """Loaded into every pytest session of the venv: it must not take common fixture names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    section = result.stdout.split("fixtures defined from mlgate.measure.custom.plugin", 1)[1]
    section = section.split("\n-", 1)[0]
    names = {line.split()[0] for line in section.splitlines()[1:] if line and not line[0].isspace()}
    assert names == {
        "mlgate_inputs",
        "mlgate_eval_data",
        "mlgate_reference_data",
        "mlgate_features",
        "mlgate_target",
        "mlgate_labels",
        "mlgate_task",
        "mlgate_candidate",
        "mlgate_baseline",
        "mlgate_candidate_predictions",
        "mlgate_baseline_predictions",
    }
