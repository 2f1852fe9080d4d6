"""Coverage of the paired interval of average precision and multiclass ROC AUC (issue 20).

From 300 rows mlgate decides these metrics by the normal interval of their per-row paired
influence (docs/design.md §5) instead of the B=1000 row bootstrap. Populations of 2M rows
(600k for ovo): AP at 5, 20 and 50% positives with two correlated score columns (the candidate
a little sharper), and 3 or 5 classes of unequal shares with softmax scores. Eval sets of 300,
1,000 and 3,000 rows are drawn from each; the coverage of the 95% interval of the delta is
counted against the population's delta, with its two tails (below: the interval wholly above
the truth, the side a wrong pass comes from; above: wholly below it, the side a wrong block
comes from), for mlgate's interval (stats.paired_estimate) and for the row bootstrap's
percentile interval (1,000 resamples, stats.replicate_scores) on the first --boot sets.

    python benchmarks/rank_coverage.py [--sets 1000] [--boot 200] [--sizes 300 1000 3000]
                                       [--only average_precision roc_auc_ovo ...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from mlgate.load.predictions import Predictions
from mlgate.measure.model.metrics import Metric, resolve
from mlgate.measure.model.stats import paired_estimate, replicate_scores

Draw = Callable[[int, np.random.Generator], tuple[np.ndarray, Predictions, Predictions]]


def binary(prevalence: float) -> Draw:
    def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, Predictions, Predictions]:
        y = (rng.random(n) < prevalence).astype(int)
        shared = 0.8 * rng.normal(size=n)
        preds = []
        for lift in (1.2, 1.0):
            score = 1 / (1 + np.exp(-(lift * y + shared + 0.6 * rng.normal(size=n))))
            preds.append(
                Predictions((score > 0.5).astype(int), np.c_[1 - score, score], np.arange(2))
            )
        return y, preds[0], preds[1]

    return draw


def classes(k: int) -> Draw:
    shares = np.linspace(2, 1, k) / np.linspace(2, 1, k).sum()

    def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, Predictions, Predictions]:
        y = rng.choice(k, size=n, p=shares)
        shared = rng.normal(size=(n, k))
        preds = []
        for lift in (1.0, 0.8):
            logit = shared + lift * np.eye(k)[y] + 0.7 * rng.normal(size=(n, k))
            proba = np.exp(logit) / np.exp(logit).sum(axis=1, keepdims=True)
            preds.append(Predictions(proba.argmax(axis=1), proba, np.arange(k)))
        return y, preds[0], preds[1]

    return draw


CELLS: dict[str, list[tuple[str, Draw]]] = {
    "average_precision": [(f"{p:.0%} positives", binary(p)) for p in (0.05, 0.2, 0.5)],
    **{
        name: [(f"{k} classes", classes(k)) for k in (3, 5)]
        for name in (
            "roc_auc_ovr",
            "roc_auc_ovr_weighted",
            "roc_auc_ovo",
            "roc_auc_ovo_weighted",
        )
    },
}


def true_delta(metric: Metric, draw: Draw, big: int) -> float:
    y, cand, base = draw(big, np.random.default_rng(7))
    return metric.score(y, cand) - metric.score(y, base)


def row_bootstrap(metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions, seed: int):
    index = np.random.default_rng(seed).integers(0, len(y), size=(1000, len(y)))
    delta = np.subtract(*replicate_scores(metric, y, cand, base, index).T)
    return np.quantile(delta[np.isfinite(delta)], [0.025, 0.975])


def side(lo: float, hi: float, truth: float) -> int:
    """-1: wholly above the truth (a wrong pass's side), 1: wholly below, 0: covers."""
    return -1 if lo > truth else 1 if hi < truth else 0


def shares(sides: list[int]) -> str:
    if not sides:
        return "-"
    a = np.asarray(sides)
    return (
        f"{100 * np.mean(a == 0):5.1f}% ({100 * np.mean(a == -1):.1f}/{100 * np.mean(a == 1):.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sets", type=int, default=1000)
    parser.add_argument("--boot", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--only", nargs="*", default=None, help="metric names")
    args = parser.parse_args()
    print(f"{'metric':22} {'population':14} {'n':>5}  mlgate (tails)          row bootstrap")
    for name, cells in CELLS.items():
        if args.only and name not in args.only:
            continue
        task = "binary" if name == "average_precision" else "multiclass"
        for label, draw in cells:
            metric = resolve(name, task=task)
            truth = true_delta(metric, draw, 600_000 if "ovo" in name else 2_000_000)
            for n in args.sizes:
                rng = np.random.default_rng(n)
                ours, boot, started = [], [], time.perf_counter()
                for i in range(args.sets):
                    y, cand, base = draw(n, rng)
                    lo, hi = paired_estimate(metric, y, cand, base, seed=i).interval(0.05)
                    ours.append(side(lo, hi, truth))
                    if i < args.boot:
                        boot.append(side(*row_bootstrap(metric, y, cand, base, seed=i), truth))
                took = time.perf_counter() - started
                print(
                    f"{name:22} {label:14} {n:5}  {shares(ours):22}  {shares(boot):22}"
                    f"  [{took:.0f} s]",
                    flush=True,
                )


if __name__ == "__main__":
    main()
