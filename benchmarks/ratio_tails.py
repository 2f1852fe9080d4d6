"""The tails of the binary ratio metrics' interval at 30–100 positives (issue 18).

Eval sets are drawn as the 8 (truth, candidate, production) cell counts, Multinomial(n, p), from
three populations with 10% positives, production finding 80% of them at a 5% false-positive
rate; the candidate
- A: loses 8% of production's true positives and finds 10% of its misses;
- B: as A, and also drops 20% of production's false positives and adds 1% new ones;
- C: loses 15%, finds 20%, drops 30% and adds 2%.
Each set's 95% interval of the delta is mlgate's (stats.cell_estimate: the counts drawn from a
Dirichlet with stats.PRIOR added to each cell; for recall the paired score interval of the
positives), or that draw with another prior (`--prior`, recall included). Printed per size,
population and metric: how often the interval lies wholly above the population's true delta (a
strict-mode pass at a tolerance equal to the true worsening: a wrong pass) and wholly below it
(a default-mode block there: a wrong block); nominal 2.5% each.

    python benchmarks/ratio_tails.py [--sets 2000] [--prior 0.5]
"""

from __future__ import annotations

import argparse

import numpy as np

from mlgate.measure.model.kernels import score_cells
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import PRIOR, cell_estimate

POPULATIONS = {  # lose TP, find FN, drop FP, add FP (shares of production's)
    "A": (0.08, 0.10, 0.0, 0.0),
    "B": (0.08, 0.10, 0.20, 0.01),
    "C": (0.15, 0.20, 0.30, 0.02),
}


def cell_shares(population: str) -> np.ndarray:
    """The 8 cell probabilities, index (truth · 2 + candidate) · 2 + production."""
    lose_tp, find_fn, drop_fp, add_fp = POPULATIONS[population]
    positives, tpr, fpr = 0.10, 0.80, 0.05
    tp, fn = positives * tpr, positives * (1 - tpr)
    fp, tn = (1 - positives) * fpr, (1 - positives) * (1 - fpr)
    p = np.zeros(8)
    p[0b111], p[0b101] = tp * (1 - lose_tp), tp * lose_tp
    p[0b110], p[0b100] = fn * find_fn, fn * (1 - find_fn)
    p[0b011], p[0b001] = fp * (1 - drop_fp), fp * drop_fp
    p[0b010], p[0b000] = tn * add_fp, tn * (1 - add_fp)
    return p


def true_delta(name: str, p: np.ndarray) -> float:
    values = score_cells(resolve(name, task="binary"), p.reshape(1, 2, 2, 2), 1)[0]
    return float(values[0] - values[1])


def tails(
    name: str, population: str, n: int, sets: int, seed: int, prior: float | None = None
) -> tuple[float, float]:
    """(wrong-pass rate, wrong-block rate) of the 95% interval over `sets` eval sets."""
    metric = resolve(name, task="binary")
    p = cell_shares(population)
    truth = true_delta(name, p)
    rng = np.random.default_rng(seed)
    above = below = 0
    for i, cells in enumerate(rng.multinomial(n, p, size=sets)):
        if prior is None:  # mlgate's own interval
            lo, hi = cell_estimate(metric, cells, 1, 0.0, n_boot=1000, seed=i).interval(0.05)
        else:
            draws = np.random.default_rng(i).dirichlet(cells + prior, size=1000) * n
            values = score_cells(metric, draws.reshape(1000, 2, 2, 2), 1)
            diff = values[:, 0] - values[:, 1]
            lo, hi = np.nanpercentile(diff, [2.5, 97.5])
        above += lo > truth
        below += hi < truth
    return above / sets, below / sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=2000)
    parser.add_argument("--prior", type=float, default=None, help=f"default: mlgate's {PRIOR}")
    args = parser.parse_args()
    label = f"prior {args.prior}" if args.prior is not None else f"mlgate (prior {PRIOR})"
    if args.prior is None:
        label += "; recall: the paired score interval of the positives"
    print(f"{label}, {args.sets} sets per cell: wrong pass / wrong block (nominal 2.5% each)")
    worst = 0.0
    for n in (300, 500, 1000):
        for population in POPULATIONS:
            row = []
            for name in ("precision", "recall", "f1"):
                up, down = tails(name, population, n, args.sets, seed=n, prior=args.prior)
                worst = max(worst, up)
                row.append(f"{name} {up:5.1%} / {down:5.1%}")
            print(f"n={n:5d} {population}: " + " | ".join(row), flush=True)
    print(f"worst wrong pass: {worst:.1%}")


if __name__ == "__main__":
    main()
