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


def test_onnx_scores_each_new_frame_even_where_a_freed_one_lay(tmp_path):
    """The ONNX wrapper runs the graph once for predict + predict_proba of one frame; a later
    frame (which may get a freed frame's id()) is scored afresh, batch after batch."""
    pytest.importorskip("skl2onnx", reason="the test extra installs skl2onnx")
    from skl2onnx import to_onnx

    from mlgate.load.onnx import OnnxModel

    x, y = make_classification(600, n_features=5, random_state=7)
    x = x.astype("float32")
    model = LogisticRegression().fit(x, y)
    onx = to_onnx(model, x[:1], options={id(model): {"zipmap": False}})
    (tmp_path / "m.onnx").write_bytes(onx.SerializeToString())
    wrapped = OnnxModel(tmp_path / "m.onnx")
    for start in range(0, 600, 50):
        batch = pd.DataFrame(x[start : start + 50])  # the one before it is freed by now
        np.testing.assert_array_equal(wrapped.predict(batch), model.predict(batch.to_numpy()))
        np.testing.assert_allclose(
            wrapped.predict_proba(batch), model.predict_proba(batch.to_numpy()), atol=1e-5
        )
        del batch
