"""Model gates on real scikit-learn models: what passes, what blocks, and every input that can't."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project, base_config, fit, make_data

from mlgate.config import load_config
from mlgate.errors import ConfigError, ExitCode
from mlgate.pipeline import RunOptions, execute
from mlgate.records import Report


def run(project: Project, doc: dict[str, Any]) -> Report:
    project.config(doc)
    loaded = load_config("mlgate.yaml", cwd=project.root)
    return execute(loaded, RunOptions(out_dir=project.root / "out", env={}))


def by_id(report: Report) -> dict[str, Any]:
    return {g.id: g for g in report.gates}


def test_harmless_retrain_passes(project: Project) -> None:
    report = run(project, base_config("models/retrain.skops"))
    assert report.verdict == "pass", [g.message for g in report.gates]
    gate = by_id(report)["model.roc_auc"]
    assert gate.baseline is not None and gate.ci is not None
    assert gate.ci[0] <= gate.delta <= gate.ci[1]  # type: ignore[operator]


def test_model_missing_its_best_features_is_blocked(project: Project) -> None:
    report = run(project, base_config("models/regressed.skops"))
    assert report.verdict == "fail"
    gate = by_id(report)["model.roc_auc"]
    assert gate.status == "fail" and gate.blocking
    assert gate.ci[1] < -0.01  # type: ignore[index]  # even the best case drops more than allowed
    assert "roc_auc dropped 0." in gate.message and "allowed 0.01" in gate.message


def test_same_inputs_same_numbers_same_verdict(project: Project) -> None:
    doc = base_config(
        "models/retrain.skops",
        model=[
            {"metric": "f1", "max_drop": 0.01},
            {"metric": "accuracy", "slice": "segment", "max_drop": 0.02},
        ],
    )
    first, second = run(project, doc), run(project, doc)
    strip = lambda r: [(g.id, g.status, g.candidate, g.baseline, g.ci) for g in r.gates]  # noqa: E731
    assert strip(first) == strip(second)


def test_seed_changes_the_resamples_not_the_point_estimates(project: Project) -> None:
    doc = base_config(model=[{"metric": "f1", "max_drop": 0.01}])
    a = run(project, doc)
    doc["policy"] = {"seed": 99}
    b = run(project, doc)
    assert a.gates[0].candidate == b.gates[0].candidate
    assert a.gates[0].ci != b.gates[0].ci


def test_slices_are_gated_with_row_counts_and_small_ones_reported(project: Project) -> None:
    doc = base_config(
        "models/regressed.skops",
        model=[
            {"metric": "accuracy", "slice": "segment", "max_drop": 0.01, "min_rows": 700},
        ],
    )
    gates = by_id(run(project, doc))
    assert set(gates) == {
        "model.accuracy[segment=a]",
        "model.accuracy[segment=b]",
        "model.accuracy[segment=c]",
    }
    assert gates["model.accuracy[segment=a]"].status == "fail"
    small = gates["model.accuracy[segment=c]"]
    assert small.status == "skipped" and "reported, not gated" in small.message
    assert small.details["slice"] == {"column": "segment", "value": "c", "rows": small.details["n"]}


def test_absolute_only_gates_need_no_baseline(project: Project) -> None:
    doc = base_config(model=[{"metric": "roc_auc", "min": 0.99}])
    del doc["models"]["baseline"]
    report = run(project, doc)
    assert report.verdict == "fail"
    assert report.gates[0].message.startswith("roc_auc 0.")
    assert "is below the minimum 0.99" in report.gates[0].message


def test_regression_metrics_and_lower_is_better(project: Project, tmp_path: Path) -> None:
    import numpy as np
    import skops.io as sio
    from sklearn.linear_model import Ridge

    data = make_data(2000, seed=5).drop(columns=["segment"])
    data["label"] = data["x0"] * 3 + np.random.default_rng(0).normal(size=len(data))
    data.to_csv(project.root / "data" / "reg.csv", index=False)
    X, y = data.drop(columns=["label"]), data["label"]
    sio.dump(Ridge(alpha=1.0).fit(X, y), project.root / "models" / "r1.skops")
    sio.dump(
        Ridge(alpha=1.0).fit(
            X[["x1"]].assign(**{c: 0.0 for c in X.columns if c != "x1"})[X.columns], y
        ),
        project.root / "models" / "r2.skops",
    )
    doc = {
        "version": 1,
        "data": {"eval": "data/reg.csv", "target": "label"},
        "models": {"candidate": "models/r2.skops", "baseline": "models/r1.skops"},
        "gates": {
            "model": [{"metric": "rmse", "max_increase": 0.05}, {"metric": "r2", "max_drop": 0.05}]
        },
    }
    report = run(project, doc)
    assert [g.status for g in report.gates] == ["fail", "fail"]
    assert report.diagnostics["task"] == "regression"


def test_module_function_metric(project: Project) -> None:
    (project.root / "my_metrics.py").write_text(
        "def hit_rate(y_true, y_pred):\n    return float((y_true == y_pred).mean())\n"
    )
    report = run(
        project,
        base_config(
            "models/regressed.skops", model=[{"metric": "my_metrics:hit_rate", "max_drop": 0.01}]
        ),
    )
    assert report.gates[0].id == "model.my_metrics:hit_rate"
    assert report.gates[0].status == "fail"


@pytest.mark.parametrize(
    ("gates", "expected"),
    [
        (
            [{"metric": "rocauc", "min": 0.5}],
            'mlgate.yaml: gates.model[0].metric: unknown metric "rocauc"; did you mean "roc_auc"? '
            "(any scikit-learn scorer name, or module:function)",
        ),
        (
            [{"metric": "log_loss", "max_drop": 0.1}],
            "mlgate.yaml: gates.model[0].max_drop: log_loss is better when lower, so a regression is an "
            "increase (use max_increase)",
        ),
    ],
)
def test_metric_config_errors(project: Project, gates: list[dict[str, Any]], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        run(project, base_config(model=gates))
    assert info.value.lines() == [expected]


def test_relative_gate_without_baseline_is_a_config_error(project: Project) -> None:
    doc = base_config()
    del doc["models"]["baseline"]
    with pytest.raises(ConfigError) as info:
        run(project, doc)
    assert info.value.lines() == [  # every gate it concerns, in one run (issue 18)
        "mlgate.yaml: gates.model[0]: roc_auc has a relative threshold (max_drop/max_increase) but "
        "there is no production baseline (set models.baseline, or pass --baseline SPEC)",
        "mlgate.yaml: gates.model[1]: accuracy has a relative threshold (max_drop/max_increase) "
        "but there is no production baseline (set models.baseline, or pass --baseline SPEC)",
    ]


def test_single_class_eval_set_errors_roc_auc_not_passes(project: Project) -> None:
    import pandas as pd

    frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
    frame[frame["label"] == 1].to_parquet(project.root / "data" / "ones.parquet")
    doc = base_config()
    doc["data"]["eval"] = "data/ones.parquet"
    report = run(project, doc)
    assert report.verdict == "error"
    gate = by_id(report)["model.roc_auc"]
    assert gate.status == "error" and "roc_auc" in gate.message and "class" in gate.message


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        (
            "corrupt",
            "mlgate.yaml: models.candidate: models/model.skops is not a readable skops file: BadZipFile",
        ),
        (
            "pickle",
            "mlgate.yaml: models.candidate: model.pkl is a pickle file: loading it runs arbitrary code",
        ),
        (
            "nan",
            "mlgate.yaml: models.candidate: the model failed to predict: ValueError: Input X contains NaN",
        ),
        ("no_target", "mlgate.yaml: data.target: column 'label' is not in data/nolabel.csv"),
    ],
)
def test_bad_inputs_error_the_gate_with_the_culprit(
    project: Project, setup: str, needle: str
) -> None:
    import joblib
    import pandas as pd

    doc = base_config("models/model.skops")
    models = project.root / "models"
    if setup == "corrupt":
        (models / "model.skops").write_bytes(b"PK\x03\x04 not really a zip")
    elif setup == "pickle":
        joblib.dump(fit(make_data(300, 1), seed=0), models / "model.pkl")
        doc["models"]["candidate"] = "models/model.pkl"
    elif setup == "nan":
        frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
        frame.loc[:5, "x0"] = float("nan")
        frame.to_parquet(project.root / "data" / "holdout.parquet")
        doc["models"]["candidate"] = "models/retrain.skops"
    elif setup == "no_target":
        frame = pd.read_parquet(project.root / "data" / "holdout.parquet").drop(columns=["label"])
        frame.to_csv(project.root / "data" / "nolabel.csv", index=False)
        doc["data"]["eval"] = "data/nolabel.csv"
        doc["models"]["candidate"] = "models/retrain.skops"
    try:
        report = run(project, doc)
    except Exception as exc:  # the failure must be an MlgateError with exit 3, not a crash
        from mlgate.errors import MlgateError

        assert isinstance(exc, MlgateError), exc
        assert exc.exit_code == ExitCode.CANNOT_EVALUATE
        assert needle in exc.lines()[0]
        return
    assert report.verdict == "error"
    assert any(needle in g.message for g in report.gates), [g.message for g in report.gates]


def test_a_missing_candidate_file_is_a_config_error_before_anything_runs(
    project: Project,
) -> None:
    # exit 2 at validation (was exit 3 after the data gates ran): a path typo is a config mistake
    doc = base_config("models/retrian.skops")
    with pytest.raises(ConfigError) as info:
        run(project, doc)
    assert info.value.lines() == [
        "mlgate.yaml: models.candidate: model file not found: models/retrian.skops; did you "
        "mean models/retrain.skops?"
    ]


def test_pickle_loads_with_explicit_trust(project: Project) -> None:
    import joblib

    joblib.dump(fit(make_data(4000, 11), seed=1), project.root / "models" / "model.joblib")
    doc = base_config({"path": "models/model.joblib", "trust": True})  # type: ignore[arg-type]
    assert run(project, doc).verdict == "pass"


def test_predictions_file_mode(project: Project) -> None:
    import pandas as pd
    import skops.io as sio

    frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
    X = frame.drop(columns=["label"])
    for name in ("production", "regressed"):
        model = sio.load(
            project.root / "models" / f"{name}.skops",
            trusted=sio.get_untrusted_types(file=project.root / "models" / f"{name}.skops"),
        )
        proba = model.predict_proba(X)
        pd.DataFrame(
            {"prediction": model.predict(X), "proba_0": proba[:, 0], "proba_1": proba[:, 1]}
        ).to_csv(project.root / f"{name}.csv", index=False)
    doc = base_config()
    doc["models"] = {
        "candidate": {"predictions": "regressed.csv"},
        "baseline": {"predictions": "production.csv"},
    }
    report = run(project, doc)
    assert by_id(report)["model.roc_auc"].status == "fail"


def test_onnx_model_matches_its_sklearn_source(project: Project) -> None:
    pytest.importorskip("skl2onnx", reason="the test extra installs skl2onnx")
    import pandas as pd
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
    numeric = frame.drop(columns=["segment"])
    numeric.to_parquet(project.root / "data" / "numeric.parquet")
    X = numeric.drop(columns=["label"]).to_numpy("float32")
    model = LogisticRegression().fit(X, numeric["label"])
    onx = to_onnx(model, X[:1], options={id(model): {"zipmap": False}})
    (project.root / "models" / "m.onnx").write_bytes(onx.SerializeToString())
    doc = {
        "version": 1,
        "data": {"eval": "data/numeric.parquet", "target": "label"},
        "models": {"candidate": "models/m.onnx"},
        "gates": {"model": [{"metric": "roc_auc", "min": 0.5}, {"metric": "accuracy", "min": 0.5}]},
    }
    report = run(project, doc)
    from sklearn.metrics import roc_auc_score

    expected = roc_auc_score(numeric["label"], model.predict_proba(X)[:, 1])
    assert by_id(report)["model.roc_auc"].candidate == pytest.approx(expected, abs=1e-5)


def test_skops_file_with_untrusted_types_stops_and_names_the_key(
    project: Project, tmp_path: Path
) -> None:
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    def double(x: Any) -> Any:
        return x * 2

    sio.dump(FunctionTransformer(double), project.root / "models" / "model.skops")
    report_or_error: Any
    try:
        report_or_error = run(project, base_config("models/model.skops"))
        messages = [g.message for g in report_or_error.gates]
    except Exception as exc:  # pragma: no cover - either path must name the types and the key
        messages = [str(exc)]
    assert any(
        "contains types mlgate does not trust" in m
        and "double" in m
        and "models.candidate.trust" in m
        for m in messages
    ), messages


def test_empty_eval_set_is_exit_3_naming_the_file(project: Project) -> None:
    import pandas as pd

    frame = pd.read_parquet(project.root / "data" / "holdout.parquet")
    frame.iloc[:0].to_csv(project.root / "data" / "empty.csv", index=False)
    doc = base_config()
    doc["data"]["eval"] = "data/empty.csv"
    project.config(doc)
    result = project.run("run")
    assert result.returncode == 3
    assert (
        result.stderr.strip() == "mlgate: error: mlgate.yaml: data.eval: the eval data has no rows"
    )
    assert project.report()["verdict"] == "error"


def test_nan_predictions_error_the_gates_never_pass(project: Project) -> None:
    import numpy as np
    import pandas as pd

    n = len(pd.read_parquet(project.root / "data" / "holdout.parquet"))
    proba = np.full(n, 0.5)
    proba[:7] = np.nan
    pd.DataFrame({"prediction": np.ones(n, dtype=int), "proba": proba}).to_csv(
        project.root / "preds.csv", index=False
    )
    doc = base_config({"predictions": "preds.csv"})  # type: ignore[arg-type]
    report = run(project, doc)
    assert report.verdict == "error"
    assert {g.status for g in report.gates} == {"error"}
    assert (
        "models.candidate: the model's probabilities are NaN or inf for 7 rows"
        in report.gates[0].message
    )


def test_saved_report_with_null_context_is_exit_3_in_one_line(project: Project) -> None:
    """A hand-edited saved report (`"context": null`) is refused by the one saved-report reader."""
    saved = project.root / "saved" / "report.json"
    saved.parent.mkdir()
    doc = {"schema": "mlgate.report/v1", "verdict": "pass", "context": None, "gates": []}
    saved.write_text(json.dumps(doc))
    config = base_config()
    config["models"]["baseline"] = "report:saved/report.json"
    project.config(config)
    result = project.run("run")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    line = (
        f"mlgate.yaml: models.baseline: saved report {saved}: 'context' is null, expected an "
        "object (point at a report.json written by mlgate (e.g. by `mlgate baseline save`))"
    )
    # the terminal wraps at its width: the headline starts the same line
    assert result.stdout.startswith("Error: model could not be evaluated: mlgate.yaml: models.")
    report = project.report()
    assert report["verdict"] == "error"
    assert [(g["id"], g["status"], g["message"]) for g in report["gates"]] == [
        ("model", "error", line)
    ]


def test_a_model_only_run_imports_no_library_of_other_gate_kinds(project: Project) -> None:
    """Nothing heavy for a gate kind the config does not use: no GX, Spark, MLflow or ONNX."""
    import subprocess
    import sys

    project.config(base_config("models/retrain.skops"))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mlgate.config import load_config\n"
        "from mlgate.pipeline import RunOptions, execute\n"
        "root = Path.cwd()\n"
        "report = execute(load_config('mlgate.yaml', cwd=root), "
        "RunOptions(out_dir=root / 'out', env={}))\n"
        "heavy = ('great_expectations', 'pyspark', 'mlflow', 'onnxruntime')\n"
        "print(report.verdict, sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project.root, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "pass []"
