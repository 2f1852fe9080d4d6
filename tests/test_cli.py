"""The CLI as users run it: a subprocess per case, every exit code, exact one-line errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.projects import Project, base_config

from mlgate.config import load_config


def test_pass_exits_0_and_writes_every_report(project: Project) -> None:
    project.config(base_config("models/retrain.skops"))
    result = project.run("run")
    assert result.returncode == 0, result.stderr
    report = project.report()
    assert report["schema"] == "mlgate.report/v1" and report["verdict"] == "pass"
    assert {"passed", "failed", "warned", "errored"} <= set(report["summary"])
    for name in ("report.json", "report.md", "report.html", "junit.xml", "metrics.txt"):
        assert (project.root / "mlgate-report" / name).is_file(), name


def test_regression_exits_1_with_the_design_report_fields(project: Project) -> None:
    project.config(base_config("models/regressed.skops"))
    result = project.run("run")
    assert result.returncode == 1, result.stderr
    report = project.report()
    assert report["verdict"] == "fail"
    gate = next(g for g in report["gates"] if g["id"] == "model.roc_auc")
    for key in (
        "id",
        "kind",
        "status",
        "blocking",
        "candidate",
        "baseline",
        "delta",
        "ci",
        "threshold",
        "message",
    ):
        assert key in gate, key
    assert gate["kind"] == "model" and gate["status"] == "fail" and gate["blocking"] is True
    assert gate["threshold"] == {"min": 0.7, "max_drop": "0.01"}
    assert report["context"]["baseline"] == {
        "spec": "models/production.skops",
        "kind": "model",
        "paired": True,
        "note": "",
    }


def test_bad_config_exits_2_with_one_located_line_and_an_error_report(project: Project) -> None:
    doc = base_config()
    doc["gates"]["model"][0]["max_drop"] = "lots"
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "mlgate: error: mlgate.yaml: gates.model[0].max_drop: expected a number or a percentage "
        'like "1%", got "lots"'
    ]
    report = project.report()
    assert report["verdict"] == "error" and report["gates"] == []
    assert "gates.model[0].max_drop" in report["errors"][0]


def test_bad_command_line_exits_2(project: Project) -> None:
    result = project.run("run", "--frobnicate")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mlgate: error: unrecognized arguments: --frobnicate (see `mlgate --help`)"
    )


def test_missing_eval_data_exits_3_naming_the_key(project: Project) -> None:
    doc = base_config()
    doc["data"]["eval"] = "data/nope.parquet"
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 3
    assert result.stderr.strip() == (
        f"mlgate: error: mlgate.yaml: data.eval: file not found: {project.root / 'data/nope.parquet'} "
        "(paths are relative to the config file)"
    )
    assert "Traceback" not in result.stderr
    assert project.report()["verdict"] == "error"


def test_corrupt_model_exits_3_and_the_report_says_why(project: Project) -> None:
    (project.root / "models" / "retrain.skops").write_bytes(b"garbage")
    project.config(base_config("models/retrain.skops"))
    result = project.run("run")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    report = project.report()
    assert report["verdict"] == "error"
    assert any(
        "models/retrain.skops is not a readable skops file" in g["message"] for g in report["gates"]
    )


def test_unexpected_exception_exits_4_with_a_please_report() -> None:
    import argparse

    from mlgate.cli import run_command

    code = run_command("no_such_command_module", argparse.Namespace())
    assert code == 4


def test_interrupt_exits_130(tmp_path: Path) -> None:
    """Driven by the demo's own output, not by timing: the signal comes once mlgate's code
    runs (the build after this line takes seconds), and the build leaves nothing behind."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlgate", "demo", str(tmp_path / "demo")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert first.startswith("mlgate demo: building the example project"), first
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, first + rest
    assert rest.splitlines()[-1] == "mlgate: interrupted"
    assert list(tmp_path.iterdir()) == []  # no half-built demo folder to trip the next run


def test_help_and_version_import_nothing_heavy() -> None:
    code = (
        "import sys\nfrom mlgate.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'numpy','pandas','sklearn','scipy','great_expectations','github','gitlab','onnxruntime',"
        "'pydantic','jinja2','rich','yaml','requests','skops'})\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"
    version = subprocess.run(
        [sys.executable, "-m", "mlgate", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("mlgate ")


def test_schema_is_json_schema_of_the_config(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlgate", "schema"], capture_output=True, text=True
    )
    schema = json.loads(result.stdout)
    assert schema["title"] == "mlgate.yaml"
    assert {"data", "models", "gates", "policy", "report"} <= set(schema["properties"])


def test_init_writes_a_valid_starter_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    first = subprocess.run(
        [sys.executable, "-m", "mlgate", "init"], cwd=tmp_path, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert load_config(cwd=tmp_path).config.gates.model[0].metric == "roc_auc"
    workflow = yaml.safe_load((tmp_path / ".github/workflows/mlgate.yml").read_text())
    assert "gate" in workflow["jobs"]
    before = (tmp_path / "mlgate.yaml").read_text()
    second = subprocess.run(
        [sys.executable, "-m", "mlgate", "init"], cwd=tmp_path, capture_output=True, text=True
    )
    assert second.returncode == 2
    assert "already exists; mlgate init never overwrites a file" in second.stderr
    assert (tmp_path / "mlgate.yaml").read_text() == before


@pytest.mark.slow
def test_demo_runs_offline_as_intended(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlgate", "demo", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    passed = json.loads((tmp_path / "d/mlgate-report/mlgate/report.json").read_text())
    failed = json.loads((tmp_path / "d/mlgate-report/mlgate-regressed/report.json").read_text())
    assert (passed["verdict"], failed["verdict"]) == ("pass", "fail")


def test_init_writes_the_documented_example_workflow() -> None:
    """`mlgate init` ships examples/github/mlgate.yml verbatim: one workflow to keep right."""
    root = Path(__file__).resolve().parents[1]
    scaffold = root / "mlgate" / "scaffold" / "github-workflow.yml"
    assert scaffold.read_text() == (root / "examples" / "github" / "mlgate.yml").read_text()
