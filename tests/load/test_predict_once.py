"""Labels and probabilities from one pass: exactly what predict and predict_proba give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression

from mlgate.load.models import Model, ModelRef, _one_pass

MODELS = [
    lambda: RandomForestClassifier(20, max_depth=6, random_state=0),
    lambda: ExtraTreesClassifier(20, max_depth=6, random_state=0),
    lambda: HistGradientBoostingClassifier(max_iter=30, random_state=0),
]


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("build", MODELS, ids=["forest", "extra-trees", "hist-gb"])
def test_one_pass_equals_predict_and_predict_proba(build, classes):
    x, y = make_classification(
        1200, n_features=8, n_informative=5, n_classes=classes, random_state=classes
    )
    labels = np.array(["no", "yes", "maybe"])[y]  # string classes: the labels are classes_
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(8)])
    model = build().fit(frame[:800], labels[:800])
    rows = frame[800:]
    assert _one_pass(model, rows) is not None
    ref = ModelRef("models.candidate", "mlgate.yaml: models.candidate", "m", None, "skops")
    pred = Model(ref, model, 0.0).predictions(rows, task="binary" if classes == 2 else "multiclass")
    np.testing.assert_array_equal(pred.label, model.predict(rows))
    np.testing.assert_array_equal(pred.proba, model.predict_proba(rows))


def test_other_models_predict_twice():
    x, y = make_classification(300, n_features=5, random_state=1)
    assert _one_pass(LogisticRegression().fit(x, y), x) is None
