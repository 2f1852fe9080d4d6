"""Paired statistics of candidate vs baseline on the same rows: bootstrap, DeLong, per-row, Holm."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np

from mlgate.metrics import Metric, MetricError, Predictions
from mlgate.records import Estimate

CHUNK_BYTES = 48_000_000  # working memory of one block of bootstrap resamples
MAX_DRAWS = 3  # draw at most MAX_DRAWS * B resamples when some are degenerate, then give up
NOTE_DROPPED = 0.01  # say in `method` when at least this fraction of resamples was redrawn


def paired_estimate(
    metric: Metric,
    y: np.ndarray,
    candidate: Predictions,
    baseline: Predictions,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    max_rows: int = 20_000,
) -> Estimate:
    """delta = candidate - baseline on the same rows, with its sampling spread (DESIGN.md §5).

    n ≤ max_rows: seeded paired bootstrap (vectorised where the metric allows). Binary ROC AUC:
    DeLong at any n. n > max_rows: per-row paired differences for decomposable metrics, else a
    subsample bootstrap on max_rows rows rescaled to n. Raises MetricError if it cannot be formed.
    """
    if n_boot < 2 or max_rows < 2:
        raise ValueError("n_boot and max_rows must be at least 2")
    y = np.asarray(y)
    n = len(y)
    metric = metric.bind(y, candidate, baseline)
    delta = metric.score(y, candidate) - metric.score(y, baseline)
    if metric.family == "auc":
        y_bin, score_c, _ = metric.inputs(y, candidate)
        _, score_b, _ = metric.inputs(y, baseline)
        se = delong(y_bin, score_c, score_b, name=metric.name)[2]
        return _checked(Estimate(delta, "DeLong", n, se), metric.name)
    rng = np.random.default_rng(seed)
    if n <= max_rows:
        kernel = make_kernel(metric, y, candidate, baseline)
        reps, drawn = _bootstrap(kernel, n, n_boot, rng, metric.name)
        return _from_samples(
            delta, _note(f"paired bootstrap (B={n_boot}", drawn, n_boot), n, reps, metric.name
        )
    kernel = make_kernel(metric, y, candidate, baseline)
    influence = kernel.influence()
    if influence is not None:
        se = float(np.std(influence, ddof=1)) / math.sqrt(n)
        return _checked(Estimate(delta, "paired per-row differences", n, se), metric.name)
    # The rest: bootstrap a seeded subsample of m rows, recentred on the full-data delta and
    # shrunk by sqrt(m/n) — the spread of a smooth statistic scales as 1/sqrt(rows).
    sub = rng.choice(n, size=max_rows, replace=False)
    y_sub, cand_sub, base_sub = y[sub], candidate.take(sub), baseline.take(sub)
    delta_sub = metric.score(y_sub, cand_sub) - metric.score(y_sub, base_sub)
    kernel = make_kernel(metric, y_sub, cand_sub, base_sub)
    reps, drawn = _bootstrap(kernel, max_rows, n_boot, rng, metric.name)
    reps = delta + (reps - delta_sub) * math.sqrt(max_rows / n)
    method = _note(f"subsample bootstrap (m={max_rows} of {n}, rescaled", drawn, n_boot)
    return _from_samples(delta, method, n, reps, metric.name)


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


def holm(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down correction: True where the hypothesis is rejected (significant)."""
    p = [float(v) for v in pvalues]
    if any(math.isnan(v) for v in p):
        raise ValueError("holm: a p-value is NaN")
    rejected = [False] * len(p)
    order = sorted(range(len(p)), key=lambda i: (p[i], i))
    for rank, i in enumerate(order):
        if p[i] > alpha / (len(p) - rank):
            break  # step-down: once one is kept, every larger p-value is kept too
        rejected[i] = True
    return rejected


