"""Pure statistics of the performance gate: paired ratios over interleaved pairs, noise floor.

The harness runs the candidate and the baseline in short turns, back to back, on the same rows,
so whatever the machine was doing then (another job, CPU frequency, a noisy neighbour) hit both.
Consecutive pairs of turns are grouped into blocks with enough calls for the statistic (a p95
needs ~20 calls); each block gives each model's statistic (p95 of its calls, rows/s, ...). A
model's value is the geometric mean over blocks, and the ratio candidate / baseline is the
geometric mean of the per-block ratios — the same number, so the report's candidate, baseline,
delta and ratio always agree — and load that hits some blocks only does not inflate it the way a
p95 pooled over every call would be. A bootstrap over blocks (seeded; widened for small counts,
Hesterberg's expanded percentile interval) gives the interval of the ratio. Its replicates become
delta replicates in the measure's units (delta = baseline x (ratio - 1)), so the compare stage's
relative rule applies unchanged and a budget of "10%" means "ratio ≤ 1.10".

Sequential stopping (docs/performance.md, "When it stops"): the harness looks at the data at
most LOOKS times, when the blocks reach MIN_ROUNDS, 2 x MIN_ROUNDS, 4 x MIN_ROUNDS, ... (memory
probes: at 3, 6 and 10 probes per model, MEMORY_LOOKS); a look at which every budget is decided
stops the measurement. Each interim look tests at look_alpha(alpha, final=False) and the last
look (the time budget's ceiling, or the last allowed) at look_alpha(alpha, final=True) (class
Looks); the levels sum to alpha, so by the union (Bonferroni) bound
the chance that any look proves a regression that is not there stays at most that of one fixed
look at alpha — a Haybittle-Peto style alpha-spending over a fixed maximum number of looks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.records import Estimate

# one round's observations (1-D) and rows per call -> one value
Statistic = Callable[[np.ndarray, int], float]


def _percentile(q: float) -> Statistic:
    # "weibull" puts the estimate at the q-quantile on average even for a few calls (the
    # default interpolation reads a p95 of 20 calls as about p90)
    return lambda a, _rows: float(np.percentile(a, q, method="weibull"))


STATISTICS: dict[str, Statistic] = {
    "p50": _percentile(50),
    "p95": _percentile(95),
    "p99": _percentile(99),
    "median": lambda a, _rows: float(np.median(a)),
    # observations are call durations in ms: rows per second over the round's calls
    "rows_per_s": lambda a, rows: rows * len(a) / (float(np.sum(a)) / 1000.0),
}
# calls per model per round for the statistic to mean something (a p99 needs ~100 calls)
MIN_CALLS: dict[str, int] = {"p50": 10, "p95": 20, "p99": 100, "median": 1, "rows_per_s": 1}

MIN_ROUNDS = 6  # fewer blocks than this give no interval worth trusting
MIN_PROBES = 3  # memory varies far less between probes than timings between rounds
LOOKS = 8  # at most this many looks at the data; the last is final (blocks: 6, 12, ..., 768)
MEMORY_LOOKS = (MIN_PROBES, 6, 10)  # memory probes per model at which the rule looks
FINAL_SHARE = 0.5  # of alpha, kept for the final look; the rest is shared by the interim ones

Rounds = Sequence[Sequence[float]]


@dataclass(frozen=True)
class Paired:
    """Candidate vs baseline over the same rounds: values, ratio, and the delta's replicates."""

    candidate: float
    baseline: float
    rounds: int  # blocks compared
    ratio: float | None  # candidate / baseline (None when the baseline is 0)
    ratio_ci: tuple[float, float] | None
    delta_samples: np.ndarray  # bootstrap replicates of candidate - baseline, in units

    @property
    def delta(self) -> float:
        return self.candidate - self.baseline


def blocks(*sides: Rounds, min_calls: int = 1) -> list[list[list[float]]]:
    """Consecutive rounds merged until each block has ≥ `min_calls` values on every side (a
    short tail joins the last block); the sides' rounds are paired, so their blocks line up."""
    out: list[list[list[float]]] = [[] for _ in sides]
    current: list[list[float]] = [[] for _ in sides]
    for rounds in zip(*sides, strict=True):
        for side, values in zip(current, rounds, strict=True):
            side.extend(float(v) for v in values)
        if all(len(side) >= min_calls for side in current):
            for block, side in zip(out, current, strict=True):
                block.append(side)
            current = [[] for _ in sides]
    if current[0]:
        for block, side in zip(out, current, strict=True):
            if block:
                block[-1].extend(side)
            else:
                block.append(side)
    return out


def per_round(rounds: Rounds, statistic: str, rows: int = 1) -> np.ndarray:
    """One value of the statistic per round (or block)."""
    stat = STATISTICS[statistic]
    return np.array([stat(np.asarray(r, dtype=float), rows) for r in rounds])


