"""Hash-seeded Poisson bootstrap sums on Spark: the same numbers for any partitioning."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlgate.measure.model.spark import paired_sums

pytestmark = pytest.mark.spark


def test_same_numbers_with_2_and_7_partitions(spark: Any) -> None:
    rng = np.random.default_rng(5)
    rows = pd.DataFrame({"id": np.arange(4000), "d": rng.normal(0.01, 0.3, 4000)})
    frame = spark.createDataFrame(rows)
    two = paired_sums(frame.repartition(2), "d", ["id"], seed=0, draws=50)
    seven = paired_sums(frame.repartition(7), "d", ["id"], seed=0, draws=50)
    assert (two.n, two.total, two.squares) == (seven.n, seven.total, seven.squares)
    assert np.array_equal(two.weighted, seven.weighted)
    assert np.array_equal(two.weights, seven.weights)
    # the exact part agrees with numpy on the same rows
    assert two.mean == pytest.approx(rows["d"].mean(), abs=1e-12)
    assert two.se == pytest.approx(rows["d"].std(ddof=1) / np.sqrt(4000), rel=1e-9)
    # Poisson(1) weights: each draw's total weight is ≈ n; the replicates spread like the se
    assert np.all(np.abs(two.weights / 4000 - 1) < 0.1)
    assert np.std(two.replicates()) == pytest.approx(two.se, rel=0.35)
    other_seed = paired_sums(frame.repartition(2), "d", ["id"], seed=1, draws=50)
    assert not np.array_equal(other_seed.weighted, two.weighted)
