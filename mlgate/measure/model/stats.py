"""Paired statistics of candidate vs baseline on the same rows: bootstrap, DeLong, per-row.

Holm's correction lives with the compare stage (mlgate.compare.holm) and the smallest
detectable worsening with the records (mlgate.records.detectable_worsening).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from mlgate.load.predictions import Predictions
from mlgate.measure.model.kernels import (
    Kernel,
    absolute_errors,
    confusion_cells,
    make_kernel,
    score_cells,
)
from mlgate.measure.model.metrics import Metric, MetricError
from mlgate.records import Estimate

CHUNK_BYTES = 48_000_000  # working memory of one block of bootstrap resamples
MAX_DRAWS = 3  # draw at most MAX_DRAWS * B resamples when some are degenerate, then give up
NOTE_DROPPED = 0.01  # say in `method` when at least this fraction of resamples was redrawn
PRIOR = 1.0  # added to each (truth, candidate, production) cell of a binary confusion metric
# From this many rows a metric with per-row terms (a mean of per-row losses, r2, explained
# variance; the influence of the median error, average precision, multiclass ROC AUC) is decided
# by the normal interval of its per-row paired differences: it covered as the B=1000 row
# bootstrap did at 300-3,000 rows (docs/design.md §5), at the cost of two metric calls instead
# of B x rows gathered values.
NORMAL_ROWS = 300
MAX_TOP = 16  # max_error: the largest errors per model a resample's maximum is read from
INFLUENCE_METHODS = {  # Estimate.method of the per-row normal, by the family's second part
    "": "paired per-row differences",
    "median": "paired median influence (Hall–Sheather sparsity)",
    "ap": "paired influence of average precision",
    "ovr": "paired DeLong placements (one-vs-rest)",
    "ovo": "paired DeLong placements (one-vs-one)",
}


def paired_estimate(
    metric: Metric,
    y: np.ndarray,
    candidate: Predictions,
    baseline: Predictions,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    max_rows: int = 20_000,
    delta: float | None = None,
) -> Estimate:
    """delta = candidate - baseline on the same rows, with its sampling spread (docs/design.md §5).

    `delta`: the point delta when the caller already scored both models with this (bound)
    metric on these rows — passed in so the models are not scored twice.

    Accuracy: the paired score interval; confusion metrics: seeded draws of the cell counts;
    binary ROC AUC: DeLong — at any n. Metrics with per-row terms (losses, r2, explained
    variance; the influence of the median error, average precision, multiclass ROC AUC): per-row
    paired differences from NORMAL_ROWS rows (a bootstrap below). The rest:
    n ≤ max_rows, a seeded paired row bootstrap (vectorised where the metric allows); above, a
    subsample bootstrap on max_rows rows rescaled to n. Raises MetricError if it cannot be formed.
    A metric of the positive class records how many positives the rows hold (Estimate.positives).
    """
    if n_boot < 2 or max_rows < 2:
        raise ValueError("n_boot and max_rows must be at least 2")
    y = np.asarray(y)
    metric = metric.bind(y, candidate, baseline)
    estimate = _estimate(
        metric, y, candidate, baseline, n_boot=n_boot, seed=seed, max_rows=max_rows, delta=delta
    )
    positives = _positives(metric, y)
    return estimate if positives is None else replace(estimate, positives=positives)


def _positives(metric: Metric, y: np.ndarray) -> int | None:
    """Rows of the positive class, for a binary metric of that class (f1, recall, AP, AUC…)."""
    family = metric.family or ""
    if metric.task != "binary" or not (family.endswith(":binary") or family in ("auc", "rank:ap")):
        return None
    return int(np.count_nonzero(np.asarray(y) == metric.pos_label))


def _estimate(
    metric: Metric,
    y: np.ndarray,
    candidate: Predictions,
    baseline: Predictions,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    max_rows: int = 20_000,
    delta: float | None = None,
) -> Estimate:
    """paired_estimate's work, on a bound metric and an array y."""
    n = len(y)
    if delta is None:
        delta = metric.score(y, candidate) - metric.score(y, baseline)
    if metric.family == "auc":
        y_bin, score_c, _ = metric.inputs(y, candidate)
        _, score_b, _ = metric.inputs(y, baseline)
        auc_c, _, se = delong(y_bin, score_c, score_b, name=metric.name)
        growth = _auc_growth(y_bin, score_c, auc_c)
        return _checked(Estimate(delta, "DeLong", n, se, growth=growth), metric.name)
    if metric.family == "rows:zero_one:":
        return _proportions(metric, y, candidate, baseline, delta)
    joint = confusion_cells(metric, y, candidate, baseline)
    if joint is not None:
        cells, k, pos = joint
        if metric.task == "binary" and k == 2:
            return cell_estimate(metric, cells, pos, delta, n_boot=n_boot, seed=seed)
        return multiclass_cell_estimate(metric, cells, k, pos, delta, n_boot=n_boot, seed=seed)
    if metric.family == "order:max":
        both = (absolute_errors(metric, y, candidate), absolute_errors(metric, y, baseline))
        return max_estimate(both, delta, n_boot=n_boot, seed=seed, name=metric.name)
    rng = np.random.default_rng(seed)
    kernel = make_kernel(metric, y, candidate, baseline)
    influence = kernel.influence()
    if influence is not None and (n >= NORMAL_ROWS or n > max_rows):
        se = float(np.std(influence, ddof=1)) / math.sqrt(n)  # (not np.dot: BLAS threads)
        own = getattr(kernel, "own", None)  # a rank metric: the candidate's value and influence
        if own is not None:
            growth = unit_growth(own[0], float(np.var(own[1], ddof=1)) / n)
        else:
            growth = _growth(metric, influence, delta, n, None)
        part = [*(metric.family or "").split(":"), ""][1]
        method = INFLUENCE_METHODS.get(part, INFLUENCE_METHODS[""])
        scaling = _scaling(metric, influence, delta, n)
        estimate = Estimate(delta, method, n, se, growth=growth, scaling=scaling)
        return _checked(estimate, metric.name)
    if n <= max_rows:
        reps, drawn, own = _row_bootstrap(kernel, n, n_boot, rng, metric.name)
        growth = _growth(metric, influence, delta, n, own)
        return _from_samples(
            delta,
            _note(f"paired bootstrap (B={n_boot}", drawn, n_boot),
            n,
            reps,
            metric.name,
            growth,
            _scaling(metric, influence, delta, n),
        )
    # The rest: bootstrap a seeded subsample of m rows, recentred on the full-data delta and
    # shrunk by sqrt(m/n) — the spread of a smooth statistic scales as 1/sqrt(rows).
    sub = rng.choice(n, size=max_rows, replace=False)
    y_sub, cand_sub, base_sub = y[sub], candidate.take(sub), baseline.take(sub)
    delta_sub = metric.score(y_sub, cand_sub) - metric.score(y_sub, base_sub)
    kernel = make_kernel(metric, y_sub, cand_sub, base_sub)
    reps, drawn, own = _row_bootstrap(kernel, max_rows, n_boot, rng, metric.name)
    reps = delta + (reps - delta_sub) * math.sqrt(max_rows / n)
    method = _note(f"subsample bootstrap (m={max_rows} of {n}, rescaled", drawn, n_boot)
    growth = _growth(metric, None, delta, max_rows, own) * max_rows / n
    return _from_samples(delta, method, n, reps, metric.name, growth)


