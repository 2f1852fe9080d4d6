"""Diagnostic curves: exact confusion matrices, bounded-cost curves, deterministic output."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_auc_score

from mlgate.measure.model.curves import CURVE_ROWS, _confusion, curves
from mlgate.measure.model.metrics import Predictions


@pytest.mark.parametrize("labels", [np.array([0, 1]), np.array(["a", "b", "c"])])
def test_confusion_matches_sklearn(labels: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    y, predicted = rng.choice(labels, 2000), rng.choice(labels, 2000)
    expected = confusion_matrix(y, predicted, labels=np.unique(y)).tolist()
    assert _confusion(y, predicted, np.unique(y)) == expected


def binary(n: int, seed: int) -> tuple[np.ndarray, Predictions]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    proba = np.column_stack([1 - score, score])
    return y, Predictions(label=(score > 0.5).astype(int), proba=proba, classes=np.array([0, 1]))


def test_large_eval_sets_draw_curves_from_a_fixed_sample_but_count_every_row() -> None:
    y, pred = binary(CURVE_ROWS + 50_000, seed=1)
    first = curves(y, pred, None, task="binary")
    assert first == curves(y, pred, None, task="binary")  # same rows every run
    assert first["curve_rows"] == CURVE_ROWS
    side = first["curves"]["candidate"]
    assert sum(map(sum, side["confusion"])) == len(y)  # the confusion matrix uses all rows
    assert side["roc"]["auc"] == pytest.approx(roc_auc_score(y, pred.proba[:, 1]), abs=0.01)


def test_small_eval_sets_use_every_row() -> None:
    y, pred = binary(5000, seed=2)
    out = curves(y, pred, pred, task="binary")
    assert "curve_rows" not in out
    assert out["curves"]["candidate"]["roc"]["auc"] == pytest.approx(
        roc_auc_score(y, pred.proba[:, 1])
    )
    assert set(out["curves"]) == {"candidate", "baseline"}
