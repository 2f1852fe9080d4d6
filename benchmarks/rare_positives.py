"""Binary f1 / recall / precision when the two models disagree on a handful of rows (issue 18).

A population of 2M rows (10% positives) where the candidate loses 8% of production's true
positives and finds 10% of its misses, nothing else: about 3 of 300 eval rows differ between the
models. Eval sets of 300, 500 and 1,000 rows (about 30, 50, 100 positives) are drawn from it and
the coverage of the 95% interval of the delta is counted against the population's true delta,
with the share of intervals wholly above the truth (the side a strict-mode wrong pass comes
from), for mlgate's interval (the 8 (truth, candidate, production) cell counts drawn from a
Dirichlet with stats.PRIOR added to each cell, stats.cell_estimate) and for the row bootstrap
it replaced.

    python benchmarks/rare_positives.py [--trials 600] [--metrics f1,recall,precision]
"""

from __future__ import annotations

import argparse

import numpy as np

from mlgate.load.predictions import Predictions
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import paired_estimate, replicate_scores


def population(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    y = (rng.random(n) < 0.1).astype(int)
    base = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < 0.02).astype(int)
    cand = np.where((base == 1) & (y == 1) & (rng.random(n) < 0.08), 0, base)
    cand = np.where((base == 0) & (y == 1) & (rng.random(n) < 0.1), 1, cand)
    return y, cand, base


def row_bootstrap(metric, y, cand, base, seed: int) -> tuple[float, float]:
    index = np.random.default_rng(seed).integers(0, len(y), size=(1000, len(y)))
    reps = replicate_scores(metric, y, Predictions(cand), Predictions(base), index)
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
    print("metric     rows  positives   mlgate coverage (above)   row bootstrap (above)")
    for name in args.metrics.split(","):
        metric = resolve(name, task="binary")
        truth = metric.score(Y, Predictions(C)) - metric.score(Y, Predictions(B))
        for n in (300, 500, 1000):
            covered = {"mlgate": [0, 0], "bootstrap": [0, 0]}
            positives = []
            for trial in range(args.trials):
                idx = rng.integers(0, len(Y), n)
                y, cand, base = Y[idx], C[idx], B[idx]
                est = paired_estimate(
                    metric, y, Predictions(cand), Predictions(base), n_boot=1000, seed=trial
                )
                for way, (lo, hi) in (
                    ("mlgate", est.interval(0.05)),
                    ("bootstrap", row_bootstrap(metric, y, cand, base, trial)),
                ):
                    covered[way][0] += lo <= truth <= hi
                    covered[way][1] += lo > truth
                positives.append(int(y.sum()))
            shown = [
                f"{covered[way][0] / args.trials:>9.1%} ({covered[way][1] / args.trials:.1%})"
                for way in ("mlgate", "bootstrap")
            ]
            print(f"{name:<10} {n:>4} {np.median(positives):>10.0f} {shown[0]:>25} {shown[1]:>23}")


if __name__ == "__main__":
    main()
