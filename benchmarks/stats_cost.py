"""Cost of paired_estimate vs scoring the metric once for both models, for every built-in metric.

For each registry metric (binary, 4-class and regression rows generated here) and each n, prints
the time of paired_estimate, the time of scoring both models once with the same Metric (one
scikit-learn call each), their ratio (best of `--repeat` runs each: the run least disturbed by
other load) and the method used (docs/design.md §5): the paired score interval (accuracy),
cell-count draws (confusion metrics: a Dirichlet), DeLong (binary ROC AUC) at any n; the
per-row normal (losses, r2, explained variance, median error, average precision, multiclass
ROC AUC) and max error's top-row draw from 300 rows; the rest, the paired bootstrap (B=1000)
below policy.max_bootstrap_rows (20k) and a bootstrap of a 20k-row subsample above it.

`draw` is the floor of any exact paired bootstrap with this resample scheme: the time to draw its
B x rows resample indices and nothing else (what the seed fixes, so intervals stay the same), and
`floor` that time over one metric call. Where `floor` is above 5, no kernel can reach 5x without
changing the resample scheme (cheap metrics: a scikit-learn mse call on 3k rows costs ~0.2 ms,
drawing 3M indices ~5-10 ms).

    python benchmarks/stats_cost.py [--sizes 1000 3000 10000 100000 1000000] [--repeat 3]
                                    [--only NAME ...] [--tasks binary multiclass regression]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from mlgate.measure.model.metrics import REGISTRY, Predictions, resolve
from mlgate.measure.model.stats import paired_estimate

B = 1000  # paired_estimate's default n_boot
MAX_ROWS = 20_000  # and its max_rows (policy.max_bootstrap_rows)

TASKS = ("binary", "multiclass", "regression")


def rows(task: str, n: int, seed: int = 0) -> tuple[np.ndarray, Predictions, Predictions]:
    """Truth and two correlated models (the candidate slightly worse)."""
    rng = np.random.default_rng(seed)
    if task == "regression":
        y = rng.normal(100.0, 20.0, n)
        return (
            y,
            Predictions(y + rng.normal(0, 6.0, n)),
            Predictions(y + rng.normal(0, 5.0, n)),
        )
    k = 2 if task == "binary" else 4
    y = rng.integers(0, k, n)
    signal = np.eye(k)[y] * 1.5 + rng.normal(size=(n, k))
    classes = np.arange(k)

    def model(noise: float) -> Predictions:
        logits = signal + noise * rng.normal(size=(n, k))
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return Predictions(p.argmax(axis=1), p, classes)

    return y, model(0.6), model(0.5)


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def draw_time(method: str, n: int, repeat: int) -> float:
    """Time to draw the resample indices the method draws (0 when it draws none)."""
    if method.startswith("paired bootstrap of the largest"):
        return 0.0  # draws only the draws among the largest errors
    if method.startswith("paired bootstrap"):
        rows = n
    elif method.startswith("subsample bootstrap"):
        rows = MAX_ROWS
    else:
        return 0.0

    def draw() -> None:
        rng = np.random.default_rng(0)
        for start in range(0, B, 100):
            rng.integers(0, rows, size=(min(100, B - start), rows), dtype=np.int32)

    return best_time(draw, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 3000, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="metric names")
    args = parser.parse_args()
    head = f"{'n':>8} {'task':<10} {'metric':<34} {'estimate s':>10} {'once s':>8} {'ratio':>6}"
    print(head + f" {'draw s':>7} {'floor':>6}  method")
    worst = 0.0
    for n in args.sizes:
        for task in args.tasks:
            y, cand, base = rows(task, n)
            for name, entry in REGISTRY.items():
                if task not in entry.tasks or (args.only and name not in args.only):
                    continue
                metric = resolve(name, task=task)  # type: ignore[arg-type]
                estimate = paired_estimate(metric, y, cand, base)  # warm-up, and the method
                spent = best_time(lambda: paired_estimate(metric, y, cand, base), args.repeat)  # noqa: B023
                once = best_time(
                    lambda: (metric.score(y, cand), metric.score(y, base)),  # noqa: B023
                    args.repeat,
                )
                draw = draw_time(estimate.method, n, args.repeat)
                worst = max(worst, spent / once)
                print(
                    f"{n:>8} {task:<10} {name:<34} {spent:>10.4f} {once:>8.4f} "
                    f"{spent / once:>6.1f} {draw:>7.4f} {draw / once:>6.1f}  {estimate.method}",
                    flush=True,
                )
    print(f"worst ratio: {worst:.1f}x (target <= 5x)")


if __name__ == "__main__":
    main()