def detectable_worsening(se: float, tolerance: float, alpha: float, power: float = 0.8) -> float:
    """The smallest true worsening the default rule detects with `power`, in metric units.

    The rule fails a gate when the two-sided (1 - alpha) interval lies wholly beyond the
    tolerance: tolerance + (z_{1-alpha/2} + z_power) * se.
    """
    if not (0 < alpha < 1 and 0 < power < 1) or se < 0:
        raise ValueError("need 0 < alpha < 1, 0 < power < 1 and se ≥ 0")
    z = NormalDist()
    return tolerance + (z.inv_cdf(1 - alpha / 2) + z.inv_cdf(power)) * se


# ---------------------------------------------------------------- bootstrap driver


def _bootstrap(
    kernel: Kernel, n: int, n_boot: int, rng: np.random.Generator, name: str
) -> tuple[np.ndarray, int]:
    """n_boot finite delta replicates and how many resamples were drawn to get them.

    Resamples on which the metric is undefined are replaced by further draws from the same
    generator, so the result stays a pure function of the seed.
    """
    step = _chunk(kernel, n)
    dtype = np.int32 if n < 2**31 else np.int64
    parts, have, drawn = [], 0, 0
    while have < n_boot:
        if drawn >= MAX_DRAWS * n_boot:
            raise MetricError(
                f"{name}: only {have} of {drawn} bootstrap resamples could be "
                "scored; the eval rows are too few or too unbalanced for it"
            )
        size = min(step, n_boot - have, MAX_DRAWS * n_boot - drawn)
        values = kernel.replicates(rng.integers(0, n, size=(size, n), dtype=dtype))
        delta = values[:, 0] - values[:, 1]
        ok = np.isfinite(delta)
        parts.append(delta[ok])
        have += int(ok.sum())
        drawn += size
    return np.concatenate(parts), drawn


