"""engine: spark on a regression: the losses, r2, explained variance, median and max error
equal the pandas engine's.

The pandas engine decides the first four by the normal interval of the per-row paired
differences (the median's influence) from 300 rows (docs/design.md §5), and max error by its
draw among the rows that can set a max; Spark computes the same from exact sums and the order
statistics it reads, so on the same rows the values, deltas and intervals agree to 1e-9 —
sliced too — in any partitioning.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.frames import customers
from support.spark_projects import by_id, engine_reports, write_config, write_eval

from mlgate.records import Report

pytestmark = pytest.mark.spark

FEATURES = ["age", "tenure", "score"]
GATES: list[dict[str, Any]] = [
    {"metric": "r2", "max_drop": 0.02, "min": 0.1},
    {"metric": "explained_variance", "max_drop": 0.02},
    {"metric": "mae", "max_increase": "3%"},
    {"metric": "rmse", "max_increase": 500},
    {"metric": "r2", "slice": "country", "max_drop": 0.05, "min_rows": 250, "id": "r2_by_country"},
    {
        "metric": "explained_variance",
        "slice": {"column": "age", "bins": [18, 40, 60]},
        "max_drop": 0.05,
        "id": "ev_by_age",
    },
    {"metric": "median_absolute_error", "max_increase": "5%"},
    {"metric": "max_error", "max_increase": "25%"},
    {"metric": "median_absolute_error", "slice": "country", "max_increase": 100, "min_rows": 250},
    # a scikit-learn scorer name with no distributed form: the pandas code on every row (3,000 ≤
    # max_bootstrap_rows), its row bootstrap in hash order: the same values, the interval within
    # Monte-Carlo error
    {"metric": "d2_absolute_error_score", "max_drop": 0.05},
]
BOOTSTRAPPED = {"d2_absolute_error_score"}
METHODS = {  # the pandas engine's interval from 300 rows, which Spark computes at any n
    "median_absolute_error": "paired median influence (Hall–Sheather sparsity)",
    "max_error": "paired bootstrap of the largest errors (B=1000, the ",
}


def frame(n: int, seed: int) -> Any:
    """customers() with a spend target that rises with score and tenure, noisier by country."""
    cur = customers(n, seed=seed)
    rng = np.random.default_rng(seed + 10)
    noise = rng.standard_t(4, n) * np.where(cur["country"] == cur["country"].iloc[0], 900, 600)
    cur["spend"] = (2_000 + 6_000 * cur["score"] + 250 * cur["tenure"] + noise).round(2)
    return cur


def models(root: Path) -> None:
    import skops.io as sio
    from sklearn.linear_model import LinearRegression
    from sklearn.tree import DecisionTreeRegressor

    train = frame(3000, seed=1)
    X, y = train[FEATURES], train["spend"]
    sio.dump(DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y), root / "cand.skops")
    sio.dump(LinearRegression().fit(X, y), root / "base.skops")


def project(root: Path, engine: str, parts: int = 3) -> Path:
    path = write_eval(root, frame(3000, seed=2), engine, parts)
    models(root)
    write_config(
        root,
        engine,
        {"eval": path, "target": "spend", "id": "customer_id", "features": FEATURES},
        {"candidate": "cand.skops", "baseline": "base.skops", "task": "regression"},
        GATES,
    )
    return root


@pytest.fixture(scope="module")
def reports(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    return engine_reports(tmp_path_factory, project, (2, 5))


def test_regression_gates_equal_the_pandas_engine(reports: dict[str, Report]) -> None:
    pandas_gates, spark_gates = by_id(reports["pandas"]), by_id(reports["spark2"])
    assert list(spark_gates) == list(pandas_gates)
    assert {g.status for g in pandas_gates.values()} >= {"pass", "fail"}  # both sides decided
    compared = 0
    for gate_id, want in pandas_gates.items():
        got = spark_gates[gate_id]
        assert got.status == want.status, gate_id
        if want.status == "skipped":
            assert got.message == want.message
            continue
        assert want.status != "error" and got.status != "error", (want.message, got.message)
        for key in ("candidate", "baseline", "delta"):
            assert getattr(got, key) == pytest.approx(getattr(want, key), abs=1e-9), (gate_id, key)
        if want.name in BOOTSTRAPPED:
            assert got.details["method"] == want.details["method"] == "paired bootstrap (B=1000)"
            assert want.ci is not None and got.ci is not None
            width = want.ci[1] - want.ci[0]
            assert got.ci[1] - got.ci[0] == pytest.approx(width, rel=0.15), gate_id
            assert abs(sum(got.ci) / 2 - sum(want.ci) / 2) < 0.1 * width, gate_id
            continue
        method = METHODS.get(want.name, "paired per-row differences")
        assert want.details["method"] == got.details["method"], gate_id
        assert got.details["method"].startswith(method), gate_id
        assert got.ci == pytest.approx(want.ci, abs=1e-9), gate_id
        # the stated smallest detectable worsening: the same spread and growth with it
        assert want.details["detectable"] is not None, gate_id
        assert got.details["detectable"] == pytest.approx(want.details["detectable"], rel=1e-6)
        compared += 1
    assert compared >= 6 + 4 + 2 + 4  # six whole-set gates, four countries, two age bins, four
    # countries of the median at least
    assert {"r2_by_country[country=DE]", "ev_by_age[age=40-60]"} <= set(spark_gates)


def test_same_numbers_in_any_partitioning(reports: dict[str, Report]) -> None:
    assert [asdict(g) for g in reports["spark2"].gates] == [
        asdict(g) for g in reports["spark5"].gates
    ]
