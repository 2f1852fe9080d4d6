"""Diagnostic curves of both models (ROC, PR, calibration, confusion), downsampled for charts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from mlgate.load.predictions import Predictions

MAX_POINTS = 101
CURVE_ROWS = 100_000  # curves are drawn from a seeded sample this large: charts have ≤ 101 points


def curves(
    y: np.ndarray,
    candidate: Predictions,
    baseline: Predictions | None,
    *,
    task: str,
    pos_label: Any = None,
) -> dict[str, Any]:
    """{"classes": [...], "curves": {"candidate": {...}, "baseline": {...}}} for the report."""
    import numpy as np

    out: dict[str, Any] = {}
    if task != "regression":
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

    if task == "regression":
        residuals = np.asarray(pred.label, dtype=float) - np.asarray(y, dtype=float)
        counts, edges = np.histogram(residuals, bins=30)
        return {"residuals": {"counts": counts.tolist(), "edges": _round(edges)}}
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
