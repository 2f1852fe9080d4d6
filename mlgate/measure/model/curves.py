"""Diagnostic curves of both models (ROC, PR, calibration, confusion), downsampled for charts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from mlgate.load.predictions import Predictions

MAX_POINTS = 101
CURVE_ROWS = 100_000  # curves are drawn from a seeded sample this large: charts have ≤ 101 points
ACTUAL_BINS = 20  # predicted vs actual: bins at the actual values' quantiles (summaries, no rows)
RESIDUAL_BINS = 30
MAX_SEGMENTS = 30  # residuals by slice: at most this many segments per slice column
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # a box plot's five numbers


def curves(
    y: np.ndarray,
    candidate: Predictions,
    baseline: Predictions | None,
    *,
    task: str,
    pos_label: Any = None,
    slices: dict[str, list[tuple[str, np.ndarray]]] | None = None,
) -> dict[str, Any]:
    """{"classes": [...], "curves": {"candidate": {...}, "baseline": {...}}} for the report;
    a regression gets {"regression": ...} instead (see `regression`). `slices`: per slice
    column, its segments as (label, row indices)."""
    import numpy as np

    out: dict[str, Any] = {}
    if task == "regression":
        out["regression"] = regression(y, candidate, baseline, slices or {})
        return out
    out["classes"] = [_plain(c) for c in np.unique(y)]
    sample = None
    if len(y) > CURVE_ROWS:  # the same rows for both models, the same rows every run
        sample = np.sort(np.random.default_rng(0).choice(len(y), CURVE_ROWS, replace=False))
        out["curve_rows"] = CURVE_ROWS
    sides = {"candidate": candidate, "baseline": baseline}
    out["curves"] = {
        name: _one(y, pred, task=task, pos_label=pos_label, sample=sample)
        for name, pred in sides.items()
        if pred is not None
    }
    return out


def _one(
    y: np.ndarray, pred: Predictions, *, task: str, pos_label: Any, sample: np.ndarray | None
) -> dict[str, Any]:
    """Curves of one model; `sample` (row indices) bounds the cost of the sorted curves."""
    import numpy as np
    from sklearn import metrics

    labels = np.unique(y)
    result: dict[str, Any] = {"confusion": _confusion(y, pred.label, labels)}
    if sample is not None:
        y, pred = y[sample], pred.take(sample)
    if task == "binary" and pred.proba is not None and pred.classes is not None:
        positive = pos_label if pos_label is not None else labels[-1]
        column = list(pred.classes).index(positive) if positive in list(pred.classes) else -1
        score = pred.proba[:, column]
        truth = (y == positive).astype(int)
        if 0 < truth.sum() < len(truth):
            fpr, tpr, _ = metrics.roc_curve(truth, score)
            precision, recall, _ = metrics.precision_recall_curve(truth, score)
            prob_true, prob_pred = _calibration(truth, score)
            result.update(
                roc={
                    "fpr": _thin(fpr),
                    "tpr": _thin(tpr),
                    "auc": float(metrics.roc_auc_score(truth, score)),
                },
                pr={"recall": _thin(recall), "precision": _thin(precision)},
                calibration={"mean_predicted": prob_pred, "fraction_positive": prob_true},
            )
    return result


def regression(
    y: np.ndarray,
    candidate: Predictions,
    baseline: Predictions | None,
    slices: dict[str, list[tuple[str, np.ndarray]]],
) -> dict[str, Any]:
    """Summaries of both models' predictions for the charts, bounded in size, no row in them:

    - `actual`: ≤ 20 bins at the quantiles of the actual values (edges, rows, mean actual), and
      per model the mean and the 10th/90th percentiles of its predictions in each bin
      (predicted vs actual);
    - `residuals`: counts of predicted − actual on 30 shared bins, per model;
    - `slices`: per slice column, per segment (≤ 30, largest first), the five box-plot numbers
      (5th, 25th, 50th, 75th, 95th percentiles) of each model's residuals.
    """
    import numpy as np

    actual = np.asarray(y, dtype=float)
    preds = {"candidate": candidate} | ({"baseline": baseline} if baseline is not None else {})
    predicted = {k: np.asarray(p.label, dtype=float) for k, p in preds.items()}
    keep = np.isfinite(actual)
    for values in predicted.values():
        keep &= np.isfinite(values)
    index = np.flatnonzero(keep)
    actual = actual[index]
    predicted = {k: v[index] for k, v in predicted.items()}
    out: dict[str, Any] = {"rows": int(index.size)}
    if index.size == 0:
        return out
    edges = np.unique(np.quantile(actual, np.linspace(0, 1, ACTUAL_BINS + 1)))
    if edges.size < 2:
        edges = np.array([actual[0] - 0.5, actual[0] + 0.5])
    which = np.clip(np.searchsorted(edges, actual, side="right") - 1, 0, edges.size - 2)
    bins = [np.flatnonzero(which == b) for b in range(edges.size - 1)]
    bins_kept = [(b, rows) for b, rows in enumerate(bins) if rows.size]  # ties leave some empty
    out["actual"] = {
        "edges": _round(edges),
        "rows": [int(rows.size) for _, rows in bins_kept],
        "mean": _round([actual[rows].mean() for _, rows in bins_kept]),
    }
    out["predicted"] = {
        name: {
            "mean": _round([values[rows].mean() for _, rows in bins_kept]),
            "p10": _round([np.quantile(values[rows], 0.1) for _, rows in bins_kept]),
            "p90": _round([np.quantile(values[rows], 0.9) for _, rows in bins_kept]),
        }
        for name, values in predicted.items()
    }
    residuals = {name: values - actual for name, values in predicted.items()}
    both = np.concatenate(list(residuals.values()))
    lo, hi = np.quantile(both, [0.005, 0.995])  # the outer half-percent: in the edge bins
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    res_edges = np.linspace(lo, hi, RESIDUAL_BINS + 1)
    out["residuals"] = {
        "edges": _round(res_edges),
        **{
            name: np.bincount(
                np.clip(np.searchsorted(res_edges, r, side="right") - 1, 0, RESIDUAL_BINS - 1),
                minlength=RESIDUAL_BINS,
            ).tolist()
            for name, r in residuals.items()
        },
    }
    position = np.full(keep.size, -1)
    position[index] = np.arange(index.size)
    out["slices"] = []
    for column, parts in slices.items():
        segments = []
        for label, rows in sorted(parts, key=lambda p: -len(p[1]))[:MAX_SEGMENTS]:
            at = position[rows]
            at = at[at >= 0]
            if at.size == 0:
                continue
            segment: dict[str, Any] = {"value": str(label), "rows": int(at.size)}
            for name, r in residuals.items():
                segment[name] = _round(np.quantile(r[at], QUANTILES))
            segments.append(segment)
        out["slices"].append({"column": str(column), "segments": segments})
    return out


def _confusion(y: np.ndarray, predicted: np.ndarray, labels: np.ndarray) -> list[list[int]]:
    """Rows: true label, columns: predicted label (all rows; labels never seen are dropped)."""
    import numpy as np

    k = len(labels)
    true_code = np.searchsorted(labels, y)
    pred_code = np.searchsorted(labels, predicted)
    known = (pred_code < k) & (labels[np.minimum(pred_code, k - 1)] == predicted)
    counts = np.bincount(true_code[known] * k + pred_code[known], minlength=k * k)
    return counts.reshape(k, k).tolist()


def _calibration(
    truth: np.ndarray, score: np.ndarray, bins: int = 10
) -> tuple[list[float], list[float]]:
    import numpy as np

    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    keep = counts > 0
    fraction = np.bincount(which, weights=truth, minlength=bins)[keep] / counts[keep]
    mean = np.bincount(which, weights=score, minlength=bins)[keep] / counts[keep]
    return _round(fraction), _round(mean)


def _thin(values: np.ndarray) -> list[float]:
    import numpy as np

    if len(values) > MAX_POINTS:
        values = values[np.linspace(0, len(values) - 1, MAX_POINTS).round().astype(int)]
    return _round(values)


def _round(values: Any) -> list[float]:
    return [round(float(v), 5) for v in values]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
