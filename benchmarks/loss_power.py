"""Is the stated smallest detectable worsening of a loss caught 80% of the time? (issue 18 b)

A regression pair: production errs N(0, 2); the candidate differs from it by N(0, 0.2) noise,
except on a share of the rows, where it errs by a fixed extra amount more. The population is set
worse by about the tolerance (mae, max_increase 0.3); 15 eval sets drawn from it give the figure
the gate states (their median). Then the population is made worse by exactly that figure, in the
same way (the same share of rows erring by more still), and `--trials` eval sets tell how often
the real rule (mlgate.compare) blocks it: the stated power, nominal at least 80%. The same is
printed for the figure with only the more-rows growth (Estimate.scaling left out), the figure
before the scaling term.

    python benchmarks/loss_power.py [--trials 200] [--state 0.3]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from mlgate.compare import Policy, compare
from mlgate.config import Tolerance
from mlgate.load.predictions import Predictions
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import paired_estimate
from mlgate.records import Measurement

TOL = 0.3
MAE = resolve("mae", task="regression")


def draw(rng: np.random.Generator, n: int, share: float, extra: float):
    y = rng.normal(0, 3, n)
    e = rng.normal(0, 2.0, n)
    worse = rng.random(n) < share
    shift = np.where(worse, np.sign(e) * extra, rng.normal(0, 0.2, n))
    return y, Predictions(y + e + shift), Predictions(y + e)


def extra_for(rng: np.random.Generator, worsening: float, share: float) -> float:
    """The per-row extra error that makes the population's mae delta `worsening`."""
    y, cand, base = draw(rng, 400_000, share, 0.0)
    return max(worsening - (MAE.score(y, cand) - MAE.score(y, base)), 0.0) / share


def gate(y, cand, base, seed: int, rows_only: bool):
    est = paired_estimate(MAE, y, cand, base, n_boot=1000, seed=seed)
    if rows_only:
        est = replace(est, scaling=(0.0, 0.0))
    m = Measurement(
        id="model.mae",
        kind="model",
        name="mae",
        thresholds={"max_increase": Tolerance(TOL)},
        higher_is_better=False,
        candidate=MAE.score(y, cand),
        baseline=MAE.score(y, base),
        estimate=est,
    )
    return compare(m, Policy())


def power(
    n: int, share: float, state: float, trials: int, rows_only: bool
) -> tuple[float, int, float]:
    """(the median stated figure, how many of the 15 sets state none, the share caught)."""
    rng = np.random.default_rng(18)
    extra = extra_for(rng, state, share)
    stated = [
        gate(*draw(rng, n, share, extra), seed, rows_only).result.details["detectable"]
        for seed in range(15)
    ]
    figure, none = float(np.median(stated)), int(np.sum(~np.isfinite(stated)))
    if not np.isfinite(figure):
        return figure, none, float("nan")
    extra = extra_for(rng, figure, share)
    caught = sum(
        gate(*draw(rng, n, share, extra), seed, rows_only).result.status == "fail"
        for seed in range(trials)
    )
    return figure, none, caught / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument(
        "--state", type=float, default=TOL, help="the worsening the figure is stated at"
    )
    args = parser.parse_args()
    print(f"mae, tolerance {TOL}, figure stated at a worsening of {args.state}; {args.trials} sets")
    print("stated: the median of 15 eval sets' figures (none: how many of them state no figure)")
    head = f"{'rows':>6} {'share':>6} {'stated':>8} {'none':>5} {'caught':>7}"
    print(f"{head} | {'rows only':>9} {'caught':>7}")
    for n in (300, 1000):
        for share in (0.01, 0.02, 0.05, 0.10, 0.50):
            fig, none, p = power(n, share, args.state, args.trials, rows_only=False)
            old, _, q = power(n, share, args.state, args.trials, rows_only=True)
            print(
                f"{n:>6} {share:>6.0%} {fig:>8.3f} {none:>5} {p:>7.1%} | {old:>9.3f} {q:>7.1%}",
                flush=True,
            )


if __name__ == "__main__":
    main()