def _chunk(kernel: Kernel, n: int) -> int:
    per_resample = kernel.bytes_per_cell * max(n, 1) + getattr(kernel, "bytes_per_resample", 0)
    return max(1, CHUNK_BYTES // per_resample)


def _note(head: str, drawn: int, n_boot: int) -> str:
    dropped = drawn - n_boot
    if dropped >= NOTE_DROPPED * drawn:
        return f"{head}; {dropped} of {drawn} resamples redrawn: metric undefined on them)"
    return head + ")"


def _from_samples(delta: float, method: str, n: int, reps: np.ndarray, name: str) -> Estimate:
    se = float(np.std(reps, ddof=1))
    return _checked(Estimate(delta, method, n, se, tuple(float(r) for r in reps)), name)


def _checked(estimate: Estimate, name: str) -> Estimate:
    """NaN never reaches a report: an estimate that is not finite is an error."""
    values = [estimate.delta, estimate.se, *(estimate.samples or ())]
    if not all(math.isfinite(v) for v in values):
        raise MetricError(f"{name}: the paired estimate is not finite on these rows")
    return estimate


def _midrank(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]


# ---------------------------------------------------------------- kernels
# A kernel scores both models on a block of resamples at once: replicates(index) -> (c, 2).


class Kernel(Protocol):
    bytes_per_cell: int  # working memory per (resample, row), to size the blocks

    def replicates(self, index: np.ndarray) -> np.ndarray: ...

    def influence(self) -> np.ndarray | None:
        """Per-row influence of the delta (its linearisation), or None if not decomposable."""


def make_kernel(
    metric: Metric, y: np.ndarray, candidate: Predictions, baseline: Predictions
) -> Kernel:
    """The fastest exact way to score `metric` on resamples (generic loop as the fallback)."""
    kind = (metric.family or "").split(":")[0]
    build = _KERNELS.get(kind, _LoopKernel)
    return build(metric, np.asarray(y), candidate, baseline)


class _LoopKernel:
    """Any metric: call it on each resample (module:function, scorers, AP, multiclass AUC…)."""

    bytes_per_cell = 4

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        self.metric, self.y, self.preds = metric, y, (cand, base)

    def replicates(self, index: np.ndarray) -> np.ndarray:
        out = np.full((len(index), 2), np.nan)
        for b, rows in enumerate(index):
            with contextlib.suppress(MetricError):  # undefined here (one class only…): redrawn
                out[b] = [self.metric.score(self.y[rows], p.take(rows)) for p in self.preds]
        return out

    def influence(self) -> None:
        return None


def _zero_one(y: np.ndarray, pred: np.ndarray, labels: Any) -> np.ndarray:
    return np.asarray(y == pred, dtype=np.float64)


def _log_loss(y: np.ndarray, proba: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """Per-row log loss exactly as sklearn computes it (clipped to [eps, 1 - eps] of the dtype)."""
    proba = np.asarray(proba, dtype=np.result_type(proba.dtype, np.float32))
    eps = np.finfo(proba.dtype).eps
    if proba.ndim == 1:  # binary: y is 0/1, proba the positive column
        own = np.where(y == 1, proba, 1 - proba)  # sklearn clips both columns, then picks
        return np.asarray(-np.log(np.clip(own, eps, 1 - eps)), dtype=np.float64)
    assert labels is not None
    code = np.clip(np.searchsorted(labels, y), 0, len(labels) - 1)
    if not np.all(labels[code] == y):
        raise MetricError("log_loss: the eval rows hold a class the model does not know")
    own = proba[np.arange(len(y)), code]
    return np.asarray(-np.log(np.clip(own, eps, 1 - eps)), dtype=np.float64)


def _residual(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=np.float64) - np.asarray(pred, dtype=np.float64)


_ROW_LOSS: dict[str, Callable[[np.ndarray, np.ndarray, Any], np.ndarray]] = {
    "zero_one": _zero_one,
    "log_loss": _log_loss,
    "brier": lambda y, p, _: _residual(y, p) ** 2,
    "squared": lambda y, p, _: _residual(y, p) ** 2,
    "absolute": lambda y, p, _: np.abs(_residual(y, p)),
    "ape": lambda y, p, _: (
        np.abs(_residual(y, p))
        / np.maximum(np.abs(np.asarray(y, dtype=np.float64)), np.finfo(np.float64).eps)
    ),
}
# the metric is FINISH(mean of per-row losses); SLOPE is FINISH's derivative (delta method)
_FINISH: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "": lambda m: m,
    "neg": lambda m: -m,
    "sqrt": np.sqrt,
    "negsqrt": lambda m: -np.sqrt(m),
}
_SLOPE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "": np.ones_like,
    "neg": lambda m: -np.ones_like(m),
    "sqrt": lambda m: np.where(m > 0, 0.5 / np.sqrt(np.where(m > 0, m, 1)), 0.0),
    "negsqrt": lambda m: -np.where(m > 0, 0.5 / np.sqrt(np.where(m > 0, m, 1)), 0.0),
}


def _gathered(columns: np.ndarray, index: np.ndarray, n: int = 1) -> np.ndarray:
    """Per column, its sum over each resample (divided by n): shape (columns, resamples).

    One contiguous 1-D gather per column: a 2-D fancy index over all columns at once is ~10x
    slower and sums in a different order.
    """
    return np.stack([col[index].sum(axis=1) / n for col in columns])


class _RowKernel:
    """Mean of a per-row loss (accuracy, log loss, Brier, squared/absolute/percentage error)."""

    bytes_per_cell = 4 + 2 * 8

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        _, loss, self.finish = (metric.family or "").split(":")
        self.rows = np.stack([_ROW_LOSS[loss](*metric.inputs(y, p)) for p in (cand, base)])

    def replicates(self, index: np.ndarray) -> np.ndarray:
        return _FINISH[self.finish](_gathered(self.rows, index, n=index.shape[1])).T

    def influence(self) -> np.ndarray:
        mean = self.rows.mean(axis=1, keepdims=True)
        each = _SLOPE[self.finish](mean) * (self.rows - mean)
        return np.asarray(each[0] - each[1])


