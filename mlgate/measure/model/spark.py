"""Paired statistics on Spark: building blocks for model gates on `engine: spark` (issue 14).

NOT WIRED INTO THE MODEL GATES YET: on `engine: spark` the model gate kind still fails closed
(docs/spark.md). What is here is the part that must be deterministic across partitionings:

- `poisson_weights`: B bootstrap weight columns, each Poisson(1) drawn from a hash of the row's
  content and the seed (never the partition id or row order), so the same rows give the same
  weights in any partitioning and any run;
- `paired_sums`: Σd, Σd², n and the B weighted sums Σw_b·d, Σw_b in one aggregation, summed as
  DECIMAL(38,18) so the totals are exact (a float sum depends on the order partitions add up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from pyspark.sql import Column, DataFrame

EXACT = "decimal(38,18)"
MAX_WEIGHT = 12  # P(Poisson(1) > 12) < 1e-10: weights above it are cut at 12
_SCALE = float(2**63)


def _poisson_cdf() -> list[float]:
    """P(K <= k) for Poisson(1), k = 0..MAX_WEIGHT-1 (the inverse-CDF thresholds)."""
    total, term, out = 0.0, math.exp(-1.0), []
    for k in range(MAX_WEIGHT):
        total += term
        out.append(total)
        term /= k + 1
    return out


def poisson_weights(key: list[Column], seed: int, draws: int) -> list[Column]:
    """`draws` Poisson(1) weight columns from a hash of `key` (the row's content or id) and seed.

    u = |xxhash64(seed, b, key...)| / 2^63 is uniform on [0, 1); the weight is the number of
    Poisson(1) CDF thresholds below u (inverse-CDF sampling): a pure function of the row.
    """
    from pyspark.sql import functions as F

    thresholds = _poisson_cdf()
    out = []
    for b in range(draws):
        u = F.abs(F.xxhash64(F.lit(seed), F.lit(b), *key).cast("double")) / F.lit(_SCALE)
        weight = F.lit(0)
        for t in thresholds:
            weight = weight + F.when(u >= F.lit(t), 1).otherwise(0)
        out.append(weight.alias(f"w{b}"))
    return out


@dataclass(frozen=True)
class PairedSums:
    """Exact sums of the per-row paired differences d (candidate loss − baseline loss...)."""

    n: int
    total: float
    squares: float
    weighted: np.ndarray  # Σ w_b·d per bootstrap draw
    weights: np.ndarray  # Σ w_b per draw

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def se(self) -> float:
        """Standard error of the mean difference (sample variance, ddof=1)."""
        var = (self.squares - self.total**2 / self.n) / max(self.n - 1, 1)
        return math.sqrt(max(var, 0.0) / self.n)

    def replicates(self) -> np.ndarray:
        """The bootstrap replicates of the mean difference."""
        import numpy as np

        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = self.weighted / self.weights
        return out


def paired_sums(
    frame: DataFrame, diff: str, key: list[str], *, seed: int, draws: int
) -> PairedSums:
    """One aggregation over `frame`: n, Σd, Σd², and per draw Σw·d and Σw (exact decimals)."""
    import numpy as np
    from pyspark.sql import functions as F

    d = F.col(diff).cast("double")
    weights = poisson_weights([F.col(k) for k in key], seed, draws)
    exprs = [
        F.count(F.lit(1)).alias("n"),
        F.sum(d.cast(EXACT)).alias("s"),
        F.sum((d * d).cast(EXACT)).alias("ss"),
    ]
    for b, w in enumerate(weights):
        exprs.append(F.sum((w * d).cast(EXACT)).alias(f"sw{b}"))
        exprs.append(F.sum(w).alias(f"w{b}"))
    row = frame.agg(*exprs).first()
    if row is None:  # an aggregation without groups always has one row
        raise ValueError("Spark returned no row for an aggregation")
    return PairedSums(
        n=int(row["n"]),
        total=float(row["s"]),
        squares=float(row["ss"]),
        weighted=np.asarray([float(row[f"sw{b}"]) for b in range(draws)]),
        weights=np.asarray([float(row[f"w{b}"]) for b in range(draws)]),
    )
