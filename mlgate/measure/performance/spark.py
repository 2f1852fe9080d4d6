"""Performance budgets on `engine: spark`: timed in this process on a seeded sample of rows.

Latency, throughput and memory are properties of the model on a row or a batch, not of the
data set's size, so the budgets time the models here, as on the pandas engine, on at most
`SAMPLE_ROWS` eval rows picked by Spark: the rows with the smallest hash of (data.id, else the
whole row) and `policy.seed` — the same rows for any partitioning, and only they reach this
process (a distributed top-N, never the whole frame).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.load.inputs import Inputs

SAMPLE_ROWS = 10_000


def sample_note(rows: int) -> str:
    return (
        f"engine: spark: timed in this process on a seeded sample of {rows:,} eval rows "
        "(latency is per row; docs/spark.md)"
    )


def sample(inputs: Inputs) -> pd.DataFrame:
    """The feature columns of at most SAMPLE_ROWS eval rows, chosen by a seeded row hash."""
    from pyspark.sql import functions as F

    from mlgate.load.spark import quote as _q

    frame = inputs.spark_eval
    features = inputs.features
    id_col = inputs.config.data.id
    key = [id_col] if id_col and id_col in frame.columns else list(frame.columns)
    order = F.xxhash64(F.lit(inputs.config.policy.seed), *[F.col(_q(c)) for c in key])
    picked = (
        frame.select(order.alias("_k"), *[F.col(_q(c)) for c in features])
        .orderBy("_k", *[F.col(_q(c)) for c in features])
        .limit(SAMPLE_ROWS)
        .drop("_k")
    )
    try:
        result: pd.DataFrame = picked.toPandas()
    except Exception as exc:  # Spark itself failed: the budgets error (fail closed)
        from mlgate.errors import InputError
        from mlgate.load.spark import _first_line

        raise InputError(
            f"{inputs.loaded.where('data.eval')}: Spark could not sample rows to time: "
            f"{_first_line(exc)}"
        ) from None
    return result
