"""What a model predicted on the eval rows: made by load (models, predictions files), read by
the model gates' metrics and the custom checks' fixtures."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Predictions:
    """One model's predictions on the eval rows."""

    label: np.ndarray  # predicted labels (classification) or values (regression), shape (n,)
    proba: np.ndarray | None = None  # (n, k) class probabilities, columns ordered as `classes`
    classes: np.ndarray | None = None  # class labels, shape (k,)

    def take(self, index: np.ndarray) -> Predictions:
        """The predictions of the rows `index` (a slice, or a bootstrap resample)."""
        proba = None if self.proba is None else np.asarray(self.proba)[index]
        return replace(self, label=np.asarray(self.label)[index], proba=proba)

    def __len__(self) -> int:
        return len(self.label)
