"""engine: spark reads CSV/JSON/Parquet files, folders and globs; unsupported kinds fail closed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute
from mlgate.records import Report

pytestmark = pytest.mark.spark

GATES = [
    {"expect": "expect_table_row_count_to_equal", "value": 30},
    {
        "expect": "expect_column_values_to_be_between",
        "column": "a",
        "min_value": 0,
        "max_value": 29,
    },
]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": np.arange(30), "b": ["x", "y", "z"] * 10, "label": [0, 1] * 15})


def run(root: Path, eval_spec: str, **extra: Any) -> Report:
    config = {
        "version": 1,
        "data": {"eval": eval_spec, "target": "label"},
        "engine": "spark",
        "gates": {"data": GATES, **extra},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))


@pytest.mark.parametrize("layout", ["csv-folder", "jsonl-glob", "json-file", "parquet-glob"])
def test_each_format_reads_the_same_rows(spark: Any, tmp_path: Path, layout: str) -> None:
    rows = frame()
    folder = tmp_path / "d"
    folder.mkdir()
    halves = (rows.iloc[:12], rows.iloc[12:])
    if layout == "csv-folder":
        for i, part in enumerate(halves):
            part.to_csv(folder / f"part-{i}.csv", index=False)
        spec = "d/"
    elif layout == "jsonl-glob":
        for i, part in enumerate(halves):
            part.to_json(folder / f"part-{i}.jsonl", orient="records", lines=True)
        spec = "d/part-*.jsonl"
    elif layout == "json-file":
        rows.to_json(folder / "all.json", orient="records")
        spec = "d/all.json"
    else:
        for i, part in enumerate(halves):
            part.to_parquet(folder / f"p{i}.parquet", index=False)
        spec = "d/*.parquet"
    report = run(tmp_path, spec)
    assert [g.status for g in report.gates] == ["pass", "pass"], [g.error for g in report.gates]
    assert report.context["eval"]["rows"] == 30


def test_a_missing_folder_is_one_line_and_no_gate_passes(spark: Any, tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        run(tmp_path, "nowhere/")
    assert (
        str(info.value)
        == "mlgate.yaml: data.eval: not found: nowhere/ (paths are relative to the config file)"
    )


def test_latency_budgets_time_a_seeded_sample_on_spark(spark: Any, tmp_path: Path) -> None:
    """Performance budgets time the model in this process on a sample Spark picked; said so."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rows = frame()
    rows.to_parquet(tmp_path / "eval.parquet", index=False)
    model = LogisticRegression().fit(rows[["a"]], rows["label"])
    sio.dump(model, tmp_path / "candidate.skops")
    (tmp_path / "mlgate.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "data": {"eval": "eval.parquet", "target": "label", "features": ["a"]},
                "engine": "spark",
                "models": {"candidate": "candidate.skops"},
                "gates": {"performance": [{"latency_p95_ms": {"max": 100_000}}]},
            }
        )
    )
    report = execute(
        load_config("mlgate.yaml", cwd=tmp_path), RunOptions(out_dir=tmp_path / "out", env={})
    )
    [gate] = report.gates
    assert (gate.id, gate.kind) == ("perf.latency_p95_ms", "performance")
    assert gate.status != "error", gate.message
    assert gate.candidate is not None and gate.candidate >= 0
    assert (
        "engine: spark: timed in this process on a seeded sample of 30 eval rows "
        "(latency is per row; docs/spark.md)"
    ) in gate.notes


CHECKS = """
def test_spark_rows(mlgate_spark_eval):
    assert mlgate_spark_eval.count() == 30


def test_sample(mlgate_eval_sample):
    assert len(mlgate_eval_sample) == 30 and set(mlgate_eval_sample["b"]) == {"x", "y", "z"}


def test_whole_frame(mlgate_eval_data):
    assert len(mlgate_eval_data) == 30
"""


def test_custom_checks_get_spark_fixtures_and_a_sample(spark: Any, tmp_path: Path) -> None:
    frame().to_parquet(tmp_path / "eval.parquet", index=False)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_rows.py").write_text(CHECKS)
    report = run(tmp_path, "eval.parquet", custom=[{"pytest": "checks/"}])
    statuses = {g.id: g.status for g in report.gates if g.id.startswith("custom.")}
    assert statuses == {
        "custom.test_spark_rows": "pass",
        "custom.test_sample": "pass",
        "custom.test_whole_frame": "error",  # the whole frame in pandas: not on Spark
    }
    whole = next(g for g in report.gates if g.id == "custom.test_whole_frame")
    assert "engine: spark keeps them in Spark" in whole.message
