"""Custom checks on `engine: spark`: fixtures for the Spark rows and a seeded pandas sample.

Registered as a pytest plugin next to mlgate's own when engine: spark is configured. A check
that asks for `mlgate_eval_data` (the whole eval frame in pandas) still errors on Spark, with
the reason; these fixtures are what a check uses there instead:

- `mlgate_spark_eval` / `mlgate_spark_reference`: the Spark DataFrames (aggregate with Spark);
- `mlgate_eval_sample`: at most SAMPLE_ROWS eval rows as pandas, the rows with the smallest
  hash of (data.id, else the whole row) and policy.seed — the same rows for any partitioning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.load.inputs import Inputs

SAMPLE_ROWS = 10_000


@pytest.fixture(scope="session")
def mlgate_spark_eval(mlgate_inputs: Inputs) -> Any:
    """The eval rows as a Spark DataFrame (engine: spark)."""
    return mlgate_inputs.spark_eval


@pytest.fixture(scope="session")
def mlgate_spark_reference(mlgate_inputs: Inputs) -> Any:
    """The reference rows as a Spark DataFrame; skipped when no data.reference is configured."""
    frame = mlgate_inputs.spark_reference
    if frame is None:
        pytest.skip("no data.reference configured")
    return frame


@pytest.fixture
def mlgate_eval_sample(mlgate_inputs: Inputs) -> pd.DataFrame:
    """A seeded sample of at most SAMPLE_ROWS eval rows as pandas (this check's own copy)."""
    return sample(mlgate_inputs, SAMPLE_ROWS)


def sample(inputs: Inputs, rows: int) -> pd.DataFrame:
    from pyspark.sql import functions as F

    from mlgate.load.spark import quote as _q

    frame = inputs.spark_eval
    id_col = inputs.config.data.id
    key = [id_col] if id_col and id_col in frame.columns else list(frame.columns)
    order = F.xxhash64(F.lit(inputs.config.policy.seed), *[F.col(_q(c)) for c in key])
    picked = (
        frame.select(order.alias("_k"), *[F.col(_q(c)) for c in frame.columns])
        .orderBy("_k", *[F.col(_q(c)) for c in frame.columns])
        .limit(rows)
        .drop("_k")
    )
    result: pd.DataFrame = picked.toPandas()
    return result
