"""How conservative must an interval of a recall delta be where only a few positives differ?

Recall's paired delta is (gains − losses) / P: the positives only the candidate finds less
those only production finds, over the P positives. With P fixed at its expected count and the
two counts Poisson, this finds — as a mixed-integer program over the (gains, losses) outcomes —
the largest wrong-pass rate (the interval wholly above the true delta) and wrong-block rate
(wholly below it) that any interval can have on a population while its own rate stays at most
2.5% for every way of splitting the same true delta into gains and losses, its bounds moving
the right way with each count. Where a handful of positives differ the counts take few values,
so that largest rate is well below 2.5%: so low a rate is the data's discreteness, not a loose
interval. Beside it, mlgate's (stats.cell_estimate: the paired score interval of the
positives) on `--sets` eval sets drawn as cell counts (benchmarks/ratio_tails.py).

    python benchmarks/ratio_attainable.py [--sets 2000]
"""

from __future__ import annotations

import argparse

import numpy as np
from ratio_tails import POPULATIONS, tails

ALPHA = 0.025
K = 50  # outcomes 0..K-1 of each count
SPLITS = np.linspace(0.0, 30.0, 121)  # mean gains of the other populations with the same delta


def most_attainable(gains: float, losses: float) -> tuple[float, float]:
    """(wrong pass, wrong block): the largest rates on a population whose gains and losses are
    Poisson(gains), Poisson(losses), over monotone rules that hold ALPHA at every split."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.stats import poisson

    k = np.arange(K)
    shift = losses - gains
    population = np.outer(poisson.pmf(k, gains), poisson.pmf(k, losses)).ravel()
    others = np.array(
        [
            np.outer(poisson.pmf(k, g), poisson.pmf(k, g + shift)).ravel()
            for g in SPLITS
            if g + shift >= 0
        ]
    )
    beyond = (k[:, None] - k[None, :]).ravel() + shift  # observed minus true delta, times P
    out = []
    for side in (1.0, -1.0):  # 1: the interval wholly above the truth (a wrong pass)
        order = []  # x_i ≤ x_j where outcome j lies further on this side than i
        for g in range(K):
            for loss in range(K):
                i = g * K + loss
                further = [i + K] if g + 1 < K else []
                further += [i - 1] if loss >= 1 else []
                if side < 0:
                    further = [i - K] if g >= 1 else []
                    further += [i + 1] if loss + 1 < K else []
                for j in further:
                    row = np.zeros(K * K)
                    row[i], row[j] = 1.0, -1.0
                    order.append(row)
        constraints = [
            LinearConstraint(others, -np.inf, ALPHA),
            LinearConstraint(np.array(order), -np.inf, 0.0),
        ]
        allowed = (side * beyond > 0).astype(float)  # only outcomes beyond the truth
        found = milp(
            -population,
            constraints=constraints,
            integrality=np.ones(K * K),
            bounds=Bounds(0.0, allowed),
            options={"time_limit": 120},
        )
        out.append(float(-found.fun) if found.success else float("nan"))
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=2000)
    args = parser.parse_args()
    print(f"recall: wrong pass / wrong block, mlgate on {args.sets} sets vs the most attainable")
    for n in (300, 500, 1000):
        for name, (lose_tp, find_fn, *_) in POPULATIONS.items():
            positives = n * 0.10  # ratio_tails: 10% positives, production finds 80%
            gains, losses = positives * 0.2 * find_fn, positives * 0.8 * lose_tp
            best_up, best_down = most_attainable(gains, losses)
            up, down = tails("recall", name, n, args.sets, seed=n)
            print(
                f"n={n:5d} {name}: differing positives ~{gains + losses:4.1f}; "
                f"mlgate {up:5.2%} / {down:5.2%}; attainable {best_up:5.2%} / {best_down:5.2%}",
                flush=True,
            )


if __name__ == "__main__":
    main()
