"""`mlflow:` baselines against a real MLflow server (SQLite backend, 127.0.0.1) and real client.

Models are registered and aliased by the tests the two ways users do it: a plain artifact folder
holding a model file (`create_model_version`), and an MLflow Model logged with a flavor
(`log_model` + `register_model`). The gate runs as the CLI in a subprocess.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from support.mlflow_server import log_folder, register_folder, unique
from support.projects import FEATURES, Project

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.resolver import SourceContext, resolve

pytest.importorskip("mlflow")

WHERE = "mlgate.yaml: models.baseline"


def ctx(tmp_path: Path, uri: str, **env: str) -> SourceContext:
    return SourceContext(
        root=tmp_path,
        cache=tmp_path / "cache",
        where=WHERE,
        env={"MLFLOW_TRACKING_URI": uri, **env},
    )


def gate_config(project: Project, baseline: Any, candidate: str = "models/retrain.skops") -> None:
    project.config(
        {
            "version": 1,
            "data": {"eval": "data/holdout.parquet", "target": "label"},
            "models": {"candidate": candidate, "baseline": baseline},
            "gates": {
                "model": [
                    {"metric": "roc_auc", "min": 0.7, "max_drop": 0.01},
                    {"metric": "accuracy", "max_drop": "1%"},
                ]
            },
        }
    )


# --- the registry end to end --------------------------------------------------------------------


@pytest.fixture
def champion(project: Project, mlflow_client: Any) -> tuple[str, str, str]:
    """production.skops registered as version 1 of a new model, aliased @champion."""
    name = unique("churn")
    version, run_id = register_folder(
        mlflow_client,
        name,
        {"production.skops": project.root / "models" / "production.skops"},
        alias="champion",
    )
    return name, version, run_id


def test_a_regression_against_champion_is_blocked_and_the_report_names_the_version(
    project: Project, mlflow_server: str, champion: tuple[str, str, str]
) -> None:
    name, version, run_id = champion
    gate_config(project, f"mlflow:models:/{name}@champion", candidate="models/regressed.skops")
    done = project.run("run", "-q", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 1, done.stderr
    report = project.report()
    baseline = report["context"]["baseline"]
    assert baseline["spec"] == f"mlflow:models:/{name}@champion"
    assert baseline["kind"] == "model" and baseline["paired"] is True
    assert baseline["note"] == (
        f"registered model {name!r} version {version} (alias @champion), run {run_id}"
    )
    auc = next(g for g in report["gates"] if g["id"] == "model.roc_auc")
    assert auc["status"] == "fail" and auc["candidate"] < auc["baseline"]
    assert "Downloading artifacts" not in done.stderr


def test_a_harmless_retrain_against_champion_passes(
    project: Project, mlflow_server: str, champion: tuple[str, str, str]
) -> None:
    name, _, _ = champion
    gate_config(project, f"mlflow:models:/{name}@champion")
    done = project.run("run", "-q", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 0, done.stderr
    assert project.report()["verdict"] == "pass"


def test_the_alias_follows_the_registry(
    project: Project, mlflow_server: str, mlflow_client: Any, champion: tuple[str, str, str]
) -> None:
    """Moving @champion to a new version changes what the next run compares against."""
    name, _, _ = champion
    version, run_id = register_folder(
        mlflow_client, name, {"m.skops": project.root / "models" / "regressed.skops"}, "champion"
    )
    found = resolve(f"mlflow:models:/{name}@champion", ctx(project.root, mlflow_server))
    assert version == "2" and found.path is not None and found.path.name == "m.skops"
    assert found.note == f"registered model {name!r} version 2 (alias @champion), run {run_id}"
    by_number = resolve(f"mlflow:models:/{name}/1", ctx(project.root, mlflow_server))
    assert by_number.path is not None and by_number.path.name == "production.skops"


# --- MLflow Models (MLmodel) ------------------------------------------------------------------


def _log_sklearn(mlflow_server: str, model_file: Path, **kwargs: Any) -> str:
    """Log a scikit-learn model with the MLflow sklearn flavor; returns the run id."""
    import mlflow
    import skops.io as sio

    model = sio.load(model_file, trusted=sio.get_untrusted_types(file=model_file))
    mlflow.set_tracking_uri(mlflow_server)
    mlflow.set_experiment(unique("flavor"))
    with mlflow.start_run() as run:
        # pip_requirements given: inferring them runs pip (a minute on a loaded machine)
        mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"], **kwargs)
    return str(run.info.run_id)


def test_a_registered_mlflow_model_loads_its_skops_file(
    project: Project, mlflow_server: str
) -> None:
    import mlflow

    run_id = _log_sklearn(
        mlflow_server, project.root / "models" / "production.skops", serialization_format="skops"
    )
    name = unique("flavored")
    mlflow.register_model(f"runs:/{run_id}/model", name)
    found = resolve(f"mlflow:models:/{name}/1", ctx(project.root, mlflow_server))
    assert found.kind == "model" and found.path is not None and found.path.name == "model.skops"
    assert (found.path.parent / "MLmodel").is_file()


def test_a_pickled_sklearn_flavor_needs_trust_and_the_message_says_so(
    project: Project, mlflow_server: str
) -> None:
    run_id = _log_sklearn(
        mlflow_server,
        project.root / "models" / "production.skops",
        serialization_format="cloudpickle",
    )
    spec = f"mlflow:runs:/{run_id}/model"
    gate_config(project, spec)
    done = project.run("run", "-q", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        "mlgate: error: model could not be evaluated: mlgate.yaml: models.baseline: model.pkl "
        "is a pickle file: loading it runs arbitrary code (set models.baseline.trust: true if "
        "you trust it, or save the model with skops)"
    ]
    gate_config(project, {"path": spec, "trust": True})
    done = project.run("run", "-q", env={"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 0, done.stderr


def test_a_run_artifact_holding_a_booster_file(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    xgboost = pytest.importorskip("xgboost")
    import pandas as pd

    rows = pd.read_parquet(project.root / "data" / "holdout.parquet")
    booster = xgboost.XGBClassifier(n_estimators=10, max_depth=2, n_jobs=1, random_state=0)
    booster.fit(rows[FEATURES], rows["label"])
    booster.save_model(project.root / "prod.ubj")
    run = log_folder(mlflow_client, {"prod.ubj": project.root / "prod.ubj"}, "xgb")
    found = resolve(f"mlflow:runs:/{run.info.run_id}/xgb", ctx(project.root, mlflow_server))
    assert found.kind == "model" and found.path is not None and found.path.name == "prod.ubj"
    assert found.note.startswith(f"run {run.info.run_id}, ") and found.note.endswith(
        ", artifact xgb"
    )
    from mlgate.load import models

    ref = models.ModelRef("models.baseline", WHERE, "mlflow", found.path, "xgboost")
    assert models.load(ref).classes is not None


# --- bad input: exit 3 (or 2 for a malformed spec), one line naming the spec --------------------


def test_unknown_model_alias_and_version(
    project: Project, mlflow_server: str, champion: tuple[str, str, str]
) -> None:
    name, _, _ = champion
    cases = {
        "mlflow:models:/no-such-model/1": "Model Version (name=no-such-model, version=1) not found",
        "mlflow:models:/no-such-model@champion": "Registered Model with name=no-such-model not found",
        f"mlflow:models:/{name}@gold": "Registered model alias gold not found.",
        f"mlflow:models:/{name}/7": f"Model Version (name={name}, version=7) not found",
        "mlflow:runs:/0123456789abcdef/model": "Run with id=0123456789abcdef not found",
    }
    for spec, why in cases.items():
        with pytest.raises(BaselineError) as caught:
            resolve(spec, ctx(project.root, mlflow_server))
        assert caught.value.lines() == [f"{WHERE}: {spec}: {why}"]


def test_a_version_with_no_loadable_model_file(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    notes = project.root / "README.txt.md"
    notes.write_text("no model here")
    name = unique("empty")
    register_folder(mlflow_client, name, {"README.md": notes, "params.yaml": notes})
    with pytest.raises(BaselineError) as caught:
        resolve(f"mlflow:models:/{name}/1", ctx(project.root, mlflow_server))
    assert caught.value.lines() == [
        f"{WHERE}: mlflow:models:/{name}/1 holds no model file mlgate can load (it holds: "
        "README.md, params.yaml) (log a .skops, .onnx, XGBoost, LightGBM or CatBoost file, "
        "or an MLflow Model)"
    ]


def test_a_version_with_two_model_files(
    project: Project, mlflow_server: str, mlflow_client: Any
) -> None:
    name = unique("two")
    models = project.root / "models"
    register_folder(
        mlflow_client,
        name,
        {"a.skops": models / "production.skops", "b.skops": models / "retrain.skops"},
    )
    with pytest.raises(BaselineError) as caught:
        resolve(f"mlflow:models:/{name}/1", ctx(project.root, mlflow_server))
    assert caught.value.lines() == [
        f"{WHERE}: mlflow:models:/{name}/1 holds several model files: a.skops, b.skops "
        "(name one: mlflow:runs:/RUN_ID/PATH/FILE)"
    ]


def _dead_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_down_server_fails_fast_in_one_line_without_credentials(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    port = _dead_port()
    context = ctx(
        tmp_path,
        f"http://alice:s3cret@127.0.0.1:{port}",
        MLFLOW_TRACKING_TOKEN="tok-123",
    )
    with pytest.raises(BaselineError) as caught:
        resolve("mlflow:models:/churn@champion", context)
    assert caught.value.lines() == [
        f"{WHERE}: mlflow:models:/churn@champion: the MLflow server at http://127.0.0.1:{port} "
        "is unreachable (connection failed) after 2 retries"
    ]


def test_a_down_server_through_the_cli_is_exit_3(project: Project) -> None:
    port = _dead_port()
    gate_config(project, "mlflow:models:/churn@champion")
    done = project.run("run", "-q", env={"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}"})
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if "mlgate" in line]
    assert errors == [
        "mlgate: error: model could not be evaluated: mlgate.yaml: models.baseline: "
        f"mlflow:models:/churn@champion: the MLflow server at http://127.0.0.1:{port} "
        "is unreachable (connection failed) after 2 retries"
    ], done.stderr


@pytest.mark.parametrize(
    ("spec", "env", "line"),
    [
        (
            "mlflow:models:/churn",
            {"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"},
            f"{WHERE}: cannot read 'mlflow:models:/churn' (use mlflow:models:/NAME@ALIAS, "
            "mlflow:models:/NAME/VERSION or mlflow:runs:/RUN_ID/PATH)",
        ),
        (
            "mlflow:models:/churn@champion",
            {"MLFLOW_TRACKING_URI": ""},
            f"{WHERE}: mlflow:models:/churn@champion needs the MLflow tracking server (set "
            "MLFLOW_TRACKING_URI (and MLFLOW_REGISTRY_URI if the registry is elsewhere))",
        ),
    ],
)
def test_a_malformed_spec_or_no_server_is_a_config_error(
    tmp_path: Path, spec: str, env: dict[str, str], line: str
) -> None:
    context = SourceContext(root=tmp_path, cache=tmp_path / "cache", where=WHERE, env=env)
    with pytest.raises(ConfigError) as caught:
        resolve(spec, context)
    assert caught.value.lines() == [line]


def test_a_server_answering_5xx_fails_after_the_retries(tmp_path: Path) -> None:
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        server.expect_request(re.compile("/api/.*")).respond_with_data("down", status=503)
        with pytest.raises(BaselineError) as caught:
            resolve("mlflow:models:/churn/3", ctx(tmp_path, server.url_for("").rstrip("/")))
        assert caught.value.lines() == [
            f"{WHERE}: mlflow:models:/churn/3: the MLflow server at "
            f"http://127.0.0.1:{server.port} answered with server errors (5xx) after 2 retries"
        ]
        assert len(server.log) == 3  # the first request and the two retries
    finally:
        server.clear()
        server.stop()
