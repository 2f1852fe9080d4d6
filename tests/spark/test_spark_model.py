"""Model gates on engine: spark vs engine: pandas on the same rows and models (local[2])."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from support.frames import customers
from support.spark_projects import by_id, engine_reports, run, write_config, write_eval

from mlgate.measure.model.stats import NORMAL_ROWS
from mlgate.records import Report

pytestmark = pytest.mark.spark

FEATURES = ["age", "income", "tenure", "score"]
EXACT = [
    "model.accuracy",
    "model.log_loss",
    "model.brier_score",
    "model.roc_auc",
    "model.average_precision",
    "model.recall",  # the paired score interval of the differing positives, from counts
]
GATES: list[dict[str, Any]] = [
    {"metric": "accuracy", "max_drop": 0.02, "min": 0.5},
    {"metric": "log_loss", "max_increase": 0.01},
    {"metric": "brier_score", "max_increase": 0.01},
    {"metric": "roc_auc", "max_drop": 0.01},
    {"metric": "f1", "max_drop": 0.02},
    {"metric": "recall", "max_drop": 0.02},
    {"metric": "balanced_accuracy", "max_drop": 0.05},
    {"metric": "accuracy", "slice": "country", "max_drop": 0.05, "id": "by_country"},
    {
        "metric": "roc_auc",
        "slice": {"column": "age", "bins": [18, 40, 60]},
        "max_drop": 0.05,
        "id": "by_age",
    },
    {"metric": "average_precision", "max_drop": 0.02, "min": 0.1},
    {"metric": "average_precision", "slice": "country", "max_drop": 0.05, "id": "ap_by_country"},
    {
        "metric": "f1",
        "params": {"zero_division": 1.0},
        "min": 0.1,
        "id": "f1_params",
    },  # no distributed form: the pandas code on the driver
]


def models(root: Path) -> None:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    train = customers(3000, seed=1)
    X, y = train[FEATURES], train["label"]
    candidate = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    baseline = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    sio.dump(candidate, root / "candidate.skops")
    sio.dump(baseline, root / "baseline.skops")


def project(root: Path, engine: str, parts: int = 3, policy: dict[str, Any] | None = None) -> Path:
    path = write_eval(root, customers(3000, seed=2), engine, parts)
    models(root)
    write_config(
        root,
        engine,
        {"eval": path, "target": "label", "id": "customer_id", "features": FEATURES},
        {"candidate": "candidate.skops", "baseline": "baseline.skops"},
        GATES,
        policy,
    )
    return root


@pytest.fixture(scope="module")
def reports(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    return engine_reports(tmp_path_factory, project, (2, 7))


def test_same_gate_ids_statuses_and_verdict(reports: dict[str, Report]) -> None:
    pandas_report, spark_report = reports["pandas"], reports["spark2"]
    assert [g.id for g in spark_report.gates] == [g.id for g in pandas_report.gates]
    spark_status = {g.id: g.status for g in spark_report.gates}
    pandas_status = {g.id: g.status for g in pandas_report.gates}
    assert spark_status == pandas_status
    assert {"by_country[country=FR]", "by_age[age=40-60]", "ap_by_country[country=FR]"} <= set(
        spark_status
    )


def test_a_metric_with_params_is_scored_by_the_pandas_code_on_every_row(
    reports: dict[str, Report],
) -> None:
    """f1 with params (no distributed form): 3,000 rows ≤ max_bootstrap_rows, so every row
    reaches the driver and its values are the pandas engine's; no sample note."""
    want, got = by_id(reports["pandas"])["f1_params"], by_id(reports["spark2"])["f1_params"]
    assert got.status == want.status == "pass"
    assert got.candidate == pytest.approx(want.candidate, abs=1e-12)
    assert got.baseline == pytest.approx(want.baseline, abs=1e-12)
    assert "sample" not in got.details
    assert got.details["n"] == want.details["n"] == 3000


def test_exact_metrics_agree_with_pandas_to_1e9(reports: dict[str, Report]) -> None:
    pandas_gates, spark_gates = by_id(reports["pandas"]), by_id(reports["spark2"])
    sliced = [i for i in pandas_gates if i.startswith(("by_country[", "by_age[", "ap_by_country["))]
    compared = ci_compared = 0
    for gate_id in [*EXACT, *sliced]:
        want, got = pandas_gates[gate_id], spark_gates[gate_id]
        if want.status == "skipped":
            assert got.status == "skipped" and got.message == want.message
            continue
        for key in ("candidate", "baseline", "delta"):
            assert getattr(got, key) == pytest.approx(getattr(want, key), abs=1e-9), (gate_id, key)
        assert want.ci is not None and got.ci is not None
        if want.details["n"] >= NORMAL_ROWS:  # below, the pandas engine bootstraps them
            assert got.ci == pytest.approx(want.ci, abs=1e-9), gate_id
            ci_compared += 1
        assert got.details["n"] == want.details["n"]
        compared += 1
    assert compared >= len(EXACT) + 5
    assert ci_compared >= len(EXACT) + 2
    for gate_id in ("model.f1", "model.balanced_accuracy"):  # exact point values from counts
        for key in ("candidate", "baseline", "delta"):
            want = getattr(pandas_gates[gate_id], key)
            assert getattr(spark_gates[gate_id], key) == pytest.approx(want, abs=1e-9)


