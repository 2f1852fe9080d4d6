"""`mlgate.checks` plugins: configured under gates.plugins.<name>, run by the real CLI.

The plugin is a real package (tests/plugins/mlgate_example_check), installed into the test
environment by `make install`; nothing is registered or faked from inside the test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.projects import Project, base_config

from mlgate.measure.plugins import installed_plugins

INSTALL = "pip install -e tests/plugins/mlgate_example_check (make install does it)"


def plugin_config(settings: object, **data: str) -> dict:
    config = base_config()
    config["data"].update(data)
    config["gates"] = {"plugins": {"example": settings}}
    return config


def errors(result: object) -> list[str]:
    return result.stderr.strip().splitlines()  # type: ignore[attr-defined]


def test_the_example_plugin_is_installed() -> None:
    assert "example" in installed_plugins(), INSTALL


@pytest.mark.slow
def test_a_configured_plugin_adds_its_gates_to_the_report(project: Project) -> None:
    config = base_config("models/retrain.skops")
    config["gates"]["plugins"] = {"example": {"columns": ["x0", "x1"]}}
    project.config(config)
    result = project.run("run")
    assert result.returncode == 0, result.stderr
    report = project.report()
    gates = {g["id"]: g for g in report["gates"]}
    assert {"model.roc_auc", "model.accuracy", "example.missing.x0", "example.missing.x1"} <= set(
        gates
    )
    gate = gates["example.missing.x0"]
    assert (gate["kind"], gate["status"], gate["blocking"]) == ("data", "pass", True)
    assert (gate["candidate"], gate["threshold"]) == (0.0, {"max": 0.0})
    assert "example.missing.x0" in (project.root / "mlgate-report" / "report.md").read_text()


def test_a_failing_plugin_gate_blocks(project: Project) -> None:
    frame = pd.read_parquet(project.root / "data/holdout.parquet")
    frame.loc[np.arange(len(frame)) % 10 == 0, "x1"] = np.nan  # 10% missing
    frame.to_parquet(project.root / "data/holes.parquet", index=False)
    project.config(
        plugin_config({"columns": ["x0", "x1"], "max_share": 0.05}, eval="data/holes.parquet")
    )
    result = project.run("run")
    assert result.returncode == 1, result.stderr
    gates = {g["id"]: g for g in project.report()["gates"]}
    assert gates["example.missing.x0"]["status"] == "pass"
    failed = gates["example.missing.x1"]
    assert (failed["status"], failed["blocking"], failed["candidate"]) == ("fail", True, 0.1)
    assert failed["checks"] == [
        {"operator": "<=", "expected": 0.05, "actual": 0.1, "passed": False, "inconclusive": False}
    ]
    assert failed["message"].startswith("missing share of x1 ")  # numbers: report's formatter


def test_a_plugin_that_cannot_measure_is_an_error_gate(project: Project) -> None:
    project.config(plugin_config({"columns": ["nope"]}))
    result = project.run("run")
    assert result.returncode == 3, result.stderr
    (gate,) = project.report()["gates"]
    assert (gate["id"], gate["status"], gate["blocking"]) == ("example", "error", True)
    assert gate["message"] == "example plugin: no column 'nope' in the eval data"


def test_a_plugin_that_crashes_is_an_error_gate_not_a_bug_in_mlgate(project: Project) -> None:
    project.config(plugin_config({"columns": ["x0"], "crash": True}))
    result = project.run("run")
    assert result.returncode == 3, result.stderr
    (gate,) = project.report()["gates"]
    assert (gate["id"], gate["status"], gate["blocking"]) == ("example", "error", True)
    assert gate["message"] == (
        "mlgate.yaml: gates.plugins.example: plugin mlgate_example_check:PLUGIN failed: "
        "RuntimeError: the example plugin crashed"
    )
    assert "Traceback" not in result.stderr


def test_an_unknown_plugin_exits_2_naming_the_installed_ones(project: Project) -> None:
    config = plugin_config({})
    config["gates"]["plugins"] = {"exampel": {"columns": ["x0"]}}
    project.config(config)
    result = project.run("run")
    assert result.returncode == 2
    assert errors(result) == [
        'mlgate: error: mlgate.yaml: gates.plugins.exampel: no mlgate.checks plugin "exampel" '
        'is installed; did you mean "example"? (installed: example)'
    ]


def test_invalid_plugin_settings_exit_2_with_located_lines(project: Project) -> None:
    project.config(plugin_config({"colums": ["x0"], "max_share": "lots"}))
    result = project.run("run")
    assert result.returncode == 2
    assert errors(result) == [
        "mlgate: error: mlgate.yaml: gates.plugins.example.columns: required key is missing",
        'mlgate: error: mlgate.yaml: gates.plugins.example.max_share: expected a number, got "lots"',
        'mlgate: error: mlgate.yaml: gates.plugins.example.colums: unknown key; did you mean "columns"?',
    ]
    report = project.report()  # the run could not evaluate: report.json says why
    assert report["verdict"] == "error" and report["gates"] == []
    assert report["errors"] == [line.removeprefix("mlgate: error: ") for line in errors(result)]


def test_plugin_settings_in_pyproject_are_located_there(project: Project) -> None:
    (project.root / "pyproject.toml").write_text(
        '[tool.mlgate]\nversion = 1\n[tool.mlgate.data]\neval = "data/holdout.parquet"\n'
        "[tool.mlgate.gates.plugins.example]\ncolumns = []\n"
    )
    result = project.run("run")
    assert result.returncode == 2
    assert errors(result) == [
        "mlgate: error: pyproject.toml: tool.mlgate.gates.plugins.example.columns: "
        "list should have at least 1 item after validation, not 0"
    ]


def test_a_built_in_kind_is_not_a_plugin(project: Project) -> None:
    config = plugin_config({})
    config["gates"]["plugins"] = {"model": {}}
    project.config(config)
    result = project.run("run")
    assert result.returncode == 2
    assert errors(result) == [
        'mlgate: error: mlgate.yaml: gates.plugins.model: "model" is a built-in gate kind, not a '
        "plugin; configure it under gates.model"
    ]


def test_the_config_schema_has_the_plugins_section(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "mlgate", "schema"], capture_output=True, text=True, check=True
    )
    gates = json.loads(out.stdout)["$defs"]["GatesConfig"]["properties"]
    assert gates["plugins"]["type"] == "object"
