"""CatBoost models saved in the native .cbm format, loaded as CatBoostClassifier/Regressor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import catboost

CLASSIFIER_LOSSES = frozenset({"Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll"})


def open_model(path: Path, where: str, shown: str) -> Any:
    """The model as a scikit-learn-like estimator (class labels as trained, e.g. strings)."""
    probe = catboost.CatBoost()
    probe.load_model(str(path), format="cbm")
    loss = str(probe.get_all_params().get("loss_function", "")).split(":")[0]
    estimator: Any = catboost.CatBoostClassifier() if loss in CLASSIFIER_LOSSES else Regressor()
    estimator.load_model(str(path), format="cbm")
    return estimator


class Regressor(catboost.CatBoostRegressor):  # type: ignore[misc]
    """CatBoostRegressor without `classes_` (it has one): a regressor has no classes."""

    classes_ = None
