"""Cost of paired_estimate vs computing the metric once for both models, on generated binary rows.

For n = 10k (paired bootstrap, B=1000), 100k and 1M (per-row differences, DeLong, subsample
bootstrap on 20k rows) prints, per metric, the time of paired_estimate, the time of scoring both
models once with the same Metric, and their ratio (best of `--repeat` runs each).

    python benchmarks/stats_cost.py [--sizes 10000 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mlgate.measure.model.metrics import Predictions, resolve
from mlgate.measure.model.stats import paired_estimate

METRICS = ["accuracy", "f1", "roc_auc", "log_loss"]


def rows(n: int, seed: int = 0) -> tuple[np.ndarray, Predictions, Predictions]:
    """Binary truth and two correlated probabilistic models (the candidate slightly worse)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    signal = (2 * y - 1) * 1.2 + rng.normal(size=n)
    classes = np.array([0, 1])

    def model(noise: float) -> Predictions:
        p = 1 / (1 + np.exp(-(signal + noise * rng.normal(size=n))))
        return Predictions((p >= 0.5).astype(np.int64), np.column_stack([1 - p, p]), classes)

    return y, model(0.6), model(0.5)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'n':>9} {'metric':<9} {'estimate s':>10} {'once s':>8} {'ratio':>7}  method")
    for n in args.sizes:
        y, cand, base = rows(n)
        for name in METRICS:
            metric = resolve(name, task="binary")
            estimate = paired_estimate(metric, y, cand, base)  # warm-up, and the method used
            spent = best(lambda: paired_estimate(metric, y, cand, base), args.repeat)  # noqa: B023
            once = best(lambda: (metric.score(y, cand), metric.score(y, base)), args.repeat)  # noqa: B023
            print(
                f"{n:>9} {name:<9} {spent:>10.3f} {once:>8.4f} {spent / once:>7.1f}  "
                f"{estimate.method}"
            )


if __name__ == "__main__":
    main()
