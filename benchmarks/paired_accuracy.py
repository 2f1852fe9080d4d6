"""Accuracy of two near-identical models: how the paired interval holds its level (issue 18).

Eval sets are drawn from populations where the candidate is worse than production by exactly the
tolerance, and only a handful of rows differ between the two models. For the paired score
interval mlgate uses (records.paired_proportion_interval) and for the percentile bootstrap it
replaced, it prints the coverage of the 95% interval, the default rule's false-block rate and
strict mode's wrong-pass rate (both nominal 2.5%: the population sits on the boundary).

    python benchmarks/paired_accuracy.py [--trials 2000]
"""

from __future__ import annotations

import argparse

import numpy as np

from mlgate.load.predictions import Predictions
from mlgate.measure.model.kernels import make_kernel
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import _bootstrap, paired_estimate

# (rows, P(only the candidate is right), P(only production is right)): delta = p_c − p_b
CASES = [(300, 0.005, 0.015), (300, 0.0, 0.01), (1000, 0.003, 0.006), (1000, 0.01, 0.02)]
ALPHA = 0.05


def draw(rng: np.random.Generator, n: int, p_c: float, p_b: float):
    y = rng.integers(0, 2, n)
    u = rng.random(n)
    both_right = 0.85 - p_c - p_b
    right_c = (u < both_right) | ((u >= both_right) & (u < both_right + p_c))
    right_b = (u < both_right) | ((u >= both_right + p_c) & (u < both_right + p_c + p_b))
    cand = np.where(right_c, y, 1 - y)
    base = np.where(right_b, y, 1 - y)
    return y, Predictions(cand), Predictions(base)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=2000)
    trials = parser.parse_args().trials
    metric = resolve("accuracy", task="binary")
    head = ("rows", "differ", "method", "coverage", "block", "strict pass")
    print("{:>5} {:>6} {:<10} {:>8} {:>6} {:>11}".format(*head))
    for n, p_c, p_b in CASES:
        truth = p_c - p_b
        rng = np.random.default_rng(n + int(1e4 * p_b))
        counts = {"score": [0, 0, 0], "bootstrap": [0, 0, 0]}
        for trial in range(trials):
            y, cand, base = draw(rng, n, p_c, p_b)
            est = paired_estimate(metric, y, cand, base, n_boot=1000, seed=trial)
            bound = metric.bind(y, cand, base)
            reps, _, _ = _bootstrap(
                make_kernel(bound, y, cand, base), n, 1000, np.random.default_rng(trial), "acc"
            )
            boot = tuple(np.quantile(reps, [ALPHA / 2, 1 - ALPHA / 2]))
            for name, (lo, hi) in (("score", est.interval(ALPHA)), ("bootstrap", boot)):
                c = counts[name]
                c[0] += lo <= truth <= hi
                c[1] += hi < truth  # the default rule blocks: wholly beyond the tolerance
                c[2] += lo >= truth  # strict passes: wholly inside the tolerance
        for name, (cover, block, strict) in counts.items():
            print(
                f"{n:>5} {n * (p_c + p_b):>6.1f} {name:<10} {cover / trials:>8.1%} "
                f"{block / trials:>6.2%} {strict / trials:>11.2%}"
            )


if __name__ == "__main__":
    main()
