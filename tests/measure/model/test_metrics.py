"""Tests of the metric registry: names, directions, scorer fallback, module:function, errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

from mlgate.measure.model.metrics import (
    REGISTRY,
    Metric,
    MetricError,
    Predictions,
    UnknownMetric,
    known_names,
    resolve,
)
from mlgate.measure.model.stats import paired_estimate


def _predict(model, x) -> Predictions:
    proba = model.predict_proba(x) if hasattr(model, "predict_proba") else None
    return Predictions(model.predict(x), proba, getattr(model, "classes_", None))


@pytest.fixture(scope="module")
def binary():
    x, y = make_classification(800, n_features=6, n_informative=3, random_state=0)
    model = LogisticRegression().fit(x[:400], y[:400])
    return y[400:], _predict(model, x[400:])


@pytest.fixture(scope="module")
def multiclass():
    x, y = make_classification(900, n_features=6, n_informative=4, n_classes=3, random_state=1)
    model = LogisticRegression().fit(x[:450], y[:450])
    return y[450:], _predict(model, x[450:])


@pytest.fixture(scope="module")
def regression():
    x, y = make_regression(600, n_features=5, noise=10.0, random_state=2)
    y = y + 300.0  # away from 0, so that mape is meaningful
    model = Ridge().fit(x[:300], y[:300])
    return y[300:], Predictions(model.predict(x[300:]))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# name, task, the plain scikit-learn call it must equal
SKLEARN = [
    ("accuracy", "binary", lambda y, p: skm.accuracy_score(y, p.label)),
    ("balanced_accuracy", "multiclass", lambda y, p: skm.balanced_accuracy_score(y, p.label)),
    ("f1", "binary", lambda y, p: skm.f1_score(y, p.label)),
    ("precision", "binary", lambda y, p: skm.precision_score(y, p.label)),
    ("recall", "binary", lambda y, p: skm.recall_score(y, p.label)),
    ("jaccard", "binary", lambda y, p: skm.jaccard_score(y, p.label)),
    ("f1_macro", "multiclass", lambda y, p: skm.f1_score(y, p.label, average="macro")),
    (
        "precision_weighted",
        "multiclass",
        lambda y, p: skm.precision_score(y, p.label, average="weighted"),
    ),
    ("recall_micro", "multiclass", lambda y, p: skm.recall_score(y, p.label, average="micro")),
    ("jaccard_macro", "multiclass", lambda y, p: skm.jaccard_score(y, p.label, average="macro")),
    ("matthews_corrcoef", "multiclass", lambda y, p: skm.matthews_corrcoef(y, p.label)),
    ("cohen_kappa", "binary", lambda y, p: skm.cohen_kappa_score(y, p.label)),
    ("roc_auc", "binary", lambda y, p: skm.roc_auc_score(y, p.proba[:, 1])),
    ("roc_auc", "multiclass", lambda y, p: skm.roc_auc_score(y, p.proba, multi_class="ovr")),
    ("roc_auc_ovo", "multiclass", lambda y, p: skm.roc_auc_score(y, p.proba, multi_class="ovo")),
    (
        "roc_auc_ovr_weighted",
        "multiclass",
        lambda y, p: skm.roc_auc_score(y, p.proba, multi_class="ovr", average="weighted"),
    ),
    ("average_precision", "binary", lambda y, p: skm.average_precision_score(y, p.proba[:, 1])),
    ("log_loss", "binary", lambda y, p: skm.log_loss(y, p.proba)),
    ("neg_log_loss", "multiclass", lambda y, p: -skm.log_loss(y, p.proba)),
    ("brier_score", "binary", lambda y, p: skm.brier_score_loss(y, p.proba[:, 1])),
    ("neg_brier_score", "binary", lambda y, p: -skm.brier_score_loss(y, p.proba[:, 1])),
    ("r2", "regression", lambda y, p: skm.r2_score(y, p.label)),
    ("explained_variance", "regression", lambda y, p: skm.explained_variance_score(y, p.label)),
    ("mse", "regression", lambda y, p: skm.mean_squared_error(y, p.label)),
    ("neg_mean_squared_error", "regression", lambda y, p: -skm.mean_squared_error(y, p.label)),
    ("rmse", "regression", lambda y, p: skm.root_mean_squared_error(y, p.label)),
    (
        "neg_root_mean_squared_error",
        "regression",
        lambda y, p: -skm.root_mean_squared_error(y, p.label),
    ),
    ("mae", "regression", lambda y, p: skm.mean_absolute_error(y, p.label)),
    ("mape", "regression", lambda y, p: skm.mean_absolute_percentage_error(y, p.label)),
    ("median_absolute_error", "regression", lambda y, p: skm.median_absolute_error(y, p.label)),
    ("max_error", "regression", lambda y, p: skm.max_error(y, p.label)),
]


@pytest.mark.parametrize(
    ("name", "task", "expected"), SKLEARN, ids=[f"{n}-{t}" for n, t, _ in SKLEARN]
)
def test_registry_scores_as_sklearn(name, task, expected, request):
    y, pred = request.getfixturevalue(task)
    assert resolve(name, task=task).score(y, pred) == pytest.approx(_quiet(expected, y, pred))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registry_name_scores_on_its_task(name, request):
    task = REGISTRY[name].tasks[0]
    y, pred = request.getfixturevalue(task)
    metric = resolve(name, task=task)
    assert np.isfinite(metric.score(y, pred))
    assert metric.name == name


@pytest.mark.parametrize(
    ("name", "task", "higher"),
    [
        ("roc_auc", "binary", True),
        ("accuracy", "multiclass", True),
        ("log_loss", "binary", False),
        ("neg_log_loss", "binary", True),
        ("brier_score", "binary", False),
        ("neg_brier_score", "binary", True),
        ("mse", "regression", False),
        ("mean_squared_error", "regression", False),
        ("neg_mean_squared_error", "regression", True),
        ("rmse", "regression", False),
        ("neg_mean_absolute_error", "regression", True),
        ("mape", "regression", False),
        ("r2", "regression", True),
        ("neg_median_absolute_error", "regression", True),  # scorer fallback keeps sklearn's sign
    ],
)
def test_direction(name, task, higher):
    assert resolve(name, task=task).higher_is_better is higher


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownMetric) as info:
        resolve("rocauc", task="binary")
    assert str(info.value) == (
        'unknown metric "rocauc"; did you mean "roc_auc"? '
        "(any scikit-learn scorer name, or module:function)"
    )
    assert info.value.suggestions[0] == "roc_auc"


def test_unknown_name_without_a_close_one():
    with pytest.raises(UnknownMetric) as info:
        resolve("zzzz", task="binary")
    assert str(info.value) == (
        'unknown metric "zzzz" (any scikit-learn scorer name, or module:function)'
    )


@pytest.mark.parametrize(
    ("name", "task", "message"),
    [
        ("r2", "binary", 'metric "r2" is for regression, but the task is binary'),
        (
            "accuracy",
            "regression",
            'metric "accuracy" is for classification, but the task is regression',
        ),
        (
            "f1",
            "multiclass",
            'metric "f1" is for binary classification, but the task is multiclass; '
            'use "f1_macro", "f1_micro" or "f1_weighted"',
        ),
        (
            "roc_auc_ovr",
            "binary",
            'metric "roc_auc_ovr" is for multiclass classification, but the task is binary',
        ),
        (
            "top_k_accuracy",
            "regression",
            'metric "top_k_accuracy" needs class probabilities, but the task is regression',
        ),
    ],
)
def test_metric_that_does_not_fit_the_task(name, task, message):
    with pytest.raises(UnknownMetric) as info:
        resolve(name, task=task)
    assert str(info.value) == message


def test_scorer_fallback_median_absolute_error(regression):
    y, pred = regression
    metric = resolve("neg_median_absolute_error", task="regression")
    assert "neg_median_absolute_error" not in REGISTRY  # really the fallback
    assert metric.source == "scorer"
    assert metric.score(y, pred) == pytest.approx(-skm.median_absolute_error(y, pred.label))
    other = Predictions(pred.label + np.linspace(-5, 5, len(y)))
    estimate = paired_estimate(metric, y, other, pred, n_boot=50)
    assert estimate.method == "paired bootstrap (B=50)"
    assert len(estimate.samples) == 50


def test_scorer_fallback_top_k_accuracy_uses_probabilities(multiclass):
    y, pred = multiclass
    metric = resolve("top_k_accuracy", task="multiclass")
    assert metric.response == "proba"
    expected = skm.top_k_accuracy_score(y, pred.proba, k=2, labels=pred.classes)
    assert metric.score(y, pred) == pytest.approx(expected)
    # params reach the scorer's function
    assert resolve("top_k_accuracy", task="multiclass", params={"k": 1}).score(y, pred) == (
        pytest.approx(skm.accuracy_score(y, pred.label))
    )


def test_params_are_passed_and_checked(binary):
    y, pred = binary
    metric = resolve("roc_auc", task="binary", params={"max_fpr": 0.5})
    assert metric.family is None  # no DeLong for a partial AUC: generic bootstrap
    assert metric.score(y, pred) == pytest.approx(
        skm.roc_auc_score(y, pred.proba[:, 1], max_fpr=0.5)
    )
    with pytest.raises(UnknownMetric) as info:
        resolve("f1_macro", task="multiclass", params={"avrage": "macro"})
    assert str(info.value) == (
        'metric "f1_macro": unknown parameter "avrage" (valid: labels, '
        "pos_label, average, sample_weight, zero_division)"
    )


def test_pos_label_selects_the_class_for_labels_and_probabilities():
    y = np.array(["no", "yes", "yes", "no", "yes", "no", "no"])
    pred = Predictions(
        np.array(["no", "yes", "no", "no", "yes", "yes", "no"]),
        np.array(
            [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3], [0.1, 0.9], [0.3, 0.7], [0.8, 0.2]]
        ),
        np.array(["no", "yes"]),
    )
    f1_no = resolve("f1", task="binary", pos_label="no").score(y, pred)
    assert f1_no == pytest.approx(skm.f1_score(y, pred.label, pos_label="no"))
    f1_default = resolve("f1", task="binary").score(y, pred)  # the greater class: "yes"
    assert f1_default == pytest.approx(skm.f1_score(y, pred.label, pos_label="yes"))
    auc_no = resolve("roc_auc", task="binary", pos_label="no").score(y, pred)
    assert auc_no == pytest.approx(skm.roc_auc_score(y == "no", pred.proba[:, 0]))


def test_module_function_metrics(tmp_path, monkeypatch, binary, multiclass):
    (tmp_path / "mlgate_user_metrics.py").write_text(
        textwrap.dedent("""
        import numpy as np

        def hits(y_true, y_pred):
            return float(np.mean(y_true == y_pred))

        def misses(y_true, y_pred):
            return float(np.mean(y_true != y_pred))

        def positive_mass(y_true, y_proba):
            assert y_proba.ndim == 1, "binary gets the positive-class column"
            return float(np.mean(y_proba[y_true == 1]))

        def top_mass(y_true, y_proba):
            assert y_proba.ndim == 2, "multiclass gets the (n, k) matrix"
            return float(np.mean(y_proba.max(axis=1)))
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    y, pred = binary
    hits = resolve("mlgate_user_metrics:hits", task="binary")
    assert (hits.higher_is_better, hits.response) == (True, "label")
    assert hits.score(y, pred) == pytest.approx(skm.accuracy_score(y, pred.label))
    misses = resolve("mlgate_user_metrics:misses", task="binary", greater_is_better=False)
    assert misses.higher_is_better is False
    mass = resolve("mlgate_user_metrics:positive_mass", task="binary", response="proba")
    assert mass.score(y, pred) == pytest.approx(pred.proba[y == 1, 1].mean())
    ym, pm = multiclass
    top = resolve("mlgate_user_metrics:top_mass", task="multiclass", response="proba")
    assert top.score(ym, pm) == pytest.approx(pm.proba.max(axis=1).mean())
    with pytest.raises(UnknownMetric) as info:
        resolve("mlgate_user_metrics:nothing", task="binary")
    assert str(info.value) == (
        'metric "mlgate_user_metrics:nothing": module '
        '"mlgate_user_metrics" has no function "nothing"'
    )


