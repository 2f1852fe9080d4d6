"""Binary f1 / recall / precision when the two models disagree on a handful of rows (issue 18).

A population of 2M rows (10% positives) where the candidate loses 8% of production's true
positives and finds 10% of its misses, nothing else: about 3 of 300 eval rows differ between the
models. Eval sets of 300, 500 and 1,000 rows (about 30, 50, 100 positives) are drawn from it and
the coverage of the 95% interval of the delta is counted against the population's true delta,
for mlgate's paired bootstrap and for the measured alternative of docs/design.md §11 (the 8
(truth, candidate, production) cell counts drawn from a Dirichlet with ½ added to each cell).

    python benchmarks/rare_positives.py [--trials 600] [--metrics f1,recall,precision]
"""

from __future__ import annotations

import argparse

import numpy as np

from mlgate.load.predictions import Predictions
from mlgate.measure.model.kernels import _CONFUSION
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import paired_estimate

PRIOR = 0.5  # added to each of the 8 cells (a Jeffreys prior)


def population(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    y = (rng.random(n) < 0.1).astype(int)
    base = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < 0.02).astype(int)
    cand = np.where((base == 1) & (y == 1) & (rng.random(n) < 0.08), 0, base)
    cand = np.where((base == 0) & (y == 1) & (rng.random(n) < 0.1), 1, cand)
    return y, cand, base


def dirichlet_interval(metric, y, cand, base, seed: int) -> tuple[float, float]:
    how = (metric.family or "").split(":")[1:]
    cells = np.bincount(y * 4 + cand * 2 + base, minlength=8).astype(float)
    draws = np.random.default_rng(seed).dirichlet(cells + PRIOR, size=1000) * len(y)
    mats = np.zeros((1000, 2, 2, 2))
    for cell in range(8):
        truth, c, b = cell >> 2, (cell >> 1) & 1, cell & 1
        mats[:, 0, truth, c] += draws[:, cell]
        mats[:, 1, truth, b] += draws[:, cell]
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = _CONFUSION[how[0]](mats, *how[1:], pos=1)
    delta = reps[:, 0] - reps[:, 1]
    lo, hi = np.quantile(delta[np.isfinite(delta)], [0.025, 0.975])
    return float(lo), float(hi)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=600)
    parser.add_argument("--metrics", default="f1,recall,precision")
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    Y, C, B = population(rng, 2_000_000)
    print("metric     rows  positives  bootstrap  dirichlet")
    for name in args.metrics.split(","):
        metric = resolve(name, task="binary")
        truth = metric.score(Y, Predictions(C)) - metric.score(Y, Predictions(B))
        for n in (300, 500, 1000):
            covered = {"bootstrap": 0, "dirichlet": 0}
            positives = []
            for trial in range(args.trials):
                idx = rng.integers(0, len(Y), n)
                y, cand, base = Y[idx], C[idx], B[idx]
                est = paired_estimate(
                    metric, y, Predictions(cand), Predictions(base), n_boot=1000, seed=trial
                )
                for way, (lo, hi) in (
                    ("bootstrap", est.interval(0.05)),
                    ("dirichlet", dirichlet_interval(metric, y, cand, base, trial)),
                ):
                    covered[way] += lo <= truth <= hi
                positives.append(int(y.sum()))
            print(
                f"{name:<10} {n:>4} {np.median(positives):>10.0f} "
                f"{covered['bootstrap'] / args.trials:>10.1%} "
                f"{covered['dirichlet'] / args.trials:>10.1%}"
            )


if __name__ == "__main__":
    main()
