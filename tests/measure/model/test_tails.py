"""Honest numbers at the tails (issue 18): simulations on populations with a known delta.

Each simulation draws seeded eval sets from a population whose true candidate − production
delta is known, runs the real paired bootstrap (mlgate.measure.model.stats) and the real rule
(mlgate.compare), and counts how often a gate blocks or passes. Rates are checked against
their nominal values with a margin of about three Monte-Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.compare import Policy, compare
from mlgate.config import Tolerance
from mlgate.load.predictions import Predictions
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import paired_estimate
from mlgate.records import Measurement, detectable_worsening


def flips(
    rng: np.random.Generator, n: int, *, right: float, up: float, down: float
) -> tuple[np.ndarray, Predictions, Predictions]:
    """y, candidate, production labels: production right w.p. `right`; the candidate fixes a
    wrong row w.p. `up` and breaks a right one w.p. `down` (true delta: (1−right)·up −
    right·down)."""
    y = rng.integers(0, 2, n)
    base_right = rng.random(n) < right
    u = rng.random(n)
    cand_right = np.where(base_right, u >= down, u < up)
    base = np.where(base_right, y, 1 - y)
    cand = np.where(cand_right, y, 1 - y)
    return y, Predictions(cand), Predictions(base)


def gate(metric_name: str, y, cand, base, tol: float, seed: int, **policy: object):
    metric = resolve(metric_name, task="binary")
    est = paired_estimate(metric, y, cand, base, n_boot=1000, seed=seed)
    m = Measurement(
        id=f"model.{metric_name}",
        kind="model",
        name=metric_name,
        thresholds={"max_drop": Tolerance(tol)},
        candidate=metric.score(y, cand),
        baseline=metric.score(y, base),
        estimate=est,
    )
    return compare(m, Policy(**policy))  # type: ignore[arg-type]


# --- (b) the stated smallest detectable worsening holds (80% power) ---------------------------


@pytest.mark.slow  # about 5 s of CPU: 430 paired bootstraps
def test_a_true_worsening_of_the_stated_detectable_size_is_blocked_80_percent_of_the_time() -> None:
    """Near-identical models (about 6 of 300 rows differ) on accuracy, tolerance 0.01. The
    figure a gate states on such an eval set: a population worse by exactly that much is blocked
    in ≥ 80% of its eval sets. Without the growth of the spread with the worsening (the figure
    before issue 18) the same eval sets state a smaller figure, caught about half the time.
    Measured (seeded, 400 eval sets): stated 0.055, blocked 93%; the old figure 0.031, 45%
    (1,000 rows: 0.030 blocked 84%; old 0.023, 51%)."""
    n, right, up, tol = 300, 0.85, 0.0667, 0.01
    rng = np.random.default_rng(180)
    stated, fixed = [], []
    for trial in range(15):
        y, cand, base = flips(rng, n, right=right, up=up, down=0.0118)
        done = gate("accuracy", y, cand, base, tol, seed=trial)
        stated.append(done.result.details["detectable"])
        fixed.append(detectable_worsening(done.measurement.estimate.se, tol, 0.05))
    figure, old = float(np.median(stated)), float(np.median(fixed))
    assert figure > old  # the spread grows with the worsening

    def power(worsening: float, trials: int = 200) -> float:
        down = ((1 - right) * up + worsening) / right  # true delta = −worsening
        blocked = 0
        for trial in range(trials):
            y, cand, base = flips(rng, n, right=right, up=up, down=down)
            blocked += gate("accuracy", y, cand, base, tol, seed=trial).result.status == "fail"
        return blocked / trials

    assert power(figure) >= 0.77, figure
    assert power(old) <= 0.70, old  # what the old figure promised and did not keep
