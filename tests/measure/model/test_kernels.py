"""The rank and order kernels: every resample scored as scikit-learn scores it (seeded, small n).

Each kernel reads a resample as row weights over rows sorted once; these tests draw resamples,
score each one with the plain scikit-learn call on the resampled rows, and compare — including
resamples that miss a class (undefined: NaN, redrawn by the driver) and tied scores.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlgate.measure.model.kernels import _LoopKernel, make_kernel
from mlgate.measure.model.metrics import Predictions, resolve
from mlgate.measure.model.registry import REGISTRY
from mlgate.measure.model.stats import paired_estimate, replicate_scores


def _predict(model, x) -> Predictions:
    proba = model.predict_proba(x) if hasattr(model, "predict_proba") else None
    return Predictions(model.predict(x), proba, getattr(model, "classes_", None))


@pytest.fixture(scope="module")
def sets():
    """Binary, 4-class with a rare class, regression; a tree's scores have many ties."""
    x, y = make_classification(400, n_features=6, n_informative=3, random_state=3)
    xm, ym = make_classification(
        500,
        n_features=8,
        n_informative=5,
        n_classes=4,
        weights=[0.5, 0.3, 0.17, 0.03],
        random_state=4,
    )
    xr, yr = make_regression(400, n_features=5, noise=20.0, random_state=5)
    out = {}
    for task, (xx, yy), models in [
        ("binary", (x, y), (LogisticRegression(), DecisionTreeClassifier(max_depth=3))),
        (
            "multiclass",
            (xm, ym),
            (LogisticRegression(max_iter=500), DecisionTreeClassifier(max_depth=4)),
        ),
        ("regression", (xr, yr), (Ridge(), DecisionTreeRegressor(max_depth=4))),
    ]:
        half = len(yy) // 2
        fitted = [m.fit(xx[:half], yy[:half]) for m in models]
        out[task] = (yy[half:], *(_predict(m, xx[half:]) for m in fitted))
    return out


def _sk(fn, *args, **kwargs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fn(*args, **kwargs))
        except ValueError:  # undefined on this resample
            return float("nan")


def _ap(y, p):
    return _sk(skm.average_precision_score, y, p.proba[:, 1]) if 0 < y.sum() < len(y) else np.nan


def _auc(multi_class, average="macro"):
    def score(y, p):
        return _sk(
            skm.roc_auc_score,
            y,
            p.proba,
            multi_class=multi_class,
            average=average,
            labels=p.classes,
        )

    return score


RANKED = [
    ("average_precision", "binary", _ap),
    ("roc_auc", "multiclass", _auc("ovr")),
    ("roc_auc_ovr", "multiclass", _auc("ovr")),
    ("roc_auc_ovo", "multiclass", _auc("ovo")),
    ("roc_auc_ovr_weighted", "multiclass", _auc("ovr", "weighted")),
    ("roc_auc_ovo_weighted", "multiclass", _auc("ovo", "weighted")),
    ("median_absolute_error", "regression", lambda y, p: skm.median_absolute_error(y, p.label)),
    ("max_error", "regression", lambda y, p: skm.max_error(y, p.label)),
]


@pytest.mark.parametrize(("name", "task", "sklearn_fn"), RANKED, ids=[n for n, _, _ in RANKED])
def test_kernel_equals_sklearn_on_every_resample(name, task, sklearn_fn, sets):
    y, cand, base = sets[task]
    metric = resolve(name, task=task)
    assert type(make_kernel(metric, y, cand, base)).__name__ != "_LoopKernel"
    rng = np.random.default_rng(11)
    index = rng.integers(0, len(y), size=(30, len(y)))
    if task == "multiclass":  # resamples without the rare class: ovr undefined, ovo drops pairs
        common = np.flatnonzero(y != 3)
        index = np.concatenate([index, common[rng.integers(0, len(common), size=(10, len(y)))]])
    if task == "binary":  # small resamples: some hold one class only
        index = np.concatenate([index, rng.integers(0, len(y), size=(10, len(y)))])
        index[-10:, :] = index[-10:, :1]
    fast = replicate_scores(metric, y, cand, base, index)
    loop = np.array([[sklearn_fn(y[i], p.take(i)) for p in (cand, base)] for i in index])
    np.testing.assert_allclose(fast, loop, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert np.isfinite(fast[:30]).all()


@pytest.mark.parametrize("name", [n for n, _, _ in RANKED])
def test_the_estimate_is_todays_generic_loop(name, sets):
    """The same seed gives the same replicates as the per-resample loop (up to rounding)."""
    task = next(t for n, t, _ in RANKED if n == name)
    y, cand, base = sets[task]
    metric = resolve(name, task=task).bind(y, cand, base)
    index = np.random.default_rng(5).integers(0, len(y), size=(25, len(y)))
    fast = make_kernel(metric, y, cand, base).replicates(index)
    loop = _LoopKernel(metric, y, cand, base).replicates(index)
    np.testing.assert_allclose(fast, loop, rtol=1e-9, atol=1e-12, equal_nan=True)
    again = paired_estimate(metric, y, cand, base, n_boot=200, seed=3)
    assert again == paired_estimate(metric, y, cand, base, n_boot=200, seed=3)


def test_ties_are_half_counted_as_sklearn_does():
    y = np.array([0, 1, 0, 1, 1, 0, 2, 2, 1, 0, 2, 0])
    proba = np.tile([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]], (4, 1))
    pred = Predictions(proba.argmax(axis=1), proba, np.array([0, 1, 2]))
    index = np.random.default_rng(2).integers(0, len(y), size=(20, len(y)))
    for name, multi in (("roc_auc_ovr", "ovr"), ("roc_auc_ovo", "ovo")):
        metric = resolve(name, task="multiclass")
        fast = replicate_scores(metric, y, pred, pred, index)[:, 0]
        loop = [_auc(multi)(y[i], pred.take(i)) for i in index]
        np.testing.assert_allclose(fast, loop, rtol=1e-9, equal_nan=True)