def test_module_function_import_error_names_the_cause():
    with pytest.raises(UnknownMetric) as info:
        resolve("mlgate_no_such_module:fn", task="binary")
    assert str(info.value) == (
        'metric "mlgate_no_such_module:fn": cannot import module '
        '"mlgate_no_such_module": ModuleNotFoundError: No module named '
        "'mlgate_no_such_module'"
    )


def test_user_function_failure_is_a_metric_error(tmp_path, monkeypatch, binary):
    (tmp_path / "mlgate_broken_metric.py").write_text(
        "def boom(y_true, y_pred):\n    raise ValueError('no good')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    metric = resolve("mlgate_broken_metric:boom", task="binary")
    with pytest.raises(MetricError, match=r"^mlgate_broken_metric:boom: ValueError: no good$"):
        metric.score(*binary)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"response": "label"},
            'metric "roc_auc" uses predicted probabilities; response: label does not apply to it',
        ),
        (
            {"response": "scores"},
            'metric "roc_auc": response must be "label" or "proba", got "scores"',
        ),
        (
            {"greater_is_better": False},
            'metric "roc_auc" is higher-is-better; greater_is_better is '
            "only for module:function metrics",
        ),
    ],
)
def test_options_that_contradict_a_known_metric(kwargs, message):
    with pytest.raises(UnknownMetric) as info:
        resolve("roc_auc", task="binary", **kwargs)
    assert str(info.value) == message