def _proportions(
    metric: Metric, y: np.ndarray, candidate: Predictions, baseline: Predictions, delta: float
) -> Estimate:
    """Accuracy at any n: the rows only one model gets right decide it."""
    right_c = np.asarray(y == np.asarray(candidate.label), dtype=bool)
    right_b = np.asarray(y == np.asarray(baseline.label), dtype=bool)
    only_c = int(np.count_nonzero(right_c & ~right_b))
    only_b = int(np.count_nonzero(right_b & ~right_c))
    return _checked(proportion_estimate(delta, only_c, only_b, len(y)), metric.name)


def proportion_estimate(
    delta: float, only_c: int, only_b: int, n: int, among: int | None = None
) -> Estimate:
    """The Estimate of a paired proportion's delta from its discordant counts (both engines):
    rows only the candidate gets right and rows only production gets right — among all n rows
    (accuracy) or among `among` of them (binary recall: the positives). The interval is the
    paired score interval of those counts (records.paired_proportion_interval); se and growth
    are those of the per-row differences d ∈ {−1, 0, 1} over the m rows it is among:
    var = (differing − m·delta²)/(m − 1), and one more differing row per 1/m of worsening
    (growth 1/m)."""
    m = n if among is None else among
    differ = only_c + only_b
    var = (differ - m * delta * delta) / (m - 1) if m > 1 else 0.0
    se = math.sqrt(max(var, 0.0) / m) if m > 0 else 0.0
    rows = "rows" if among is None else "positives"
    method = f"paired score interval ({differ} of {m} {rows} differ)"
    growth = 1.0 / m if differ else 0.0
    return Estimate(delta, method, n, se, growth=growth, discordant=(only_c, only_b), among=among)