EVERY = [
    (name, task)
    for name, entry in REGISTRY.items()
    for task in entry.tasks
    if not (entry.family == "auc" and task == "binary")  # binary ROC AUC: DeLong, no resamples
]


@pytest.mark.parametrize(("name", "task"), EVERY, ids=[f"{n}-{t}" for n, t in EVERY])
def test_every_built_in_metric_has_a_kernel_equal_to_sklearn(name, task, sets):
    """Each registry metric on each task it serves: a vectorised kernel, and on 20 resamples
    the same values as its scikit-learn function called on the resampled rows."""
    y, cand, base = sets[task]
    metric = resolve(name, task=task).bind(y, cand, base)
    kernel = make_kernel(metric, y, cand, base)
    assert not isinstance(kernel, _LoopKernel), f"{name} on {task} falls back to the loop"
    index = np.random.default_rng(20).integers(0, len(y), size=(20, len(y)))
    fast = replicate_scores(metric, y, cand, base, index)
    entry = REGISTRY[name]
    kwargs = dict(metric.kwargs)

    def sklearn_score(rows, pred):
        y_used, response, labels = metric.inputs(y[rows], pred.take(rows))
        if metric.pass_pos_label:
            kwargs["pos_label"] = metric.pos_label
        if labels is not None:
            kwargs["labels"] = labels
        return entry.sign * _sk(getattr(skm, entry.fn), y_used, response, **kwargs)

    loop = np.array([[sklearn_score(i, p) for p in (cand, base)] for i in index])
    np.testing.assert_allclose(fast, loop, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert np.isfinite(fast).all()


def test_the_binary_roc_auc_is_delong_not_a_bootstrap(sets):
    y, cand, base = sets["binary"]
    estimate = paired_estimate(resolve("roc_auc", task="binary"), y, cand, base)
    assert estimate.method == "DeLong"


def _weighted_score(name: str, y, pred: Predictions, weight) -> float:
    """scikit-learn's metric with row weights (ovo has none in sklearn: its pairs by hand, as
    sklearn averages them, each pair's share the weight of its rows)."""
    if name == "average_precision":
        return skm.average_precision_score(y, pred.proba[:, 1], sample_weight=weight)
    multi, _, average = name.removeprefix("roc_auc_").partition("_")
    average = average or "macro"
    if multi == "ovr":
        return skm.roc_auc_score(
            y, pred.proba, multi_class="ovr", average=average, sample_weight=weight
        )
    scores, shares = [], []
    for a in range(pred.proba.shape[1]):
        for b in range(a + 1, pred.proba.shape[1]):
            rows = (y == a) | (y == b)
            w = weight[rows]
            pair = [
                skm.roc_auc_score(y[rows] == c, pred.proba[rows, c], sample_weight=w)
                for c in (a, b)
            ]
            scores.append(np.mean(pair))
            shares.append(w.sum() / weight.sum())
    return float(np.average(scores, weights=shares if average == "weighted" else None))


@pytest.mark.parametrize(
    "name",
    [
        "average_precision",
        "roc_auc_ovr",
        "roc_auc_ovr_weighted",
        "roc_auc_ovo",
        "roc_auc_ovo_weighted",
    ],
)
def test_rank_influence_is_the_derivative_of_the_metric(name, sets):
    """Each row's influence is d/dε of the metric when that row's weight grows by ε (the
    empirical influence function): checked by finite differences of scikit-learn's own
    weighted metric, on tree scores (many ties) and logistic ones, for both arms."""
    task = "binary" if name == "average_precision" else "multiclass"
    y, cand, base = sets[task]
    metric = resolve(name, task=task).bind(y, cand, base)
    kernel = make_kernel(metric, y, cand, base)
    delta_influence = kernel.influence()
    assert delta_influence is not None and kernel.own is not None
    n, eps = len(y), 1e-7
    rows = np.random.default_rng(1).choice(n, size=12, replace=False)
    derivative = {}
    for arm, pred in (("cand", cand), ("base", base)):
        flat = np.full(n, 1.0 / n)
        at = _weighted_score(name, y, pred, flat)
        derivative[arm] = []
        for i in rows:
            weight = flat * (1 - eps)
            weight[i] += eps
            derivative[arm].append((_weighted_score(name, y, pred, weight) - at) / eps)
    assert kernel.own[0] == pytest.approx(metric.score(y, cand), abs=1e-12)
    np.testing.assert_allclose(kernel.own[1][rows], derivative["cand"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        delta_influence[rows],
        np.subtract(derivative["cand"], derivative["base"]),
        rtol=1e-4,
        atol=1e-5,
    )
    assert abs(delta_influence.mean()) < 1e-12  # an influence has mean zero
