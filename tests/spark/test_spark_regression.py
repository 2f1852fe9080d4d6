"""engine: spark on a regression: the losses, r2 and explained variance equal the pandas engine's.

The pandas engine decides these metrics by the normal interval of the per-row paired
differences from 300 rows (docs/design.md §5); Spark computes the same from exact sums, so on
the same rows the values, deltas and intervals agree to 1e-9 — sliced too — in any partitioning.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from support.frames import customers

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute
from mlgate.records import GateResult, Report

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
]


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
    cur = frame(3000, seed=2)
    data = root / "data"
    data.mkdir(parents=True)
    if engine == "pandas":
        cur.to_parquet(data / "eval.parquet", index=False)
        path = "data/eval.parquet"
    else:
        (data / "eval").mkdir()
        shuffled = cur.sample(frac=1.0, random_state=parts)
        bounds = np.linspace(0, len(cur), parts + 1).astype(int)
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            shuffled.iloc[lo:hi].to_parquet(data / "eval" / f"part-{i:05d}.parquet", index=False)
        path = "data/eval/"
    models(root)
    config = {
        "version": 1,
        "data": {"eval": path, "target": "spend", "id": "customer_id", "features": FEATURES},
        "engine": engine,
        "models": {"candidate": "cand.skops", "baseline": "base.skops", "task": "regression"},
        "gates": {"model": GATES},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def run(root: Path) -> Report:
    return execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))


def by_id(report: Report) -> dict[str, GateResult]:
    return {g.id: g for g in report.gates}


@pytest.fixture(scope="module")
def reports(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    return {
        "pandas": run(project(tmp_path_factory.mktemp("p"), "pandas")),
        "spark2": run(project(tmp_path_factory.mktemp("s2"), "spark", parts=2)),
        "spark5": run(project(tmp_path_factory.mktemp("s5"), "spark", parts=5)),
    }


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
        assert want.details["method"] == got.details["method"] == "paired per-row differences"
        assert got.ci == pytest.approx(want.ci, abs=1e-9), gate_id
        compared += 1
    assert compared >= 4 + 4 + 2  # four whole-set gates, four countries, two age bins at least
    assert {"r2_by_country[country=DE]", "ev_by_age[age=40-60]"} <= set(spark_gates)


def test_same_numbers_in_any_partitioning(reports: dict[str, Report]) -> None:
    assert [asdict(g) for g in reports["spark2"].gates] == [
        asdict(g) for g in reports["spark5"].gates
    ]
