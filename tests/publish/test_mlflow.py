"""Gate results logged into a real MLflow server: a new run, or the candidate's own run.

The CLI runs as a subprocess against the session's `mlflow server`; what it logged is read back
with the real client. A tracking server that is down is a warning, exit code unchanged.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.mlflow_server import log_folder, register_folder, unique
from support.projects import Project

from mlgate.publish.mlflow import metric_key

pytest.importorskip("mlflow")


def git_repo(root: Path) -> str:
    """The project as a git repository with one commit (the report's commit); returns its sha."""
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(root)}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "mlgate.yaml"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "gate"],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def config(project: Project, candidate: str, baseline: str, **publish: Any) -> None:
    doc: dict[str, Any] = {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": {"candidate": candidate, "baseline": baseline},
        "gates": {
            "model": [
                {"metric": "roc_auc", "min": 0.7, "max_drop": 0.01},
                {"metric": "accuracy", "max_drop": "1%", "slice": "segment"},
            ]
        },
    }
    if publish:
        doc["publish"] = publish
    project.config(doc)


def test_metric_keys_are_what_mlflow_accepts() -> None:
    assert metric_key("model.accuracy[segment=a]") == "mlgate.model.accuracy_segment_a"
    assert metric_key("perf.latency_p95_ms") == "mlgate.perf.latency_p95_ms"


def test_champion_regression_blocked_and_the_gate_run_is_in_mlflow(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    """The issue's done-when: `mlflow:models:/NAME@champion` end to end, results in MLflow."""
    name, experiment = unique("churn"), unique("gates")
    version, run_id = register_folder(
        mlflow_client,
        name,
        {"production.skops": project.root / "models" / "production.skops"},
        alias="champion",
    )
    config(
        project,
        "models/regressed.skops",
        f"mlflow:models:/{name}@champion",
        mlflow={"experiment": experiment},
    )
    sha = git_repo(project.root)
    done = project.run("run", "-q", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 1, done.stderr
    found = mlflow_client.get_experiment_by_name(experiment)
    (logged,) = mlflow_client.search_runs([found.experiment_id])
    assert (
        f"mlgate: logged to MLflow at {mlflow_server}: new run {logged.info.run_id} in "
        f"experiment {experiment!r}"
    ) in done.stderr.splitlines()
    report = project.report()
    auc = next(g for g in report["gates"] if g["id"] == "model.roc_auc")
    metrics = logged.data.metrics
    assert metrics["mlgate.model.roc_auc"] == pytest.approx(auc["candidate"])
    assert metrics["mlgate.model.roc_auc.baseline"] == pytest.approx(auc["baseline"])
    assert metrics["mlgate.model.roc_auc.delta"] == pytest.approx(auc["delta"])
    assert "mlgate.model.accuracy_segment_a" in metrics
    tags = logged.data.tags
    assert tags["mlgate.verdict"] == "fail"
    assert tags["mlgate.commit"] == sha
    assert tags["mlgate.baseline"] == f"mlflow:models:/{name}@champion"
    assert tags["mlgate.baseline_note"] == (
        f"registered model {name!r} version {version} (alias @champion), run {run_id}"
    )
    assert logged.info.status == "FINISHED"
    files = {f.path for f in mlflow_client.list_artifacts(logged.info.run_id, "mlgate")}
    assert {"mlgate/report.json", "mlgate/report.md", "mlgate/junit.xml"} <= files


def test_a_candidate_from_a_run_is_logged_into_that_run(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    run = log_folder(mlflow_client, {"retrain.skops": project.root / "models" / "retrain.skops"})
    candidate = f"mlflow:runs:/{run.info.run_id}/model"
    config(project, candidate, "models/production.skops")
    done = project.run("run", "-q", "--log-to-mlflow", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"mlgate: logged to MLflow at {mlflow_server}: the candidate's run {run.info.run_id}"
    ]
    logged = mlflow_client.get_run(run.info.run_id)
    assert logged.data.tags["mlgate.verdict"] == "pass"
    assert "mlgate.model.roc_auc.delta" in logged.data.metrics
    files = {f.path for f in mlflow_client.list_artifacts(run.info.run_id, "mlgate")}
    assert "mlgate/report.json" in files


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_down_tracking_server_is_a_warning_and_the_exit_code_stands(project: Project) -> None:
    pytest.importorskip("mlflow")
    port = _dead_port()
    config(project, "models/retrain.skops", "models/production.skops", mlflow={"experiment": "x"})
    env = {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}"}
    done = project.run("run", "-q", env=env)
    assert done.returncode == 0, done.stderr
    line = (
        f"logging to MLflow failed: the MLflow server at http://127.0.0.1:{port} is "
        "unreachable (connection failed) after 2 retries"
    )
    assert done.stderr.splitlines() == [f"mlgate: warning: {line}"]
    required = project.run("run", "-q", "--require-publish", env=env)
    assert required.returncode == 3, required.stderr
    assert required.stderr.splitlines() == [
        f"mlgate: error: the MLflow server at http://127.0.0.1:{port} is unreachable "
        "(connection failed) after 2 retries"
    ]


def test_no_tracking_uri_is_a_warning(project: Project) -> None:
    pytest.importorskip("mlflow")
    config(project, "models/retrain.skops", "models/production.skops")
    done = project.run("run", "-q", "--log-to-mlflow", env={"MLFLOW_TRACKING_URI": ""})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "mlgate: warning: logging to MLflow failed: MLFLOW_TRACKING_URI is not set: nothing logged"
    ]


def test_baseline_save_copies_a_candidate_from_a_run(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    """`baseline save` with an `mlflow:` candidate records the fetched file, verified by digest."""
    import hashlib
    import json

    model = project.root / "models" / "retrain.skops"
    run = log_folder(mlflow_client, {"retrain.skops": model})
    config(project, f"mlflow:runs:/{run.info.run_id}/model", "models/production.skops")
    done = project.run("baseline", "save", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 0, done.stderr
    saved = project.root / "mlgate-baseline"
    manifest = json.loads((saved / "baseline.json").read_text())
    assert manifest["model"] == "retrain.skops"
    assert manifest["model_source"] == f"mlflow:runs:/{run.info.run_id}/model"
    assert manifest["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert (saved / "retrain.skops").read_bytes() == model.read_bytes()


def test_check_with_a_candidate_from_a_run_asks_for_a_baseline(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    """No default-branch file to take: the relative gates need models.baseline (exit 3)."""
    run = log_folder(mlflow_client, {"retrain.skops": project.root / "models" / "retrain.skops"})
    candidate = f"mlflow:runs:/{run.info.run_id}/model"
    config(project, candidate, "models/production.skops")
    config_file = project.root / "mlgate.yaml"
    config_file.write_text(
        config_file.read_text().replace("  baseline: models/production.skops\n", "")
    )
    assert "baseline" not in config_file.read_text()
    git_repo(project.root)
    done = project.run("check", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 3, done.stderr
    assert (
        f"mlgate: error: mlgate.yaml: models.baseline: not set, and models.candidate comes from "
        f"MLflow ({candidate}), not a file of this repository to take from the default branch; "
        "the relative gates need a production baseline: gates.model[0].max_drop, "
        "gates.model[1].max_drop (set models.baseline, or pass --baseline SPEC)"
    ) in done.stderr.splitlines()
