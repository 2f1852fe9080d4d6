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


def test_poisson_draws_are_poisson_1_and_a_function_of_the_row() -> None:
    from mlgate.measure.model.spark import poisson_draws

    keys = np.arange(200_000, dtype=np.int64) * 7919
    weights = poisson_draws(keys, 0, 0, 5)
    assert weights.shape == (5, 200_000)
    assert weights.mean() == pytest.approx(1.0, abs=0.01)
    assert weights.var() == pytest.approx(1.0, abs=0.02)
    assert abs(np.corrcoef(weights[0], weights[1])[0, 1]) < 0.01  # draws are independent
    # a row's weights do not depend on which other rows share its batch or their order
    again = poisson_draws(keys[::-1][:1000], 0, 0, 5)
    assert np.array_equal(again, weights[:, ::-1][:, :1000])
    assert np.array_equal(poisson_draws(keys, 0, 3, 2), weights[:, :][3:5])  # draw 3 is draw 3
    assert not np.array_equal(poisson_draws(keys, 1, 0, 5), weights)  # another seed