def test_bootstrap_intervals_within_monte_carlo_error(reports: dict[str, Report]) -> None:
    """f1 and balanced accuracy: Poisson bootstrap on Spark vs the pandas engine's paired
    bootstrap (B=1000 each): the half-widths agree within 15% (an sd from 1000 replicates has
    a relative Monte-Carlo error of about 2.2%; the two schemes also differ by O(1/n))."""
    pandas_gates, spark_gates = by_id(reports["pandas"]), by_id(reports["spark2"])
    for gate_id in ("model.f1", "model.balanced_accuracy"):
        want, got = pandas_gates[gate_id], spark_gates[gate_id]
        assert want.ci is not None and got.ci is not None
        width_p, width_s = want.ci[1] - want.ci[0], got.ci[1] - got.ci[0]
        assert width_s == pytest.approx(width_p, rel=0.15), gate_id
        centre_p, centre_s = sum(want.ci) / 2, sum(got.ci) / 2
        assert abs(centre_s - centre_p) < 0.1 * width_p, gate_id


def test_same_numbers_with_2_and_7_partitions(reports: dict[str, Report]) -> None:
    two, seven = reports["spark2"], reports["spark7"]
    assert [asdict(g) for g in two.gates] == [asdict(g) for g in seven.gates]
    f1 = by_id(two)["model.f1"]
    assert f1.ci is not None and f1.ci == by_id(seven)["model.f1"].ci  # the bootstrap too


def test_context_names_engine_and_master(reports: dict[str, Report]) -> None:
    engine = reports["spark2"].context["engine"]
    assert engine["name"] == "spark" and engine["master"] == "local[2]"


class Shipped:
    """What a worker sees of a broadcast: its value."""

    def __init__(self, value: Any) -> None:
        self.value = value


def test_a_worker_never_scores_with_an_earlier_broadcasts_model() -> None:
    """A Python worker outlives a run (spark.python.worker.reuse), and each task unpickles a
    new broadcast object, so a freed one's id() comes back: the cache keys on the driver's
    token, and a new token drops the models before it."""
    from mlgate.measure.model.spark import _LOADED, _worker_model

    first = Shipped(("token-1", {"c": ("object", "model of run 1")}))
    assert _worker_model(first, "c") == "model of run 1"
    del first
    for n in range(2, 6):  # a freed object's address is handed out again at once
        shipped = Shipped((f"token-{n}", {"c": ("object", f"model of run {n}")}))
        assert _worker_model(shipped, "c") == f"model of run {n}"
        assert set(_LOADED) == {(f"token-{n}", "c")}
        del shipped


def test_back_to_back_runs_in_one_session_each_score_their_own_models(
    spark: Any, tmp_path: Path
) -> None:
    """Two projects in one SparkSession whose models want other features: the second run's
    workers must load its models, not reuse the first run's (which would fail to predict)."""
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    train = customers(600, seed=3)
    values = {}
    for name, features in (("a", ["age", "tenure"]), ("b", ["income", "score", "tenure"])):
        for engine in ("spark", "pandas"):
            root = tmp_path / f"{name}-{engine}"
            path = write_eval(root, customers(400, seed=4), engine, 2)
            for file, depth in (("cand.skops", 3), ("base.skops", 1)):
                model = DecisionTreeClassifier(max_depth=depth, random_state=0)
                sio.dump(model.fit(train[features], train["label"]), root / file)
            write_config(
                root,
                engine,
                {"eval": path, "target": "label", "id": "customer_id", "features": features},
                {"candidate": "cand.skops", "baseline": "base.skops"},
                [{"metric": "accuracy", "max_drop": 0.5}],
            )
            gate = by_id(run(root))["model.accuracy"]
            assert gate.status == "pass", (name, engine, gate.message)
            values[name, engine] = (gate.candidate, gate.baseline)
        assert values[name, "spark"] == pytest.approx(values[name, "pandas"], abs=1e-12)
    assert values["a", "spark"] != values["b", "spark"]
