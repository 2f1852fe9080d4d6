"""Data gates on engine: spark vs engine: pandas on the same rows (local[2], Parquet folders)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from support.frames import EXPECTATIONS, holdout, reference

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute
from mlgate.records import Report

pytestmark = pytest.mark.spark

SUITE = {
    "name": "holdout",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "plan"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "tenure", "min_value": 0, "max_value": 5},
        },
    ],
}
DRIFT = [
    {"drift": {"columns": "*", "method": m, "max": 0.2}, "id": f"drift.{m}"}
    for m in ("psi", "js", "chi2", "ks", "wasserstein")
]
GATES: list[dict[str, Any]] = [
    *EXPECTATIONS,
    {"expect": "expect_column_values_to_not_be_null", "column": "nope"},  # errored, both engines
    {"suite": "suite.json"},
    {"schema": {"allow_added": False}},
    *DRIFT,
]


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eval drifted in income (+0.75 sd), a new category, a flag column and some missing values."""
    cur, ref = holdout(), reference()
    cur["income"] = cur["income"] + 9_000
    cur.loc[cur.index[:40], "country"] = "XX"
    cur.loc[cur.index[40:60], "income"] = np.nan
    for frame, seed in ((cur, 3), (ref, 4)):
        frame["flag"] = np.random.default_rng(seed).integers(0, 3, len(frame))
    cur.loc[cur.index[:25], "flag"] = 7  # a value the reference never had
    return cur, ref


def project(root: Path, engine: Any) -> Path:
    """The same rows for both engines: single files for pandas, Parquet part folders for Spark."""
    cur, ref = frames()
    data = root / "data"
    data.mkdir(parents=True)
    if engine == "pandas":
        cur.to_parquet(data / "eval.parquet", index=False)
        ref.to_parquet(data / "reference.parquet", index=False)
        paths = {"eval": "data/eval.parquet", "reference": "data/reference.parquet"}
    else:
        for name, frame, parts in (("eval", cur, 3), ("reference", ref, 4)):
            (data / name).mkdir()
            bounds = np.linspace(0, len(frame), parts + 1).astype(int)
            for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
                frame.iloc[lo:hi].to_parquet(data / name / f"part-{i:05d}.parquet", index=False)
        paths = {"eval": "data/eval/", "reference": "data/reference"}
    (root / "suite.json").write_text(json.dumps(SUITE))
    config = {
        "version": 1,
        "data": {**paths, "target": "label", "id": "customer_id"},
        "engine": engine,
        "gates": {"data": GATES},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def run(root: Path) -> Report:
    return execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))


@pytest.fixture(scope="module")
def both(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Report]:
    pandas_report = run(project(tmp_path_factory.mktemp("pandas"), "pandas"))
    spark_report = run(project(tmp_path_factory.mktemp("spark"), {"name": "spark"}))
    return pandas_report, spark_report


def test_same_gate_ids_statuses_and_verdict(both: tuple[Report, Report]) -> None:
    pandas_report, spark_report = both
    assert [g.id for g in spark_report.gates] == [g.id for g in pandas_report.gates]
    assert {g.id: g.status for g in spark_report.gates} == {
        g.id: g.status for g in pandas_report.gates
    }
    assert spark_report.verdict == pandas_report.verdict == "error"  # the missing column errors
    statuses = {g.status for g in spark_report.gates}
    assert {"pass", "fail", "error"} <= statuses


def test_expectations_agree_exactly(both: tuple[Report, Report]) -> None:
    pandas_report, spark_report = both
    spark_gates = {g.id: g for g in spark_report.gates}
    expectation_ids = [g.id for g in pandas_report.gates if g.details.get("expectation")]
    assert len(expectation_ids) == len(EXPECTATIONS) + 1 + len(SUITE["expectations"])
    for gate in pandas_report.gates:
        if gate.id not in expectation_ids:
            continue
        other = spark_gates[gate.id]
        assert other.candidate == pytest.approx(gate.candidate), gate.id
        assert other.details["unexpected_count"] == gate.details["unexpected_count"], gate.id
        # the same message, but for the file name the data was read from
        assert other.message == gate.message.replace("data/eval.parquet", "data/eval/"), gate.id
    assert spark_gates["data.expect_column_values_to_not_be_null.nope"].message == (
        "mlgate.yaml: gates.data[12].column: column 'nope' is not in data/eval/; did you mean 'income'?"
    )


def test_schema_gate_from_the_spark_schema(both: tuple[Report, Report]) -> None:
    pandas_report, spark_report = both
    pandas_gate = next(g for g in pandas_report.gates if g.id == "data.schema")
    spark_gate = next(g for g in spark_report.gates if g.id == "data.schema")
    assert spark_gate.message == pandas_gate.message == "schema: 9 columns match the reference"
    assert spark_gate.details == pandas_gate.details


# Documented bounds (mlgate/measure/data/spark.py): binned scores move with bin shares of
# ≤ 2·1e-4; ks within 1/1000 + 2e-4; wasserstein within a grid bucket's share × width.
TOLERANCE = {"psi": 5e-3, "js": 5e-3, "chi2": 5e-3, "ks": 2e-3, "wasserstein": 1e-2}


def test_drift_scores_agree_within_the_stated_error(both: tuple[Report, Report]) -> None:
    pandas_report, spark_report = both
    spark_gates = {g.id: g for g in spark_report.gates}
    compared = 0
    for gate in pandas_report.gates:
        method = gate.details.get("method")
        if method is None:
            continue
        other = spark_gates[gate.id]
        if gate.status == "skip":
            assert other.status == "skip" and other.message == gate.message
            continue
        assert other.candidate == pytest.approx(gate.candidate, abs=TOLERANCE[method]), gate.id
        for key in ("type", "reference_rows", "eval_rows", "unseen", "unseen_count", "unseen_rows"):
            assert other.details.get(key) == gate.details.get(key), (gate.id, key)
        compared += 1
    assert compared == 3 * 7 + 2 * 5  # binned methods on 7 features, ks/wasserstein on 5 numbers
    income = spark_gates["drift.psi.income"]
    assert income.status == "fail" and income.candidate > 0.2
    flag = spark_gates["drift.psi.flag"]
    assert flag.details["unseen"] == ["7"] and flag.details["unseen_rows"] == 25
    country = spark_gates["drift.psi.country"]
    assert country.details["unseen"] == ["XX"] and country.details["unseen_rows"] == 40


def test_context_names_the_engine(both: tuple[Report, Report]) -> None:
    pandas_report, spark_report = both
    assert "engine" not in pandas_report.context  # the pandas report is as it always was
    engine = spark_report.context["engine"]
    assert engine["name"] == "spark" and engine["master"] == "local[2]"
    assert spark_report.context["eval"]["rows"] == pandas_report.context["eval"]["rows"] == 1000
    assert spark_report.context["eval"]["fingerprint"].startswith("spark-xxhash64-sum:")
