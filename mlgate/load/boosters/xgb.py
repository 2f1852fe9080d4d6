"""XGBoost models saved with `save_model` as JSON or UBJSON, loaded as XGBClassifier/Regressor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xgboost

# objectives whose predictions are class labels (everything else predicts a number)
CLASSIFIERS = ("binary:", "multi:")


def open_model(path: Path, where: str, shown: str) -> Any:
    """The model as a scikit-learn estimator; the objective says classifier or regressor."""
    booster = xgboost.Booster(model_file=str(path))
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    estimator: Any = (
        xgboost.XGBClassifier() if objective.startswith(CLASSIFIERS) else xgboost.XGBRegressor()
    )
    estimator.load_model(str(path))
    return estimator
