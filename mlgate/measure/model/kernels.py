"""Bootstrap kernels: score both models on a block of row resamples at once (vectorised).

A kernel turns resample index blocks into (c, 2) metric replicates. Confusion-matrix metrics
use one bincount, per-row losses gathered means, r2-like metrics gathered sums. Rank metrics
(average precision, multiclass ROC AUC ovr/ovo) sort each score column once and read every
resample as row weights (how often it drew each row): per tie group of scores, the weight of
positives and negatives, whose cumulative sums give the AUC (Mann-Whitney from weighted midranks,
ties count 1/2, in integers) or the average precision exactly as scikit-learn's curves do; the
weight matrix is gathered in C order (numpy's `w[:, cols]` is F order, ~10x slower to
cumsum); from NORMAL_ROWS rows their per-row influence decides instead (DeLong's placements,
average precision's derivative in each row's weight). Order statistics: the median absolute
error reads the same weights over the sorted errors (one search over all resamples), the max
error is the max of the drawn errors.
Anything else falls back to calling the metric per resample (exact, slower). Every kernel
gives the per-resample loop's numbers for the same seed up to floating-point summation order
(tests/measure/model: relative 1e-9 against scikit-learn on each resample), so replacing the
loop changed no estimate.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from mlgate.load.predictions import Predictions
from mlgate.measure.model.metrics import Metric, MetricError


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
    """Any metric: call it on each resample (module:function, scorers, metrics with params)."""

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


def absolute_errors(metric: Metric, y: np.ndarray, pred: Predictions) -> np.ndarray:
    """|y − prediction| per row, as the median and max error score them."""
    return np.asarray(np.abs(_residual(*metric.inputs(y, pred)[:2])))


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


def _gathered(
    columns: Sequence[np.ndarray] | np.ndarray, index: np.ndarray, n: int = 1
) -> np.ndarray:
    """Per column, its sum over each resample (divided by n): shape (columns, resamples).

    Columns go in pairs as the real and imaginary parts of one complex column: one contiguous
    1-D gather reads both (a 2-D fancy index over all columns at once is ~10x slower, and one
    gather per column reads the index twice as often). Sums agree with per-column float sums
    to rounding (relative ~1e-16).
    """
    out = []
    for j in range(0, len(columns) - 1, 2):
        pair = columns[j] + 1j * columns[j + 1]
        total = pair[index].sum(axis=1) / n
        out += [total.real, total.imag]
    if len(columns) % 2:
        out.append(columns[-1][index].sum(axis=1) / n)
    return np.stack(out)


class _RowKernel:
    """Mean of a per-row loss (accuracy, log loss, Brier, squared/absolute/percentage error)."""

    bytes_per_cell = 4 + 2 * 8

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        _, loss, self.finish = (metric.family or "").split(":")
        # two arrays, not one stacked (2, n) copy: a fresh 2n-float block costs page faults
        self.rows = [_ROW_LOSS[loss](*metric.inputs(y, p)) for p in (cand, base)]

    def replicates(self, index: np.ndarray) -> np.ndarray:
        return _FINISH[self.finish](_gathered(self.rows, index, n=index.shape[1])).T

    def influence(self) -> np.ndarray:
        """slope_c · (l_c − mean_c) − slope_b · (l_b − mean_b), in two passes over the rows."""
        mean = np.array([self.rows[0].mean(), self.rows[1].mean()])
        slope = _SLOPE[self.finish](mean)
        if slope[0] == slope[1]:  # a linear finish (or equal means): one difference of rows
            out = self.rows[0] - self.rows[1]
            out -= mean[0] - mean[1]
            out *= slope[0]
            return np.asarray(out)
        out = slope[0] * self.rows[0]
        out -= slope[1] * self.rows[1]
        out -= slope[0] * mean[0] - slope[1] * mean[1]
        return np.asarray(out)


class _SumKernel:
    """r2 and explained variance from resampled sums (Σy, Σy², Σe, Σe² per model)."""

    bytes_per_cell = 4 + 6 * 8

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        self.how = (metric.family or "").split(":")[1]
        yv = np.asarray(y, dtype=np.float64)
        self.y_centred = yv - yv.mean()  # centring keeps Σy² - (Σy)²/n free of cancellation
        self.errors = [_residual(y, metric.inputs(y, p)[1]) for p in (cand, base)]
        self._cols: np.ndarray | None = None  # built on the first resample: influence needs none

    def replicates(self, index: np.ndarray) -> np.ndarray:
        if self._cols is None:
            cols = [self.y_centred, self.y_centred**2]
            for e in self.errors:
                cols += [e, e**2]
            self._cols = np.stack(cols)
        s = _gathered(self._cols, index)
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
        terms = [np.square(e if self.how == "r2" else e - e.mean()) for e in self.errors]
        diff = terms[1]
        diff -= terms[0]  # delta = mean(diff) / scale, a ratio of means
        mean = diff.mean()
        spread -= scale
        spread *= mean / scale
        diff -= mean
        diff -= spread
        diff /= scale  # (diff − mean − delta · (spread − scale)) / scale, in place
        return np.asarray(diff)


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
            matrices = joint_matrices(counts[0].reshape(c, k, k, k))
        else:
            matrices = np.stack([m.reshape(c, k, k) for m in counts], axis=1)
        fn = _CONFUSION[self.how[0]]
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(matrices.astype(np.float64), *self.how[1:], pos=self.pos)

    def influence(self) -> None:
        return None


def confusion_cells(
    metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions
) -> tuple[np.ndarray, int, int] | None:
    """A confusion metric's k³ (truth, candidate, production) joint cell counts (flat, in the
    joint code's order), k and the positive class's code; None for other metrics and when k³
    is above JOINT_CELLS (k > 16)."""
    if (metric.family or "").split(":")[0] != "confusion":
        return None
    kernel = _ConfusionKernel(metric, np.asarray(y), cand, base)
    if not kernel.joint:
        return None
    return np.bincount(kernel.codes[0], minlength=kernel.k**3), kernel.k, kernel.pos


def joint_matrices(joint: np.ndarray) -> np.ndarray:
    """(draws, k, k, k) counts over (truth, candidate, production) -> (draws, model, k, k)."""
    return np.stack([joint.sum(axis=3), joint.sum(axis=2)], axis=1)


def score_cells(metric: Metric, joint: np.ndarray, pos: int) -> np.ndarray:
    """Both models' confusion metric on drawn joint counts: (draws, k, k, k) over (truth,
    candidate, production) -> (draws, 2), NaN where the metric is undefined on a draw."""
    how = (metric.family or "").split(":")[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        matrices = joint_matrices(np.asarray(joint, dtype=np.float64))
        return np.asarray(_CONFUSION[how[0]](matrices, *how[1:], pos=pos))


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

# ---------------------------------------------------------------- rank and order metrics


def _weights(index: np.ndarray, n: int) -> np.ndarray:
    """Row weights of each resample: how many times it drew each of the n rows, (c, n)."""
    c = len(index)
    flat = (index + (np.arange(c, dtype=np.int64) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=c * n).reshape(c, n)  # integers: sums stay exact


def _columns(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """matrix[:, columns] in C order: numpy's fancy index gives F order, on which the row-wise
    cumulative sums and products that follow run ~10x slower."""
    return np.take(matrix, columns, axis=1)


class _Ranked:
    """One score column over some rows, sorted once: its tie groups and which rows are positive."""

    def __init__(self, score: np.ndarray, positive: np.ndarray, rows: np.ndarray) -> None:
        values = np.asarray(score, dtype=np.float64)[rows]
        order = np.argsort(values, kind="stable")
        self.rows = rows[order]
        ordered = values[order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        self.ties = len(self.starts) < len(self.rows)
        self.positive = np.asarray(positive, dtype=bool)[self.rows]
        self.at = np.flatnonzero(self.positive)  # positions of the positives in score order

    def groups(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per resample and tie group (ascending score): weight of positives, of negatives."""
        w = _columns(weights, self.rows)
        pos = np.where(self.positive, w, 0)
        if not self.ties:  # every score distinct: a group is a row
            return pos, w - pos
        total = np.add.reduceat(w, self.starts, axis=1)
        pos = np.add.reduceat(pos, self.starts, axis=1)
        return pos, total - pos

    def auc(self, weights: np.ndarray) -> np.ndarray:
        """Mann-Whitney AUC per resample from weighted midranks (ties 1/2), exact in integers.

        A tie group of total weight T ending at cumulative weight S has midrank S - (T - 1)/2;
        twice the positives' rank sum minus P(P + 1) is twice U. NaN where a class is absent.
        """
        w = _columns(weights, self.rows)
        if self.ties:
            total = np.add.reduceat(w, self.starts, axis=1)
            pos = np.add.reduceat(np.where(self.positive, w, 0), self.starts, axis=1)
            ends = np.cumsum(total, axis=1)
        else:  # a group is a row: read the positives' columns only
            ends = np.cumsum(w, axis=1)
            pos = total = _columns(w, self.at)
            ends = _columns(ends, self.at)
        p = pos.sum(axis=1)
        q = w.sum(axis=1) - p
        twice_u = (pos * (2 * ends - total + 1)).sum(axis=1) - p * (p + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = twice_u / (2.0 * p * q)
        return np.where((p > 0) & (q > 0), value, np.nan)

    def _tie_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per tie group (ascending score): its rows, its positives; and each sorted row's group."""
        size = np.diff(np.r_[self.starts, len(self.rows)])
        positives = np.add.reduceat(self.positive.astype(np.int64), self.starts)
        return size, positives, np.repeat(np.arange(len(size)), size)

    def auc_influence(self, n: int) -> tuple[float, np.ndarray] | None:
        """This column's AUC and each of the n rows' influence on it: DeLong's placement (the
        share of the other class scored below, ties 1/2) minus the AUC, over the row's class
        share; rows outside this column's rows (another ovo pair) have none. None when a class
        has fewer than 2 rows (as DeLong)."""
        if len(self.rows) == 0:
            return None
        size, pos, group = self._tie_counts()
        neg = size - pos
        p, q = int(pos.sum()), int(neg.sum())
        if p < 2 or q < 2:
            return None
        v10 = ((np.cumsum(neg) - neg / 2) / q)[group]  # a positive: the negatives below it
        v01 = ((p - np.cumsum(pos) + pos / 2) / p)[group]  # a negative: the positives above
        auc = float(v10[self.positive].mean())
        out = np.zeros(n)
        out[self.rows] = np.where(self.positive, (v10 - auc) * (n / p), (v01 - auc) * (n / q))
        return auc, out

    def ap_influence(self) -> tuple[float, np.ndarray] | None:
        """Average precision over all rows and each row's influence on it, with ties as
        sklearn's curve (a threshold per distinct score). AP = A / π with A = ∫ G/H dμ₁ (G, H
        the shares of positives and of rows scored at or above, μ₁ the positives, π their
        share); a row at score s adds [positive] (G/H(s) + ∫_{t≤s} dμ₁/H) − ∫_{t≤s} G/H² dμ₁ − A
        to A and [positive] − π to π. None with fewer than 2 rows of a class."""
        n = len(self.rows)
        size, pos, group = self._tie_counts()
        p = int(pos.sum())
        if p < 2 or n - p < 2:
            return None
        above = np.cumsum(size[::-1])[::-1].astype(np.float64)  # rows at or above each group
        hits = np.cumsum(pos[::-1])[::-1].astype(np.float64)  # positives at or above
        precision = hits / above
        ap = float((pos * precision).sum() / p)
        share = p / n
        own = (precision + np.cumsum(pos / above))[group]
        every = np.cumsum(pos * precision / above)[group]
        out = np.empty(n)
        out[self.rows] = np.where(self.positive, own, 0.0) - every - ap * share
        out[self.rows] -= ap * (self.positive - share)
        out /= share
        return ap, out

    def average_precision(self, weights: np.ndarray) -> np.ndarray:
        """Σ (recall step) x precision over thresholds from high to low, as sklearn's curve."""
        if self.ties:
            return _average_precision(*self.groups(weights))
        w = _columns(weights, self.rows[::-1])  # high to low; a threshold is a row
        at = len(self.rows) - 1 - self.at[::-1]
        seen = _columns(np.cumsum(w, axis=1), at)
        pos = _columns(w, at)
        tps = np.cumsum(pos, axis=1)
        p = tps[:, -1] if len(at) else np.zeros(len(w), dtype=np.int64)
        q = w.sum(axis=1) - p
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (pos * tps / np.maximum(seen, 1)).sum(axis=1) / p
        return np.where((p > 0) & (q > 0), value, np.nan)  # needs both classes (the metric's rule)


def _average_precision(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Σ (recall step) x precision over thresholds from high to low, as sklearn's curve."""
    pos, neg = pos[:, ::-1], neg[:, ::-1]
    tps, seen = np.cumsum(pos, axis=1), np.cumsum(pos + neg, axis=1)
    precision = np.divide(tps, seen, out=np.zeros(tps.shape), where=seen > 0)
    p, q = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (pos * precision).sum(axis=1) / p
    return np.where((p > 0) & (q > 0), value, np.nan)  # needs both classes (the metric's rule)


class _RankKernel:
    """average_precision (binary) and multiclass roc_auc (ovr / ovo, macro / weighted)."""

    bytes_per_cell = 4 + 8 * 5

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        self.how = (metric.family or "").split(":")[1:]
        self.n = len(y)
        every = np.arange(self.n)
        self.own: tuple[float, np.ndarray] | None = None  # set by influence()
        self.arms: list[list[Any]] = []
        for pred in (cand, base):
            y_used, score, labels = metric.inputs(y, pred)
            if self.how[0] == "ap":
                self.arms.append([_Ranked(score, np.asarray(y_used) == 1, every)])
                continue
            classes = np.asarray(labels) if labels is not None else np.unique(y_used)
            code = np.searchsorted(classes, y_used)
            self.code, self.k = code, len(classes)
            if self.how[0] == "ovr":
                self.arms.append([_Ranked(score[:, j], code == j, every) for j in range(self.k)])
            else:  # ovo: per pair (a, b), a's column on a-or-b rows, then b's
                ranked = []
                for a, b in self.pairs:
                    rows = np.flatnonzero((code == a) | (code == b))
                    ranked += [_Ranked(score[:, a], code == a, rows)]
                    ranked += [_Ranked(score[:, b], code == b, rows)]
                self.arms.append(ranked)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(a, b) for a in range(self.k) for b in range(a + 1, self.k)]

    def replicates(self, index: np.ndarray) -> np.ndarray:
        weights = _weights(index, self.n)
        if self.how[0] != "ap":  # class weights per resample, for presence and averaging
            members = [np.flatnonzero(self.code == j) for j in range(self.k)]
            counts = np.stack([_columns(weights, m).sum(axis=1) for m in members], axis=1)
        out = []
        for ranked in self.arms:
            if self.how[0] == "ap":
                out.append(ranked[0].average_precision(weights))
            elif self.how[0] == "ovr":
                aucs = np.stack([r.auc(weights) for r in ranked], axis=1)
                if self.how[1] == "weighted":  # sklearn: an absent class weighs 0, scores 0
                    aucs = np.where(counts > 0, aucs, 0.0)
                    out.append((aucs * counts).sum(axis=1) / counts.sum(axis=1))
                else:
                    out.append(aucs.mean(axis=1))
            else:
                out.append(self._ovo(ranked, weights, counts))
        return np.stack(out, axis=1)

    def _ovo(self, ranked: list[_Ranked], weights: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Hand & Till: the pairs of classes present in the resample, as sklearn averages them."""
        present = counts > 0
        total = np.zeros(len(weights))
        norm = np.zeros(len(weights))
        for i, (a, b) in enumerate(self.pairs):
            both = present[:, a] & present[:, b]
            score = ranked[2 * i].auc(weights) + ranked[2 * i + 1].auc(weights)
            score = np.where(both, score / 2, 0.0)
            share = (counts[:, a] + counts[:, b]) / self.n if self.how[1] == "weighted" else 1.0
            total += np.where(both, share * score, 0.0)
            norm += np.where(both, share, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(present.sum(axis=1) >= 2, total / norm, np.nan)

    def influence(self) -> np.ndarray | None:
        """The paired influence of the delta: average precision's, or each class's (ovr) or
        pair's (ovo) AUC placements averaged as sklearn averages them — a weighted average adds
        its weights' own influence ([row in the class or pair] − its share). Keeps the
        candidate's (value, influence) as `own`. None when a class has fewer than 2 rows."""
        cand, base = (self._influence(ranked) for ranked in self.arms)
        if cand is None or base is None:
            return None
        self.own = cand
        paired: np.ndarray = cand[1] - base[1]
        return paired

    def _influence(self, ranked: list[_Ranked]) -> tuple[float, np.ndarray] | None:
        if self.how[0] == "ap":
            return ranked[0].ap_influence()
        n, weighted = self.n, self.how[1] == "weighted"
        if self.how[0] == "ovr":
            parts = [r.auc_influence(n) for r in ranked]
            if any(part is None for part in parts):
                return None
            aucs = np.array([part[0] for part in parts if part is not None])
            shares = np.bincount(self.code, minlength=self.k) / n if weighted else None
            total = np.zeros(n)
            for j, part in enumerate(parts):
                assert part is not None
                total += part[1] * (shares[j] if shares is not None else 1 / self.k)
            if shares is None:
                return float(aucs.mean()), total
            value = float(shares @ aucs)  # the shares sum to 1: no normalising term
            return value, total + aucs[self.code] - value
        scores, weights = [], []
        total, spread = np.zeros(n), np.zeros(n)  # Σ w·IF(S), Σ IF(w)·S (weighted)
        weight_if = np.zeros(n)
        for i, (a, b) in enumerate(self.pairs):
            first, second = ranked[2 * i].auc_influence(n), ranked[2 * i + 1].auc_influence(n)
            if first is None or second is None:
                return None
            score = (first[0] + second[0]) / 2
            member = ((self.code == a) | (self.code == b)).astype(np.float64)
            weight = float(member.mean()) if weighted else 1.0
            scores.append(score)
            weights.append(weight)
            total += weight * (first[1] + second[1]) / 2
            if weighted:
                member -= weight
                spread += member * score
                weight_if += member
        norm = float(sum(weights))
        value = float(np.dot(weights, scores)) / norm
        return value, (total + spread - value * weight_if) / norm


class _OrderKernel:
    """median and max absolute error: order statistics of the sorted errors, read by weights."""

    bytes_per_cell = 4 + 8 * 3

    def __init__(self, metric: Metric, y: np.ndarray, cand: Predictions, base: Predictions) -> None:
        self.how = (metric.family or "").split(":")[1]
        self.n = len(y)
        self.raw = [absolute_errors(metric, y, pred) for pred in (cand, base)]
        self._sorted: list[tuple[np.ndarray, np.ndarray]] | None = None  # on the first resample

    def replicates(self, index: np.ndarray) -> np.ndarray:
        if self.how == "max":  # the largest drawn error: no weights needed
            return np.stack([error[index].max(axis=1) for error in self.raw], axis=1)
        if self._sorted is None:
            orders = [np.argsort(error, kind="stable") for error in self.raw]
            self._sorted = [(e[o], o) for e, o in zip(self.raw, orders, strict=True)]
        weights = _weights(index, self.n)
        c, m = index.shape
        out = []
        for error, order in self._sorted:
            seen = np.cumsum(_columns(weights, order), axis=1)  # drawn errors up to each one
            # the k-th smallest drawn error is the first whose `seen` exceeds k: one search over
            # all resamples at once, each row lifted above the previous one's total m
            flat = (seen + (np.arange(c, dtype=np.int64) * (m + 1))[:, None]).ravel()
            base = np.arange(c, dtype=np.int64) * (m + 1)
            row_start = np.arange(c, dtype=np.int64) * self.n
            low = np.searchsorted(flat, base + (m - 1) // 2, side="right") - row_start
            high = np.searchsorted(flat, base + m // 2, side="right") - row_start
            out.append((error[low] + error[high]) / 2)
        return np.stack(out, axis=1)

    def influence(self) -> np.ndarray | None:
        """The median's per-row influence, (½ − 1[|e| ≤ m]) times the sparsity 1/f(m) of the
        errors at their median m, candidate minus baseline; None for the max, and where the
        sparsity cannot be read (ties fill the window around the median)."""
        if self.how != "median":
            return None
        each = []
        for raw in self.raw:
            median_sparsity = _median_sparsity(raw)
            if median_sparsity is None:
                return None
            median, spread = median_sparsity
            each.append((0.5 - (raw <= median)) * spread)
        return np.asarray(each[0] - each[1])


def _median_sparsity(values: np.ndarray, alpha: float = 0.05) -> tuple[float, float] | None:
    """The median of the values and its sparsity 1/f: the spread of the order statistics in a
    window of Hall and Sheather's bandwidth around it (for a level-alpha interval), read by one
    partial sort; None when the window holds a single value."""
    at, width = median_window(len(values), alpha)
    return median_and_sparsity(np.partition(values, sorted(set(at)))[at], width)


def median_window(n: int, alpha: float = 0.05) -> tuple[list[int], float]:
    """The 0-based ranks of the order statistics that read a median and its sparsity (the
    window's ends and the two middle ones) among n values, and the window's width in quantiles:
    Hall and Sheather's bandwidth for a level-alpha interval."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha / 2)
    h = n ** (-1 / 3) * z ** (2 / 3) * (1.5 * NormalDist().pdf(0.0) ** 2) ** (1 / 3)
    lo, hi = max(0.5 - h, 0.0), min(0.5 + h, 1.0)
    at = [max(0, math.ceil(n * lo) - 1), (n - 1) // 2, n // 2, min(n - 1, math.ceil(n * hi) - 1)]
    return at, hi - lo


def median_and_sparsity(order: Any, width: float) -> tuple[float, float] | None:
    """(median, sparsity) from the four order statistics median_window names; None when the
    window holds a single value (ties)."""
    bottom, low, high, top = (float(v) for v in order)
    if top <= bottom:
        return None
    return (low + high) / 2, (top - bottom) / width


_KERNELS: dict[str, Callable[[Metric, np.ndarray, Predictions, Predictions], Kernel]] = {
    "rows": _RowKernel,
    "sums": _SumKernel,
    "confusion": _ConfusionKernel,
    "rank": _RankKernel,
    "order": _OrderKernel,
}
