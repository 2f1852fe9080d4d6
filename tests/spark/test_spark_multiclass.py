"""Multiclass confusion metrics on engine: spark: the interval drawn from the same cell counts
as the pandas engine's (stats.multinomial_estimate), so both engines give the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from support.frames import customers

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute

pytestmark = pytest.mark.spark

FEATURES = ["age", "income", "tenure", "score"]
GATES = [
    {"metric": "f1_macro", "max_drop": 0.05},
    {"metric": "matthews_corrcoef", "max_drop": 0.05},
    {"metric": "balanced_accuracy", "slice": "plan", "max_drop": 0.1, "id": "by_plan"},
]


def tiers(n: int, seed: int) -> Any:
    frame = customers(n, seed=seed)
    noise = np.random.default_rng(seed).normal(0, 0.15, n)
    frame["tier"] = np.digitize(frame["score"] + noise, [0.35, 0.7]).astype(str)
    frame["tier"] = frame["tier"].map({"0": "bronze", "1": "silver", "2": "gold"})
    return frame.drop(columns="label")


def project(root: Path, engine: str) -> Path:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    train = tiers(2000, seed=1)
    X, y = train[FEATURES], train["tier"]
    sio.dump(DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y), root / "cand.skops")
    base = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    sio.dump(base, root / "base.skops")
    data = root / "data"
    data.mkdir()
    holdout = tiers(1500, seed=2)
    if engine == "pandas":
        holdout.to_parquet(data / "eval.parquet", index=False)
        path = "data/eval.parquet"
    else:
        (data / "eval").mkdir()
        shuffled = holdout.sample(frac=1.0, random_state=3)
        for i in range(3):
            part = shuffled.iloc[i * 500 : (i + 1) * 500]
            part.to_parquet(data / "eval" / f"part-{i}.parquet", index=False)
        path = "data/eval/"
    config = {
        "version": 1,
        "data": {"eval": path, "target": "tier", "id": "customer_id", "features": FEATURES},
        "engine": engine,
        "models": {"candidate": "cand.skops", "baseline": "base.skops"},
        "gates": {"model": GATES},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def test_multiclass_intervals_equal_the_pandas_engine(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reports = {}
    for engine in ("pandas", "spark"):
        root = project(tmp_path_factory.mktemp(engine), engine)
        config = load_config("mlgate.yaml", cwd=root)
        reports[engine] = {
            g.id: g for g in execute(config, RunOptions(out_dir=root / "out", env={})).gates
        }
    pandas_gates, spark_gates = reports["pandas"], reports["spark"]
    assert list(spark_gates) == list(pandas_gates)
    assert {"model.f1_macro", "by_plan[plan=basic]", "by_plan[plan=pro]"} <= set(pandas_gates)
    for gate_id, want in pandas_gates.items():
        got = spark_gates[gate_id]
        assert got.status == want.status, gate_id
        for key in ("candidate", "baseline", "delta"):
            assert getattr(got, key) == pytest.approx(getattr(want, key), abs=1e-9), (gate_id, key)
        assert want.ci is not None and got.ci == pytest.approx(want.ci, abs=1e-9), gate_id
        assert got.details["method"] == want.details["method"]
        assert want.details["method"].startswith("paired bootstrap of the cell counts (B=1000")
