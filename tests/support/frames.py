"""Customer-like frames from fixed seeds: a reference (training) set and a clean eval set.

Both come from the same distribution, so every data gate must pass on them; each test then
injects one defect (nulls, out-of-range values, unknown categories, a shifted column).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

COUNTRIES = ["FR", "DE", "US", "ES"]


def customers(n: int, seed: int) -> pd.DataFrame:
    """n rows: id, age, income, tenure, country, plan, score, label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(seed * 1_000_000, seed * 1_000_000 + n),
            "age": rng.integers(18, 91, n),
            "income": rng.normal(50_000, 12_000, n).clip(5_000).round(2),
            "tenure": rng.exponential(3.0, n).round(3),
            "country": rng.choice(COUNTRIES, n, p=[0.4, 0.3, 0.2, 0.1]),
            "plan": rng.choice(["basic", "pro"], n, p=[0.7, 0.3]),
            "score": rng.uniform(0, 1, n).round(4),
        }
    )
    frame["label"] = (rng.random(n) < 0.3 + 0.4 * frame["score"]).astype(int)
    return frame


def reference() -> pd.DataFrame:
    return customers(3000, seed=1)


def holdout() -> pd.DataFrame:
    return customers(1000, seed=2)


# Twelve typical expectations on these frames, as mlgate.yaml `expect` gates.
EXPECTATIONS: list[dict[str, Any]] = [
    {"expect": "expect_column_values_to_not_be_null", "column": "age"},
    {"expect": "expect_column_values_to_not_be_null", "column": "income"},
    {"expect": "expect_column_values_to_not_be_null", "column": "country"},
    {
        "expect": "expect_column_values_to_be_between",
        "column": "age",
        "min_value": 18,
        "max_value": 90,
    },
    {
        "expect": "expect_column_values_to_be_between",
        "column": "income",
        "min_value": 0,
        "max_value": 500_000,
    },
    {"expect": "expect_column_values_to_be_in_set", "column": "country", "value_set": COUNTRIES},
    {
        "expect": "expect_column_values_to_be_in_set",
        "column": "plan",
        "value_set": ["basic", "pro"],
    },
    {"expect": "expect_column_values_to_be_unique", "column": "customer_id"},
    {
        "expect": "expect_column_mean_to_be_between",
        "column": "income",
        "min_value": 45_000,
        "max_value": 55_000,
    },
    {
        "expect": "expect_column_values_to_be_between",
        "column": "score",
        "min_value": 0,
        "max_value": 1,
    },
    {"expect": "expect_column_max_to_be_between", "column": "tenure", "max_value": 100},
    {"expect": "expect_table_row_count_to_be_between", "min_value": 100, "max_value": 1_000_000},
]


def write_project(
    root: Path,
    gates: list[dict[str, Any]],
    *,
    eval_frame: pd.DataFrame | None = None,
    reference_frame: pd.DataFrame | None = None,
    with_reference: bool = True,
    data: dict[str, Any] | None = None,
) -> Path:
    """A project folder with data/eval.csv, data/reference.parquet and an mlgate.yaml."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (holdout() if eval_frame is None else eval_frame).to_csv(
        root / "data" / "eval.csv", index=False
    )
    section: dict[str, Any] = {"eval": "data/eval.csv", "target": "label", "id": "customer_id"}
    if with_reference:
        (reference() if reference_frame is None else reference_frame).to_parquet(
            root / "data" / "reference.parquet", index=False
        )
        section["reference"] = "data/reference.parquet"
    section.update(data or {})
    config = {"version": 1, "data": section, "gates": {"data": gates}}
    path = root / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