def typical(values: np.ndarray) -> float:
    """A model's value over its blocks: the geometric mean (arithmetic if any value is ≤ 0)."""
    values = np.asarray(values, dtype=float)
    if bool((values > 0).all()):
        return float(np.exp(np.mean(np.log(values))))
    return float(np.mean(values))


def value(rounds: Rounds, statistic: str, rows: int = 1) -> float:
    """One model's figure (no baseline to pair with)."""
    (grouped,) = blocks(rounds, min_calls=MIN_CALLS[statistic])
    return typical(per_round(grouped, statistic, rows))


def expansion(n: int, alpha: float, level: float | None = None) -> float:
    """How much to widen a bootstrap percentile interval of a mean of n values so that its
    (1 - alpha) percentiles cover as a (1 - level) t-interval would (level defaults to alpha:
    the plain percentile interval is too narrow for small n; a smaller level is a look's)."""
    if n < 2:
        return math.inf
    from statistics import NormalDist

    from scipy.stats import t

    level = alpha if level is None else level
    return float(
        math.sqrt(n / (n - 1)) * t.ppf(1 - level / 2, n - 1) / NormalDist().inv_cdf(1 - alpha / 2)
    )


def look_blocks(look: int) -> int:
    """Blocks at look number `look` (1-based): MIN_ROUNDS, then doubling."""
    return int(MIN_ROUNDS * 2 ** (look - 1))


def look_alpha(alpha: float, *, final: bool, looks: int = LOOKS) -> float:
    """The two-sided level of one look: the levels of all `looks` looks sum to alpha."""
    return alpha * FINAL_SHARE if final else alpha * (1 - FINAL_SHARE) / (looks - 1)


@dataclass
class Looks:
    """The sequential rule's state for one measurement: at most `count` looks at counts fixed in
    advance; `look` ends it at the first look deciding every budget, or at the last one."""

    count: int
    alpha: float
    taken: int = 0
    stopped: str = "time budget"  # decided | looks | time budget (the ceiling came first)
    level: float = math.nan  # of the look that stopped (the final level when none did)

    def __post_init__(self) -> None:
        self.level = look_alpha(self.alpha, final=True, looks=self.count)

    def look(self, decided: Callable[[float], bool]) -> bool:
        """Take the next look; `decided(level)`: is every budget settled at this level?"""
        self.taken += 1
        final = self.taken == self.count
        level = look_alpha(self.alpha, final=final, looks=self.count)
        if decided(level):
            self.stopped, self.level = "decided", level
            return True
        if final:
            self.stopped, self.level = "looks", level
            return True
        return False

    def details(self) -> dict[str, Any]:
        return {"looks": self.taken, "stopped": self.stopped, "look_alpha": self.level}

    def note(self, measured: str, budget_s: float) -> str:
        """How many looks ran and why the measurement stopped, e.g. `measured` = "7 pairs"."""
        rounds = f"{self.taken} round" + ("s" if self.taken != 1 else "")
        level = f"interval at level {self.level:.2g} (docs/performance.md, When it stops)"
        if self.stopped == "decided":
            why = "every budget was decided"
        elif self.stopped == "looks":
            why = f"the last of {self.count} looks was reached"
        else:
            why = f"the time budget ({budget_s:g} s) ended it before every budget was decided"
        return f"sequential: stopped after {rounds} ({measured}): {why}; {level}"


def decided(
    candidate: Rounds,
    baseline: Rounds | None,
    statistic: str,
    thresholds: dict[str, Any],
    *,
    higher_is_better: bool,
    level: float,
    rows: int = 1,
    resamples: int = 1000,
    alpha: float = 0.05,
    rng: np.random.Generator,
    min_rounds: int = MIN_ROUNDS,
) -> bool:
    """Whether every threshold's outcome is settled at a look of two-sided level `level`.

    A relative bound is settled when the look's interval of the worsening lies wholly beyond
    the tolerance or wholly within it (so neither rule, default nor strict, can change with more
    data); an absolute bound when the candidate's own interval lies wholly on one side of it.
    `rng` must be seeded as the final estimate's is, so a look and the report agree.
    """
    from mlgate.records import THRESHOLDS, Tolerance

    result = None
    for key, bound in thresholds.items():
        if not THRESHOLDS[key].relative:
            lo, hi = value_interval(candidate, statistic, level, rows)
            if lo <= float(bound) <= hi:
                return False
            continue
        if baseline is None:
            continue  # an error gate: nothing to wait for
        if result is None:
            result = paired(
                candidate,
                baseline,
                statistic,
                rows=rows,
                resamples=resamples,
                alpha=alpha,
                rng=rng,
                level=level,
            )
        if result.rounds < min_rounds:
            return False
        tolerance = bound if isinstance(bound, Tolerance) else Tolerance(float(bound))
        allowed = tolerance.absolute(result.baseline)
        sign = -1.0 if higher_is_better else 1.0
        ends = np.quantile(result.delta_samples, [alpha / 2, 1 - alpha / 2]) * sign
        worse_lo, worse_hi = float(ends.min()), float(ends.max())
        if not (worse_lo > allowed or worse_hi <= allowed):
            return False
    return True