def test_single_class_roc_auc_is_a_metric_error(binary):
    y, pred = binary
    ones = y == 1
    with pytest.raises(MetricError) as info:
        resolve("roc_auc", task="binary").score(y[ones], pred.take(np.flatnonzero(ones)))
    assert str(info.value) == (
        "roc_auc: the eval rows hold a single class (1); it needs both classes"
    )


@pytest.mark.parametrize(
    ("name", "task", "broken", "message"),
    [
        ("mse", "regression", "label", "mse: the predictions hold NaN in 1 of 10 rows"),
        (
            "log_loss",
            "binary",
            "proba",
            "log_loss: the predicted probabilities hold NaN in 1 of 10 rows",
        ),
        ("accuracy", "binary", "target", "accuracy: the target holds NaN in 1 of 10 rows"),
    ],
)
def test_nan_is_a_metric_error(name, task, broken, message):
    y = np.array([0.0, 1.0] * 5)
    label = y.copy()
    proba = np.column_stack([1 - y * 0.8, y * 0.8])
    {"label": label, "proba": proba, "target": y}[broken][3] = np.nan
    with pytest.raises(MetricError) as info:
        resolve(name, task=task).score(y, Predictions(label, proba, np.array([0.0, 1.0])))
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("name", "y", "pred", "message"),
    [
        (
            "log_loss",
            [0, 1],
            Predictions(np.array([0, 1])),
            "log_loss: needs predicted probabilities, but the model gives none (no predict_proba)",
        ),
        ("accuracy", [], Predictions(np.array([])), "accuracy: there are no eval rows to score"),
        (
            "accuracy",
            [0, 1, 1],
            Predictions(np.array([0, 1])),
            "accuracy: 2 predictions for 3 eval rows",
        ),
    ],
)
def test_unscorable_inputs(name, y, pred, message):
    with pytest.raises(MetricError) as info:
        resolve(name, task="binary").score(np.array(y), pred)
    assert str(info.value) == message


def test_predictions_take_subsets_every_field(binary):
    _, pred = binary
    part = pred.take(np.array([3, 1]))
    assert list(part.label) == [pred.label[3], pred.label[1]]
    assert np.array_equal(part.proba, pred.proba[[3, 1]])
    assert part.classes is pred.classes


def test_known_names_has_registry_and_scorers():
    names = known_names()
    assert {"roc_auc", "mse", "brier_score", "top_k_accuracy", "d2_log_loss_score"} <= set(names)
    assert names == sorted(names)


def test_metric_is_a_frozen_value():
    metric = resolve("accuracy", task="binary")
    assert isinstance(metric, Metric)
    assert metric == resolve("accuracy", task="binary")
    with pytest.raises(AttributeError):
        metric.name = "other"  # type: ignore[misc]


def test_importing_metrics_and_stats_does_not_import_sklearn_or_scipy():
    code = (
        "import sys, mlgate.measure.model.metrics, mlgate.measure.model.stats; "
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