def cell_estimate(
    metric: Metric, cells: np.ndarray, pos: int, delta: float, *, n_boot: int, seed: int
) -> Estimate:
    """A binary confusion metric (precision, recall, f1, jaccard, balanced accuracy, MCC,
    kappa) at any n, on both engines: the 8 (truth, candidate, production) cell counts drawn
    n_boot times from a Dirichlet with PRIOR added to each cell, the metric of both models on
    each draw (the posterior of the delta; its percentiles are the interval). Recall is a paired
    proportion of the positives instead: accuracy's paired score interval of the positives only
    one model finds (proportion_estimate), both tails within 2.5% at 30–100 positives where
    this draw passed strict mode wrongly up to 3.1% (benchmarks/ratio_tails.py).

    A row bootstrap resamples only the rows it has seen: when the models disagree on 3 of 300
    rows it collapses onto those rows, and f1 covered 74% (recall 82%, precision 80%; 30
    positives). The 1 on each cell (the uniform prior) lets a draw hold disagreements the eval
    set happened to miss, and at large counts the draw is the row bootstrap's normal limit. ½
    (Jeffreys) let strict mode pass a boundary candidate up to 4.5% of the time at 30–100
    positives (nominal 2.5%); 1 keeps it at most 3.2%, conservative where only a few rows
    differ (benchmarks/ratio_tails.py, docs/design.md §5). The cost is B × 8 numbers at any n.
    """
    n = int(cells.sum())
    if metric.family == "confusion:recall:binary":
        grid = np.asarray(cells).reshape(2, 2, 2)[pos]  # the positives: (candidate, production)
        positives = int(grid.sum())
        if positives > 0:
            only_c, only_b = int(grid[pos, 1 - pos]), int(grid[1 - pos, pos])
            return proportion_estimate(delta, only_c, only_b, n, among=positives)
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(np.asarray(cells, dtype=np.float64) + PRIOR, size=n_boot) * n
    values = score_cells(metric, draws.reshape(n_boot, 2, 2, 2), pos)
    diff = values[:, 0] - values[:, 1]
    ok = np.isfinite(diff)
    if int(ok.sum()) < n_boot / 2:
        raise MetricError(
            f"{metric.name}: only {int(ok.sum())} of {n_boot} draws of the cell counts could be "
            "scored; the eval rows are too few or too unbalanced for it"
        )
    growth = _growth(metric, None, delta, n, values[ok, 0])
    method = f"Dirichlet cell counts (B={n_boot}, 1 added per cell)"
    return _from_samples(delta, method, n, diff[ok], metric.name, growth)