class _SumKernel:
    """r2 and explained variance from resampled sums (Σy, Σy², Σe, Σe² per model)."""

    bytes_per_cell = 4 + 6 * 8

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        self.how = (metric.family or "").split(":")[1]
        yv = np.asarray(y, dtype=np.float64)
        self.y_centred = yv - yv.mean()  # centring keeps Σy² - (Σy)²/n free of cancellation
        self.errors = [_residual(y, metric.inputs(y, p)[1]) for p in (cand, base)]
        cols = [self.y_centred, self.y_centred**2]
        for e in self.errors:
            cols += [e, e**2]
        self.cols = np.stack(cols)

    def replicates(self, index: np.ndarray) -> np.ndarray:
        s = _gathered(self.cols, index)
        n = index.shape[1]
        total = s[1] - s[0] ** 2 / n
        out = []
        for j in (2, 4):
            residual = s[j + 1] if self.how == "r2" else s[j + 1] - s[j] ** 2 / n
            out.append(_one_minus_ratio(residual, total, s[j + 1], s[1]))
        return np.stack(out, axis=1)

    def influence(self) -> np.ndarray | None:
        spread = self.y_centred**2
        scale = spread.mean()
        if scale <= 0:
            return None
        terms = [e**2 if self.how == "r2" else (e - e.mean()) ** 2 for e in self.errors]
        diff = terms[1] - terms[0]  # delta = mean(diff) / scale, a ratio of means
        delta = diff.mean() / scale
        return np.asarray((diff - diff.mean() - delta * (spread - scale)) / scale)


def _one_minus_ratio(
    num: np.ndarray, den: np.ndarray, num_scale: np.ndarray, den_scale: np.ndarray
) -> np.ndarray:
    """1 - num/den with sklearn's force_finite: den = 0 gives 1 if num = 0, else 0."""
    tiny = np.finfo(np.float64).tiny
    den_zero = den <= 1e-12 * np.maximum(den_scale, tiny)
    num_zero = np.abs(num) <= 1e-12 * np.maximum(num_scale, tiny)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 1 - num / np.where(den_zero, 1.0, den)
    return np.where(den_zero, np.where(num_zero, 1.0, 0.0), value)


class _ConfusionKernel:
    """Confusion-matrix metrics: one bincount over (resample, true, pred_cand, pred_base) codes.

    With few classes a row's joint code covers both models (k^3 cells per resample), so one
    gather and one bincount serve both; with many classes, one bincount per model (k^2 cells).
    """

    bytes_per_cell = 4 + 2 * 8
    JOINT_CELLS = 4096  # k^3 up to this (k <= 16): the joint code

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        self.how = (metric.family or "").split(":")[1:]
        n = len(y)
        labels = [metric.inputs(y, p)[1] for p in (cand, base)]
        binary = metric.task == "binary"
        extra = [np.asarray([metric.positive(y, cand)])] if binary else []  # even if unseen
        _, code = np.unique(np.concatenate([y, *labels, *extra]), return_inverse=True)
        k = self.k = int(code.max()) + 1
        self.pos = int(code[-1]) if binary else 0
        true, pred_c, pred_b = (code[i * n : (i + 1) * n].astype(np.int64) for i in range(3))
        self.joint = k**3 <= self.JOINT_CELLS
        if self.joint:
            self.codes = [(true * k + pred_c) * k + pred_b]
        else:
            self.codes = [true * k + pred_c, true * k + pred_b]
        self.cells = k**3 if self.joint else k * k
        self.bytes_per_resample = 3 * 8 * self.cells * len(self.codes)

    def replicates(self, index: np.ndarray) -> np.ndarray:
        c, k = len(index), self.k
        offset = (np.arange(c, dtype=np.int64) * self.cells)[:, None]
        counts = []
        for codes in self.codes:
            cells = codes[index]
            cells += offset
            counts.append(np.bincount(cells.ravel(), minlength=c * self.cells))
        if self.joint:  # (resample, true, pred_cand, pred_base) -> one (true, pred) per model
            joint = counts[0].reshape(c, k, k, k)
            matrices = np.stack([joint.sum(axis=3), joint.sum(axis=2)], axis=1)
        else:
            matrices = np.stack([m.reshape(c, k, k) for m in counts], axis=1)
        fn = _CONFUSION[self.how[0]]
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(matrices.astype(np.float64), *self.how[1:], pos=self.pos)

    def influence(self) -> None:
        return None


