"""LightGBM text model dumps (`Booster.save_model`), wrapped to predict like scikit-learn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm
import numpy as np

from mlgate.errors import InputError

MULTICLASS = frozenset({"multiclass", "multiclassova", "softmax", "ova", "ovr", "multiclass_ova"})


def open_model(path: Path, where: str, shown: str) -> Any:
    with path.open("rb") as handle:
        head = handle.read(5)
    if head.rstrip() != b"tree":
        raise InputError(f"{where}: {shown} is not a LightGBM model dump (no 'tree' header)")
    return LightGBMModel(lightgbm.Booster(model_file=str(path)), where)


class LightGBMModel:
    """A LightGBM Booster: labels from probabilities for classifiers, values for the rest.

    A booster knows its classes only as 0..k-1 (the scikit-learn wrapper encodes labels before
    training), so `classes_` is that range: the eval labels must be encoded the same way.
    """

    def __init__(self, booster: Any, where: str) -> None:
        self.booster = booster
        self.where = where
        objective = str(booster.params.get("objective", "regression")).split()[0]
        self.objective = objective
        self.feature_names = list(booster.feature_name())
        if objective == "binary":
            self.classes_: Any = np.arange(2)
        elif objective in MULTICLASS:
            self.classes_ = np.arange(booster.num_model_per_iteration())
        else:
            self.classes_ = None
        if self.classes_ is None:
            self.predict_proba = None  # type: ignore[assignment]

    def _columns(self, features: Any) -> Any:
        """The model's columns in its order (LightGBM does not check names, order matters)."""
        names = self.feature_names
        if all(name in features.columns for name in names):
            return features[names]
        default = [f"Column_{i}" for i in range(len(names))]
        if names == default and features.shape[1] == len(names):
            return features  # trained on an array: positional
        missing = [name for name in names if name not in features.columns]
        listed = ", ".join(map(repr, missing[:5])) + (" …" if len(missing) > 5 else "")
        raise InputError(
            f"{self.where}: the LightGBM model needs columns not in the data: {listed}"
        )

    def predict_proba(self, features: Any) -> Any:
        raw = np.asarray(self.booster.predict(self._columns(features)), dtype=float)
        return np.column_stack([1 - raw, raw]) if raw.ndim == 1 else raw

    def predict(self, features: Any) -> Any:
        if self.classes_ is None:
            return np.asarray(self.booster.predict(self._columns(features)))
        return self.classes_[np.argmax(self.predict_proba(features), axis=1)]