def multiclass_cell_estimate(
    metric: Metric, cells: np.ndarray, k: int, pos: int, delta: float, *, n_boot: int, seed: int
) -> Estimate:
    """A confusion metric other than a binary one on two labels (multiclass precision, recall,
    f1, jaccard, balanced accuracy, MCC, kappa) at any n: the Bayesian bootstrap of the rows
    drawn as cell counts.

    Rubin's Bayesian bootstrap gives the n rows Dirichlet(1, …, 1) weights; summed per
    (truth, candidate, production) cell they are Dirichlet(cell counts) — so drawing that over the
    cells seen is the same bootstrap at a cost of B × (cells seen) gamma draws, at any n (no
    subsample). It is the row bootstrap up to O(1/n) (its variance n/(n+1) of it); every one of
    these metrics depends on the matrix only up to scale. (Drawing the row bootstrap's own
    Multinomial(n, counts/n) cost five times as much: 5 ms for B = 1000 at 1k-3k rows, more
    than five metric calls there. Spark draws these by its Poisson bootstrap.)
    """
    cells = np.asarray(cells, dtype=np.int64)
    n = int(cells.sum())
    seen = np.flatnonzero(cells)
    rng = np.random.default_rng(seed)

    def score(size: int) -> np.ndarray:
        counts = np.zeros((size, k**3))
        drawn = rng.standard_gamma(cells[seen].astype(np.float64), size=(size, len(seen)))
        counts[:, seen] = drawn * (n / drawn.sum(axis=1, keepdims=True))  # as n rows' counts
        return score_cells(metric, counts.reshape(size, k, k, k), pos)

    step = max(1, CHUNK_BYTES // (8 * 2 * k**3))
    reps, drawn, own = _bootstrap(score, step, n_boot, metric.name)
    growth = _growth(metric, None, delta, n, own)
    head = f"Dirichlet cell counts (B={n_boot}, the Bayesian bootstrap over {len(seen)} cells"
    return _from_samples(delta, _note(head, drawn, n_boot), n, reps, metric.name, growth)


def max_estimate(
    errors: tuple[np.ndarray, np.ndarray], delta: float, *, n_boot: int, seed: int, name: str
) -> Estimate:
    """max_error at any n: the paired row bootstrap, drawing only the draws that can set a max.

    A resample is n uniform draws of rows. Only the TOP largest errors of each model can be its
    resample's largest unless none of them is drawn, which happens with probability
    (1 − TOP/n)^n < e^−TOP (< 1.2e−7 per resample). Of the n draws, M ~ Binomial(n, t/n) land in
    the union of those t rows, each uniformly there: so drawing M and then M rows of the union
    is the row bootstrap's own law of both maxima, at a cost of B × t instead of B × n. A
    resample whose draws miss a model's top rows is redrawn (its law changes by < 1.2e−7).
    """
    n = len(errors[0])
    top = min(n, MAX_TOP)
    tops = [_largest(np.asarray(e, dtype=np.float64), top) for e in errors]
    union = np.unique(np.concatenate(tops))
    values = np.stack([np.asarray(e, dtype=np.float64)[union] for e in errors])  # (2, t)
    floor = (float(errors[0][tops[0]].min()), float(errors[1][tops[1]].min()))  # TOP-th largest
    return top_max_estimate(values, floor, n, delta, n_boot=n_boot, seed=seed, name=name)


def top_max_estimate(
    values: np.ndarray,
    floor: tuple[float, float],
    n: int,
    delta: float,
    *,
    n_boot: int,
    seed: int,
    name: str,
) -> Estimate:
    """max_estimate from the union of both models' MAX_TOP largest errors over n rows: `values`
    (2, t) both models' errors on those rows, `floor` each model's MAX_TOP-th largest. The rows
    are taken in the order of their errors (candidate's, then baseline's), so the draws do not
    depend on where the rows sit in the eval data (the Spark engine collects only these rows)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[:, np.lexsort((values[1], values[0]))]
    t = values.shape[1]
    rng = np.random.default_rng(seed)

    def score(size: int) -> np.ndarray:
        hits = rng.binomial(n, t / n, size=size)
        width = int(hits.max())
        picks = rng.integers(0, t, size=(size, max(width, 1)))
        drawn = np.arange(max(width, 1)) < hits[:, None]
        out = np.full((size, 2), np.nan)
        for j in (0, 1):
            largest = np.where(drawn, values[j][picks], -np.inf).max(axis=1)
            out[:, j] = np.where(largest >= floor[j], largest, np.nan)  # missed its top: redraw
        return out

    reps, drawn, _ = _bootstrap(score, max(1, CHUNK_BYTES // (16 * t + 64)), n_boot, name)
    head = f"paired bootstrap of the largest errors (B={n_boot}, the {t} rows that can set a max"
    return _from_samples(delta, _note(head, drawn, n_boot), n, reps, name)


def _largest(values: np.ndarray, k: int, block: int = 64) -> np.ndarray:
    """Indices of the k largest values (deterministic among ties). The k-th largest of the
    block maxima bounds the k-th largest value from below, so one pass of block maxima and one
    comparison leave a few candidates to select from (a full argpartition costs ~10x more)."""
    n = len(values)
    if n <= 4 * k * block:
        return np.argpartition(values, n - k)[n - k :]
    full = n // block * block
    maxima = values[:full].reshape(-1, block).max(axis=1)
    if full < n:
        maxima = np.append(maxima, values[full:].max())
    bound = np.partition(maxima, len(maxima) - k)[len(maxima) - k]
    candidates = np.flatnonzero(values >= bound)
    chosen = np.argpartition(values[candidates], len(candidates) - k)[len(candidates) - k :]
    return candidates[chosen]


def _growth(
    metric: Metric, influence: np.ndarray | None, delta: float, n: int, own: np.ndarray | None
) -> float:
    """How much the variance of the delta grows per unit of further worsening (Estimate.growth).

    A worse candidate differs from production on more rows, and each such row adds spread: with
    per-row differences d_i (a mean of per-row losses), one unit more of worsening brings about
    E[d²]/E[|d|] / n more variance (1/n for accuracy: one more differing row per 1/n). For a
    metric on [0, 1] without per-row terms (f1, recall, AUC…), the candidate's own bootstrap
    spread p(1 − p)/n_eff tells how many rows it rests on: growth 1/n_eff. Else 0 (the spread is
    taken as measured).
    """
    kind = (metric.family or "").split(":")[0]
    if influence is not None and kind == "order":
        return 0.0  # a median's spread is its density's, not the rows that differ: as measured
    if influence is not None:
        rows = np.asarray(influence, dtype=np.float64) + delta  # each row's share of the delta
        size = float(np.mean(np.abs(rows)))
        return float(np.mean(rows**2)) / size / n if size > 0 else 0.0
    if own is None or len(own) < 2 or kind not in ("confusion", "rank"):
        return 0.0
    p = float(np.mean(own))
    if not 0 < p < 1:
        return 0.0
    return float(np.var(own, ddof=1)) / (p * (1 - p))


def _scaling(
    metric: Metric, influence: np.ndarray | None, delta: float, n: int
) -> tuple[float, float]:
    """Estimate.scaling: how the variance of the delta grows when the rows on which the
    candidate is already worse get worse still, each in proportion to how much worse it is.

    With d_i a row's share of the delta (its influence plus the delta) and w_i its part on the
    worse side (d_i where the metric worsens, else 0), worse by t more the shares are d_i ± t·a_i,
    a_i = w_i / mean(w), and the variance of their mean grows by ±2t·cov(d, a)/n + t²·var(a)/n:
    (cov(d, a)/n, var(a)/n), the sign being the worsening's (compare turns it). var(a) is about
    1/q − 1 when a share q of the rows carries the worsening, so for a loss worsening on a few
    rows the spread grows as fast as the worsening. Only for means of per-row losses and for
    r2 and explained variance (the metrics whose rows can err by more); (0, 0) for a median
    (its spread is its density's), rank metrics (bounded, their growth is their own spread's)
    and where there are no per-row terms.
    """
    kind = (metric.family or "").split(":")[0]
    if influence is None or kind not in ("rows", "sums"):
        return (0.0, 0.0)
    rows = np.asarray(influence, dtype=np.float64) + delta
    worse = np.maximum(rows if not metric.higher_is_better else -rows, 0.0)
    means = (np.mean(rows), np.mean(worse), np.mean(rows * worse), np.mean(worse**2))
    return scaling_of(n, *(float(v) for v in means))


def scaling_of(n: int, d: float, w: float, dw: float, ww: float) -> tuple[float, float]:
    """Estimate.scaling from the means of the shares d, their worse-side parts w, d·w and w²
    over n rows (both engines: the Spark engine sums them)."""
    if not w > 0:
        return (0.0, 0.0)
    return ((dw / w - d) / n, max(ww / (w * w) - 1.0, 0.0) / n)


def replicate_scores(
    metric: Metric, y: np.ndarray, candidate: Predictions, baseline: Predictions, index: np.ndarray
) -> np.ndarray:
    """Both models' metric on each resample `index[b]` (rows of row indices): shape (B, 2).

    NaN marks a resample on which the metric is undefined. Uses the same fast paths as
    paired_estimate, so it is what the tests compare against the plain scikit-learn loop.
    """
    y = np.asarray(y)
    metric = metric.bind(y, candidate, baseline)
    kernel = make_kernel(metric, y, candidate, baseline)
    index = np.asarray(index)
    step = _chunk(kernel, index.shape[1])
    return np.concatenate(
        [kernel.replicates(index[i : i + step]) for i in range(0, len(index), step)]
    )


def delong(
    y_bin: np.ndarray, score_c: np.ndarray, score_b: np.ndarray, *, name: str = "roc_auc"
) -> tuple[float, float, float]:
    """(AUC candidate, AUC baseline, se of their difference): DeLong's paired test, O(n log n).

    The fast form of Sun & Xu (2014): midranks within each class and overall give every row's
    placement value; the covariance of those gives the variance of the AUC difference.
    """
    pos = np.asarray(y_bin) == 1
    m, k = int(pos.sum()), int((~pos).sum())
    if m < 2 or k < 2:
        raise MetricError(
            f"{name}: DeLong needs at least 2 rows of each class "
            f"(the eval rows hold {m} positive and {k} negative)"
        )
    v10, v01 = [], []
    for score in (score_c, score_b):
        score = np.asarray(score, dtype=np.float64)
        overall = _midrank(score)
        v10.append((overall[pos] - _midrank(score[pos])) / k)  # share of negatives below
        v01.append(1.0 - (overall[~pos] - _midrank(score[~pos])) / m)  # share of positives above
    var = np.var(v10[0] - v10[1], ddof=1) / m + np.var(v01[0] - v01[1], ddof=1) / k
    return float(v10[0].mean()), float(v10[1].mean()), math.sqrt(max(float(var), 0.0))


# ---------------------------------------------------------------- bootstrap driver


def _row_bootstrap(
    kernel: Kernel, n: int, n_boot: int, rng: np.random.Generator, name: str
) -> tuple[np.ndarray, int, np.ndarray]:
    """_bootstrap over resamples of row indices, scored by the metric's kernel."""
    dtype = np.int32 if n < 2**31 else np.int64

    def score(size: int) -> np.ndarray:
        return kernel.replicates(rng.integers(0, n, size=(size, n), dtype=dtype))

    return _bootstrap(score, _chunk(kernel, n), n_boot, name)


def _bootstrap(
    score: Callable[[int], np.ndarray], step: int, n_boot: int, name: str
) -> tuple[np.ndarray, int, np.ndarray]:
    """n_boot finite delta replicates, how many resamples were drawn to get them, and the
    candidate's own metric on those resamples. `score(size)` draws `size` resamples and gives
    both models' metric on each, (size, 2), at most `step` at a time.

    Resamples on which the metric is undefined are replaced by further draws from the same
    generator, so the result stays a pure function of the seed.
    """
    parts, own, have, drawn = [], [], 0, 0
    while have < n_boot:
        if drawn >= MAX_DRAWS * n_boot:
            raise MetricError(
                f"{name}: only {have} of {drawn} bootstrap resamples could be "
                "scored; the eval rows are too few or too unbalanced for it"
            )
        size = min(step, n_boot - have, MAX_DRAWS * n_boot - drawn)
        values = score(size)
        delta = values[:, 0] - values[:, 1]
        ok = np.isfinite(delta)
        parts.append(delta[ok])
        own.append(values[ok, 0])
        have += int(ok.sum())
        drawn += size
    return np.concatenate(parts), drawn, np.concatenate(own)


def _chunk(kernel: Kernel, n: int) -> int:
    per_resample = kernel.bytes_per_cell * max(n, 1) + getattr(kernel, "bytes_per_resample", 0)
    return max(1, CHUNK_BYTES // per_resample)


def _note(head: str, drawn: int, n_boot: int) -> str:
    dropped = drawn - n_boot
    if dropped >= NOTE_DROPPED * drawn:
        return f"{head}; {dropped} of {drawn} resamples redrawn: metric undefined on them)"
    return head + ")"


def _from_samples(
    delta: float,
    method: str,
    n: int,
    reps: np.ndarray,
    name: str,
    growth: float = 0.0,
    scaling: tuple[float, float] = (0.0, 0.0),
) -> Estimate:
    se = float(np.std(reps, ddof=1))
    samples = tuple(float(r) for r in reps)
    estimate = Estimate(delta, method, n, se, samples, growth=growth, scaling=scaling)
    return _checked(estimate, name)


def _checked(estimate: Estimate, name: str) -> Estimate:
    """NaN never reaches a report: an estimate that is not finite is an error."""
    values = [estimate.delta, estimate.se, *(estimate.samples or ())]
    if not all(math.isfinite(v) for v in values):
        raise MetricError(f"{name}: the paired estimate is not finite on these rows")
    return estimate


def _auc_growth(y_bin: np.ndarray, score: np.ndarray, auc: float) -> float:
    """Estimate.growth of an AUC delta: the candidate's own DeLong variance over auc(1 − auc),
    the 1/n_eff of a metric on [0, 1] (as `_growth` for bootstrapped ones)."""
    pos = np.asarray(y_bin) == 1
    m, k = int(pos.sum()), int((~pos).sum())
    score = np.asarray(score, dtype=np.float64)
    overall = _midrank(score)
    v10 = (overall[pos] - _midrank(score[pos])) / k
    v01 = 1.0 - (overall[~pos] - _midrank(score[~pos])) / m
    return unit_growth(auc, float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / k))


def unit_growth(value: float, var: float) -> float:
    """Estimate.growth of a metric on [0, 1] from the candidate's own variance: 1/n_eff."""
    return var / (value * (1 - value)) if 0 < value < 1 and var > 0 else 0.0


def _midrank(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]