def value_interval(
    rounds: Rounds, statistic: str, level: float, rows: int = 1
) -> tuple[float, float]:
    """A (1 - level) t-interval of one model's value (the geometric mean over its blocks)."""
    (grouped,) = blocks(rounds, min_calls=MIN_CALLS[statistic])
    values = per_round(grouped, statistic, rows)
    n = len(values)
    if n < 2:
        return -math.inf, math.inf
    from scipy.stats import t

    half = float(t.ppf(1 - level / 2, n - 1))
    if bool((values > 0).all()):
        logs = np.log(values)
        reach = half * float(np.std(logs, ddof=1)) / math.sqrt(n)
        return math.exp(logs.mean() - reach), math.exp(logs.mean() + reach)
    reach = half * float(np.std(values, ddof=1)) / math.sqrt(n)
    return float(values.mean()) - reach, float(values.mean()) + reach


def paired(
    candidate: Rounds,
    baseline: Rounds,
    statistic: str,
    *,
    rows: int = 1,
    resamples: int = 1000,
    alpha: float = 0.05,
    rng: np.random.Generator,
    level: float | None = None,
) -> Paired:
    """Paired comparison over blocks of pairs: bootstrap of the mean per-block log-ratio.

    `level`: the look's two-sided level when it is not alpha (sequential looks): the replicates
    are widened so that their (1 - alpha) percentile interval is the (1 - level) one."""
    if len(candidate) != len(baseline) or not candidate:
        raise ValueError(f"need paired rounds, got {len(candidate)} and {len(baseline)}")
    cand_blocks, base_blocks = blocks(candidate, baseline, min_calls=MIN_CALLS[statistic])
    cv = per_round(cand_blocks, statistic, rows)
    bv = per_round(base_blocks, statistic, rows)
    n = len(cv)
    idx = rng.integers(0, n, size=(resamples, n))
    widen = expansion(n, alpha, level) if n > 1 else 1.0
    if bool((cv > 0).all() and (bv > 0).all()):
        logs = np.log(cv / bv)
        center = float(logs.mean())
        boot = center + (logs[idx].mean(axis=1) - center) * widen
        lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
        c0, b0 = typical(cv), typical(bv)
        return Paired(c0, b0, n, c0 / b0, (math.exp(lo), math.exp(hi)), b0 * np.expm1(boot))
    # a zero value (e.g. a model that adds no measurable memory): paired differences instead
    diffs = cv - bv
    center = float(diffs.mean())
    c0, b0 = float(np.mean(cv)), float(np.mean(bv))
    return Paired(
        c0,
        b0,
        n,
        c0 / b0 if b0 > 0 else None,
        None,
        center + (diffs[idx].mean(axis=1) - center) * widen,
    )


def noise_floor(
    rounds: Rounds,
    statistic: str,
    *,
    rows: int = 1,
    resamples: int = 1000,
    alpha: float = 0.05,
    rng: np.random.Generator,
) -> float | None:
    """A/A: one model against itself (its even vs odd pairs), as the interval's relative reach.

    0.08 means: comparing this model with itself, the (1 - alpha) interval of the ratio reached
    8% away from 1 — changes smaller than that cannot be told from this machine's noise.
    """
    half = len(rounds) // 2
    if half == 0:
        return None
    even = [rounds[2 * i] for i in range(half)]
    odd = [rounds[2 * i + 1] for i in range(half)]
    result = paired(even, odd, statistic, rows=rows, resamples=resamples, alpha=alpha, rng=rng)
    if result.ratio_ci is None or result.rounds < MIN_ROUNDS:
        return None
    lo, hi = result.ratio_ci
    return max(hi - 1.0, 1.0 - lo, 0.0)


def estimate(result: Paired, *, method: str, min_rounds: int = MIN_ROUNDS) -> Estimate:
    """The compare stage's Estimate of delta = candidate - baseline (too few rounds: unbounded)."""
    if result.rounds < min_rounds:
        return Estimate(delta=result.delta, method=method, n=result.rounds, se=math.inf)
    samples = result.delta_samples
    return Estimate(
        delta=result.delta,
        method=method,
        n=result.rounds,
        se=float(np.std(samples, ddof=1)),
        samples=tuple(float(x) for x in samples),
    )


def exact(candidate: float, baseline: float) -> Estimate:
    """A comparison without noise (file sizes): the interval is the point."""
    return Estimate(delta=candidate - baseline, method="exact", n=1, se=0.0)


def thin(values: Any, cap: int, rng: np.random.Generator) -> list[float]:
    """At most `cap` values, a seeded random subset kept in measurement order (for the charts)."""
    flat = np.asarray(values, dtype=float).reshape(-1)
    if len(flat) > cap:
        flat = flat[np.sort(rng.choice(len(flat), size=cap, replace=False))]
    return [round(float(v), 6) for v in flat]
