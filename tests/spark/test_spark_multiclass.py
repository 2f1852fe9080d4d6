"""A three-class project on engine: spark vs engine: pandas (local[2]): multiclass log loss
from per-row sums, ROC AUC (ovr and ovo) from ranks, confusion metrics from drawn cell counts,
and the metrics with no distributed form (a scorer name, a module:function metric, `params:`)
scored by the pandas code on a seeded sample of rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support.spark_projects import by_id, engine_reports, write_config, write_eval

from mlgate.measure.model.stats import NORMAL_ROWS
from mlgate.records import Report

pytestmark = pytest.mark.spark

FEATURES = ["x1", "x2", "x3", "region"]
METRICS = "def macro_hits(y_true, y_pred):\n    return float((y_true == y_pred).mean())\n"
GATES: list[dict[str, Any]] = [
    {"metric": "log_loss", "max_increase": 0.05},
    {"metric": "roc_auc", "max_drop": 0.02},
    {"metric": "roc_auc_ovo_weighted", "max_drop": 0.02},
    {"metric": "roc_auc_ovr_weighted", "max_drop": 0.02},
    {"metric": "roc_auc_ovo", "max_drop": 0.02},
    # a bin of about 200 rows: below NORMAL_ROWS both engines bootstrap it
    {"metric": "roc_auc", "slice": {"column": "x1", "bins": [-9, -1.5, 9]}, "max_drop": 0.1},
    {"metric": "top_k_accuracy", "params": {"k": 2}, "max_drop": 0.02},
    {"metric": "spark_mc_metrics:macro_hits", "max_drop": 0.02},
    {"metric": "f1_macro", "max_drop": 0.03},
    {"metric": "balanced_accuracy", "slice": "zone", "max_drop": 0.05, "id": "bacc_by_zone"},
    {"metric": "roc_auc", "min": 0.8, "id": "auc_floor"},  # fails on both engines
    {"metric": "roc_auc", "slice": "zone", "max_drop": 0.05, "id": "auc_by_zone"},
    {"metric": "log_loss", "slice": "zone", "max_increase": 0.1, "id": "loss_by_zone"},
]
# values and interval from per-row terms (log loss), the same draws of the same cell counts
# (f1, balanced accuracy) or the pandas code on every row (ROC AUC): equal
EXACT = [
    "model.log_loss",
    "model.roc_auc",
    "model.roc_auc_ovo_weighted",
    "model.roc_auc_ovr_weighted",
    "model.roc_auc_ovo",
    "model.f1_macro",
]


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    region = rng.choice(["north", "south", "west"], size=n)
    logits = np.stack([x[:, 0], x[:, 1] - 0.3, 0.6 * x[:, 2] + 0.2 * (region == "west")], axis=1)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    label = np.array(["bird", "cat", "dog"])[[rng.choice(3, p=row) for row in p]]
    out = pd.DataFrame(x, columns=["x1", "x2", "x3"])
    out["region"] = (region == "west").astype(float)
    out["zone"] = region
    out["item_id"] = np.arange(n)
    out["label"] = label
    return out


def models(root: Path) -> None:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    train = frame(2000, seed=1)
    X, y = train[FEATURES], train["label"]
    sio.dump(LogisticRegression(max_iter=500).fit(X, y), root / "candidate.skops")
    tree = DecisionTreeClassifier(max_depth=4, min_samples_leaf=20, random_state=0)
    sio.dump(tree.fit(X, y), root / "baseline.skops")


def project(
    root: Path,
    engine: str,
    parts: int = 3,
    policy: dict[str, Any] | None = None,
    gates: list[dict[str, Any]] = GATES,
) -> Path:
    path = write_eval(root, frame(3000, seed=2), engine, parts)
    models(root)
    (root / "spark_mc_metrics.py").write_text(METRICS)
    write_config(
        root,
        engine,
        {"eval": path, "target": "label", "id": "item_id", "features": FEATURES},
        {"candidate": "candidate.skops", "baseline": "baseline.skops"},
        gates,
        policy,
    )
    return root


@pytest.fixture(scope="module")
def reports(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    return engine_reports(tmp_path_factory, project, (2,))


def test_every_multiclass_gate_is_computed_with_the_pandas_statuses(
    reports: dict[str, Report],
) -> None:
    pandas_report, spark_report = reports["pandas"], reports["spark2"]
    assert [g.id for g in spark_report.gates] == [g.id for g in pandas_report.gates]
    assert not [g.id for g in spark_report.gates if g.status == "error"], [
        g.message for g in spark_report.gates if g.status == "error"
    ]
    assert {g.id: g.status for g in spark_report.gates} == {
        g.id: g.status for g in pandas_report.gates
    }
    assert "auc_by_zone[zone=west]" in by_id(spark_report)
    assert {g.status for g in spark_report.gates} == {"pass", "fail"}
    assert by_id(spark_report)["auc_floor"].status == "fail"
    assert spark_report.context["engine"]["name"] == "spark"


def test_log_loss_and_roc_auc_agree_with_pandas_to_1e9(reports: dict[str, Report]) -> None:
    pandas_gates, spark_gates = by_id(reports["pandas"]), by_id(reports["spark2"])
    sliced = [i for i in pandas_gates if i.startswith(("auc_by_zone[", "loss_by_zone[", "bacc_"))]
    assert len(sliced) == 9
    for gate_id in [*EXACT, *sliced]:
        want, got = pandas_gates[gate_id], spark_gates[gate_id]
        for key in ("candidate", "baseline", "delta"):
            assert getattr(got, key) == pytest.approx(getattr(want, key), abs=1e-9), (gate_id, key)
        assert want.ci is not None and got.ci is not None
        assert got.ci == pytest.approx(want.ci, abs=1e-9), gate_id
        assert got.details["method"] == want.details["method"], gate_id
        # the stated smallest detectable worsening: the same spread and growth with it
        assert want.details["detectable"] is not None, gate_id
        assert got.details["detectable"] == pytest.approx(want.details["detectable"], rel=1e-6)


def test_scorer_and_function_metrics_have_the_pandas_values_and_bootstrap_width(
    reports: dict[str, Report],
) -> None:
    """Every row reaches the driver (3,000 ≤ max_bootstrap_rows): the values are exact; the row
    bootstrap resamples them in another order (sorted by the row hash), so the interval agrees
    within Monte-Carlo error (B=1000: the sd's relative error is about 2.2%)."""
    pandas_gates, spark_gates = by_id(reports["pandas"]), by_id(reports["spark2"])
    small = "model.roc_auc#2[x1=-9--1.5]"
    assert pandas_gates[small].details["n"] < NORMAL_ROWS
    assert pandas_gates[small].details["method"].startswith("paired bootstrap")
    for gate_id in ("model.top_k_accuracy", "model.spark_mc_metrics:macro_hits", small):
        want, got = pandas_gates[gate_id], spark_gates[gate_id]
        assert got.details["method"] == want.details["method"], gate_id
        for key in ("candidate", "baseline", "delta"):
            assert getattr(got, key) == pytest.approx(getattr(want, key), abs=1e-12), gate_id
        assert want.ci is not None and got.ci is not None
        width_p, width_s = want.ci[1] - want.ci[0], got.ci[1] - got.ci[0]
        assert width_s == pytest.approx(width_p, rel=0.15), gate_id
        assert "sample" not in got.details


def test_a_group_larger_than_the_sample_is_scored_on_the_same_rows_in_any_files_and_says_so(
    spark: Any, tmp_path: Path
) -> None:
    from support.spark_projects import run

    policy = {"max_bootstrap_rows": 1000}
    gates = [GATES[i] for i in (0, 1, 6, 7, 8)]  # log loss, AUC, scorer, function, f1
    runs = [run(project(tmp_path / f"s{parts}", "spark", parts, policy, gates)) for parts in (2, 5)]
    full = run(project(tmp_path / "p", "pandas", gates=gates))
    for a, b in zip(*(r.gates for r in runs), strict=True):  # the same rows in other files
        assert (a.id, a.status, a.candidate, a.baseline, a.ci) == (
            b.id,
            b.status,
            b.candidate,
            b.baseline,
            b.ci,
        )
    for gate_id in ("model.top_k_accuracy", "model.spark_mc_metrics:macro_hits"):
        first, second = (by_id(r)[gate_id] for r in runs)
        assert first.details["sample"] == {"rows": 1000, "of": 3000}
        assert any("seeded sample of 1,000 of the 3,000 rows" in n for n in first.notes)
        assert (first.candidate, first.baseline, first.ci) == (
            second.candidate,
            second.baseline,
            second.ci,
        )
        whole = by_id(full)[gate_id]
        assert first.candidate != whole.candidate  # a third of the rows: not the full value
        assert abs(first.candidate - whole.candidate) < 0.05
        assert first.ci is not None and whole.ci is not None
        assert first.ci[1] - first.ci[0] > whole.ci[1] - whole.ci[0]  # fewer rows, wider
    for gate_id in ("model.log_loss", "model.roc_auc", "model.f1_macro"):  # on every row
        assert "sample" not in by_id(runs[0])[gate_id].details
        assert by_id(runs[0])[gate_id].candidate == pytest.approx(by_id(full)[gate_id].candidate)


def test_a_class_the_models_do_not_know_is_an_error_gate_on_both_engines(
    spark: Any, tmp_path: Path
) -> None:
    from support.spark_projects import run

    gates = [GATES[0], GATES[1], GATES[6]]  # log loss, ROC AUC, a scorer on probabilities
    reports = {}
    for engine in ("pandas", "spark"):
        root = project(tmp_path / engine, engine, 2, gates=gates)
        rows = frame(3000, seed=2)
        rows.loc[rows.index[:40], "label"] = "eel"  # in the eval rows, unknown to both models
        (root / "data").rename(root / "unused")
        write_eval(root, rows, engine, 2)
        reports[engine] = run(root)
    for want, got in zip(reports["pandas"].gates, reports["spark"].gates, strict=True):
        assert (got.id, got.status) == (want.id, "error"), got.message
    loss = by_id(reports["spark"])["model.log_loss"].message
    assert "the eval rows hold a class the model does not know" in loss
    assert reports["spark"].verdict == "error"


def test_a_model_with_more_classes_than_spark_keeps_probabilities_for_says_the_limit(
    spark: Any, tmp_path: Path
) -> None:
    """101 classes: the Spark engine keeps no probability columns above MAX_CLASSES, so a
    probability gate is an error gate naming that limit and the way out; a label metric on
    the same models is computed."""
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier
    from support.spark_projects import run

    from mlgate.measure.model.spark import MAX_CLASSES

    rng = np.random.default_rng(5)
    rows = pd.DataFrame({"x1": rng.normal(size=3000), "item_id": np.arange(3000)})
    rows["label"] = np.clip(((rows["x1"] + 3) / 6 * 101).astype(int), 0, 100)
    rows.loc[rows.index[:101], "label"] = np.arange(101)  # every class seen
    for name, depth in (("candidate", 9), ("baseline", 8)):
        tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(
            rows[["x1"]], rows["label"]
        )
        sio.dump(tree, tmp_path / f"{name}.skops")
    path = write_eval(tmp_path, rows, "spark", 2)
    gates = [{"metric": "log_loss", "max_increase": 0.5}, {"metric": "accuracy", "max_drop": 0.5}]
    write_config(
        tmp_path,
        "spark",
        {"eval": path, "target": "label", "id": "item_id", "features": ["x1"]},
        {"candidate": "candidate.skops", "baseline": "baseline.skops"},
        gates,
        None,
    )
    report = by_id(run(tmp_path))
    loss = report["model.log_loss"]
    assert loss.status == "error"
    assert f"has 101 classes, more than the {MAX_CLASSES} the Spark engine keeps" in loss.message
    assert "engine: pandas" in loss.message
    assert report["model.accuracy"].status == "pass"


def test_a_run_in_an_ambient_session_leaves_nothing_persisted(spark: Any, tmp_path: Path) -> None:
    """spark-submit or Databricks: the session outlives the run, so what the run persisted (the
    scored rows, the rank tables) is freed when it ends, the same number of persisted frames
    before and after."""
    from support.spark_projects import run

    def persisted() -> int:
        return int(spark.sparkContext._jsc.getPersistentRDDs().size())

    before = persisted()
    report = run(project(tmp_path, "spark", 2, gates=[GATES[1], GATES[4]]))  # ovr and ovo AUC
    assert len(report.gates) == 2 and all(g.status != "error" for g in report.gates)
    assert persisted() == before