def _sums(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class: true positives, true count (row sums), predicted count (column sums)."""
    return np.diagonal(c, axis1=-2, axis2=-1), c.sum(axis=-1), c.sum(axis=-2)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, and 0 where b = 0 (sklearn's zero_division default)."""
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def _balanced_accuracy(c: np.ndarray, pos: int) -> np.ndarray:
    tp, true, _ = _sums(c)
    seen = true > 0  # sklearn drops classes absent from y_true
    return np.asarray(np.where(seen, _div(tp, true), 0).sum(axis=-1) / seen.sum(axis=-1))


_PARTS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "precision": lambda tp, t, p: (tp, p),
    "recall": lambda tp, t, p: (tp, t),
    "f1": lambda tp, t, p: (2 * tp, t + p),
    "jaccard": lambda tp, t, p: (tp, t + p - tp),
}


def _prf(c: np.ndarray, metric: str, average: str, pos: int) -> np.ndarray:
    tp, true, pred = _sums(c)
    num, den = _PARTS[metric](tp, true, pred)
    if average == "binary":
        return _div(num[..., pos], den[..., pos])
    if average == "micro":
        return _div(num.sum(axis=-1), den.sum(axis=-1))
    per_class = _div(num, den)
    if average == "weighted":
        return _div((per_class * true).sum(axis=-1), true.sum(axis=-1))
    present = (true + pred) > 0  # macro: the labels present in y_true or y_pred, as sklearn
    return np.asarray(np.where(present, per_class, 0).sum(axis=-1) / present.sum(axis=-1))


def _mcc(c: np.ndarray, pos: int) -> np.ndarray:
    tp, true, pred = _sums(c)
    n = true.sum(axis=-1)
    cov_tp = tp.sum(axis=-1) * n - (true * pred).sum(axis=-1)
    both = (n * n - (pred * pred).sum(axis=-1)) * (n * n - (true * true).sum(axis=-1))
    return np.where(both == 0, 0.0, cov_tp / np.sqrt(np.where(both == 0, 1, both)))


def _kappa(c: np.ndarray, pos: int) -> np.ndarray:
    tp, true, pred = _sums(c)
    n = true.sum(axis=-1)
    expected_off = (n * n - (true * pred).sum(axis=-1)) / n  # chance disagreement
    return np.where(expected_off > 0, 1 - (n - tp.sum(axis=-1)) / expected_off, np.nan)


_CONFUSION: dict[str, Callable[..., np.ndarray]] = {
    "balanced_accuracy": _balanced_accuracy,
    "precision": lambda c, avg, pos: _prf(c, "precision", avg, pos),
    "recall": lambda c, avg, pos: _prf(c, "recall", avg, pos),
    "f1": lambda c, avg, pos: _prf(c, "f1", avg, pos),
    "jaccard": lambda c, avg, pos: _prf(c, "jaccard", avg, pos),
    "mcc": _mcc,
    "kappa": _kappa,
}

_KERNELS: dict[str, Callable[[Metric, np.ndarray, Predictions, Predictions], Kernel]] = {
    "rows": _RowKernel,
    "sums": _SumKernel,
    "confusion": _ConfusionKernel,
}
