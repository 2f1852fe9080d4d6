"""Tests of the paired statistics: fast bootstrap paths vs the plain loop, DeLong, large n, Holm."""

from __future__ import annotations

import math
import textwrap
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlgate.measure.model.kernels import make_kernel
from mlgate.measure.model.metrics import MetricError, Predictions, resolve
from mlgate.measure.model.stats import (
    NORMAL_ROWS,
    delong,
    paired_estimate,
    replicate_scores,
)
from mlgate.records import detectable_worsening


def _predict(model, x) -> Predictions:
    proba = model.predict_proba(x) if hasattr(model, "predict_proba") else None
    return Predictions(model.predict(x), proba, getattr(model, "classes_", None))


@pytest.fixture(scope="module")
def binary():
    """5000 eval rows; a model, 5 harmless retrains (other seeds), one without 2 top features."""
    x, y = make_classification(8000, n_features=10, n_informative=4, n_redundant=2, random_state=0)
    xt, yt, xe, ye = x[:3000], y[:3000], x[3000:], y[3000:]

    def forest(seed):
        return RandomForestClassifier(40, max_depth=8, random_state=seed, n_jobs=1)

    base = forest(0).fit(xt, yt)
    retrains = [_predict(forest(seed).fit(xt, yt), xe) for seed in range(1, 6)]
    keep = np.argsort(base.feature_importances_)[:-2]  # drop the two most informative
    worse = forest(0).fit(xt[:, keep], yt)
    return {
        "y": ye,
        "base": _predict(base, xe),
        "retrain": retrains[0],
        "retrains": retrains,
        "worse": _predict(worse, xe[:, keep]),
    }


@pytest.fixture(scope="module")
def small():
    """Small sets where resamples miss classes: binary, multiclass with a rare class, regression."""
    x, y = make_classification(500, n_features=6, n_informative=3, random_state=3)
    xm, ym = make_classification(
        500, n_features=6, n_informative=4, n_classes=3, weights=[0.6, 0.37, 0.03], random_state=4
    )
    xr, yr = make_regression(500, n_features=5, noise=20.0, random_state=5)
    yr = yr + 400.0
    out = {}
    for task, (xx, yy), models in [
        ("binary", (x, y), (LogisticRegression(), DecisionTreeClassifier(max_depth=3))),
        ("multiclass", (xm, ym), (LogisticRegression(), DecisionTreeClassifier(max_depth=3))),
        ("regression", (xr, yr), (Ridge(), DecisionTreeRegressor(max_depth=4))),
    ]:
        fitted = [m.fit(xx[:300], yy[:300]) for m in models]
        out[task] = (yy[300:], *(_predict(m, xx[300:]) for m in fitted))
    return out


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# every vectorised path, against the plain scikit-learn call on the same resample
FAST = [
    ("accuracy", "binary", lambda y, p: skm.accuracy_score(y, p.label)),
    ("balanced_accuracy", "multiclass", lambda y, p: skm.balanced_accuracy_score(y, p.label)),
    ("f1", "binary", lambda y, p: skm.f1_score(y, p.label)),
    ("precision", "binary", lambda y, p: skm.precision_score(y, p.label)),
    ("recall", "binary", lambda y, p: skm.recall_score(y, p.label)),
    ("jaccard", "binary", lambda y, p: skm.jaccard_score(y, p.label)),
    *[
        (
            f"{m}_{avg}",
            "multiclass",
            lambda y, p, m=m, avg=avg: getattr(skm, f"{m}_score")(y, p.label, average=avg),
        )
        for m in ("f1", "precision", "recall", "jaccard")
        for avg in ("macro", "micro", "weighted")
    ],
    ("f1_macro", "binary", lambda y, p: skm.f1_score(y, p.label, average="macro")),
    ("matthews_corrcoef", "binary", lambda y, p: skm.matthews_corrcoef(y, p.label)),
    ("matthews_corrcoef", "multiclass", lambda y, p: skm.matthews_corrcoef(y, p.label)),
    ("cohen_kappa", "multiclass", lambda y, p: skm.cohen_kappa_score(y, p.label)),
    ("log_loss", "binary", lambda y, p: skm.log_loss(y, p.proba, labels=[0, 1])),
    ("log_loss", "multiclass", lambda y, p: skm.log_loss(y, p.proba, labels=p.classes)),
    ("neg_log_loss", "binary", lambda y, p: -skm.log_loss(y, p.proba, labels=[0, 1])),
    ("brier_score", "binary", lambda y, p: skm.brier_score_loss(y, p.proba[:, 1])),
    ("r2", "regression", lambda y, p: skm.r2_score(y, p.label)),
    ("explained_variance", "regression", lambda y, p: skm.explained_variance_score(y, p.label)),
    ("mse", "regression", lambda y, p: skm.mean_squared_error(y, p.label)),
    ("rmse", "regression", lambda y, p: skm.root_mean_squared_error(y, p.label)),
    (
        "neg_root_mean_squared_error",
        "regression",
        lambda y, p: -skm.root_mean_squared_error(y, p.label),
    ),
    ("mae", "regression", lambda y, p: skm.mean_absolute_error(y, p.label)),
    ("mape", "regression", lambda y, p: skm.mean_absolute_percentage_error(y, p.label)),
]


@pytest.mark.parametrize(("name", "task", "sklearn_fn"), FAST, ids=[f"{n}-{t}" for n, t, _ in FAST])
def test_vectorised_bootstrap_equals_the_sklearn_loop(name, task, sklearn_fn, small):
    y, cand, base = small[task]
    metric = resolve(name, task=task)
    kernel = make_kernel(metric, y, cand, base)
    assert type(kernel).__name__ != "_LoopKernel", "this metric should have a fast path"
    index = np.random.default_rng(7).integers(0, len(y), size=(40, len(y)))
    fast = replicate_scores(metric, y, cand, base, index)
    loop = np.array([[_quiet(sklearn_fn, y[i], p.take(i)) for p in (cand, base)] for i in index])
    np.testing.assert_allclose(fast, loop, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_fast_path_handles_resamples_missing_a_class(small):
    """The rare class is absent from some resamples: macro averages must drop it as sklearn does."""
    y, cand, base = small["multiclass"]
    common = np.flatnonzero(y != 2)
    rng = np.random.default_rng(1)
    index = np.concatenate(
        [
            common[rng.integers(0, len(common), size=(30, len(y)))],
            rng.integers(0, len(y), size=(30, len(y))),
        ]
    )
    metric = resolve("f1_macro", task="multiclass")
    fast = replicate_scores(metric, y, cand, base, index)
    loop = [
        [_quiet(skm.f1_score, y[i], p.label[i], average="macro") for p in (cand, base)]
        for i in index
    ]
    np.testing.assert_allclose(fast, loop, rtol=1e-9)
    assert not np.isin(2, y[index[:30]]).any()


@pytest.mark.parametrize("name", ["f1_macro", "cohen_kappa", "balanced_accuracy"])
def test_fast_path_with_many_classes(name):
    """Past 16 classes the kernel counts each model separately: same values as sklearn."""
    rng = np.random.default_rng(9)
    y = rng.integers(0, 20, 300)
    noisy = [np.where(rng.random(300) < 0.6, y, rng.integers(0, 20, 300)) for _ in range(2)]
    cand, base = (Predictions(p) for p in noisy)
    metric = resolve(name, task="multiclass")
    index = rng.integers(0, 300, size=(20, 300))
    fast = replicate_scores(metric, y, cand, base, index)
    loop = [[metric.score(y[i], p.take(i)) for p in (cand, base)] for i in index]
    np.testing.assert_allclose(fast, loop, rtol=1e-9)
    assert not make_kernel(metric, y, cand, base).joint


def test_delong_aucs_equal_sklearn_and_se_matches_the_bootstrap(binary):
    y, cand, base = (
        binary["y"][:3000],
        binary["retrain"].take(slice(0, 3000)),
        binary["base"].take(slice(0, 3000)),
    )
    auc_c, auc_b, se = delong(y, cand.proba[:, 1], base.proba[:, 1])
    assert auc_c == pytest.approx(skm.roc_auc_score(y, cand.proba[:, 1]), rel=1e-12)
    assert auc_b == pytest.approx(skm.roc_auc_score(y, base.proba[:, 1]), rel=1e-12)
    index = np.random.default_rng(0).integers(0, len(y), size=(300, len(y)))
    reps = replicate_scores(resolve("roc_auc", task="binary"), y, cand, base, index)
    boot_se = np.std(reps[:, 0] - reps[:, 1], ddof=1)
    assert se == pytest.approx(boot_se, rel=0.15)


def _delong_by_definition(y, a, b):
    """O(n²) DeLong straight from the placement values psi(x, y) = [x > y] + ½[x = y]."""
    pos, neg = y == 1, y == 0
    out = []
    for s in (a, b):
        psi = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
        out.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    v10 = out[0][1] - out[1][1]
    v01 = out[0][2] - out[1][2]
    var = v10.var(ddof=1) / pos.sum() + v01.var(ddof=1) / neg.sum()
    return out[0][0], out[1][0], math.sqrt(var)


def test_delong_with_ties_equals_the_definition():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 80)
    a = np.round(y * 0.3 + rng.random(80), 1)  # rounded: many ties
    b = np.round(y * 0.1 + rng.random(80), 1)
    assert delong(y, a, b) == pytest.approx(_delong_by_definition(y, a, b), rel=1e-12)


@pytest.mark.parametrize("name", ["accuracy", "roc_auc"])
def test_harmless_retrains_are_not_significant_and_a_real_loss_is(name, binary):
    """docs/design.md §5: no-op retrains on 1000 eval rows are not blocked; a real loss is.

    On all 5000 rows DeLong is precise enough (se ≈ 0.0005) to see the real, tiny differences
    between forests of other seeds — there the tolerance keeps them passing: the better-side
    bound never shows a drop beyond 0.005.
    """
    metric = resolve(name, task="binary")
    y, base, first = binary["y"], binary["base"], np.arange(1000)
    for retrain in binary["retrains"]:
        lo, hi = paired_estimate(metric, y[first], retrain.take(first), base.take(first)).interval(
            0.05
        )
        assert lo < 0 < hi
        assert paired_estimate(metric, y, retrain, base).interval(0.05)[1] > -0.005
    lo, hi = paired_estimate(
        metric, y[first], binary["worse"].take(first), base.take(first)
    ).interval(0.05)
    assert hi < -0.005


@pytest.mark.parametrize("name", ["balanced_accuracy", "f1"])
def test_same_seed_same_estimate_other_seed_other_samples(name, binary):
    metric = resolve(name, task="binary")
    args = (metric, binary["y"], binary["retrain"], binary["base"])
    first = paired_estimate(*args, n_boot=300, seed=11)
    assert paired_estimate(*args, n_boot=300, seed=11) == first
    other = paired_estimate(*args, n_boot=300, seed=12)
    assert other.samples != first.samples
    assert other.delta == first.delta


def test_loop_path_is_deterministic_too(small):
    y, cand, base = small["binary"]
    metric = resolve("average_precision", task="binary")
    first = paired_estimate(metric, y, cand, base, n_boot=60, seed=3)
    assert first.method == "paired bootstrap (B=60)"
    assert paired_estimate(metric, y, cand, base, n_boot=60, seed=3) == first
    assert paired_estimate(metric, y, cand, base, n_boot=60, seed=4).samples != first.samples


@pytest.mark.parametrize(
    ("name", "task", "method"),
    [
        ("accuracy", "binary", "paired score interval (899 of 5000 rows differ)"),
        ("log_loss", "binary", "paired per-row differences"),
        ("f1", "binary", "Dirichlet cell counts (B=1000, 1 added per cell)"),
        ("matthews_corrcoef", "binary", "Dirichlet cell counts (B=1000, 1 added per cell)"),
        ("average_precision", "binary", "paired influence of average precision"),
        ("roc_auc", "binary", "DeLong"),
    ],
)
def test_large_n_interval_is_close_to_the_full_bootstrap(name, task, method, binary):
    metric = resolve(name, task=task)
    args = (metric, binary["y"], binary["worse"], binary["base"])
    full = paired_estimate(*args)
    large = paired_estimate(*args, max_rows=1000)
    assert large.method == method
    assert large.delta == full.delta
    width = np.diff(large.interval(0.05))[0]
    assert width == pytest.approx(np.diff(full.interval(0.05))[0], rel=0.25)
    if large.samples:
        assert len(large.samples) == 1000
        assert np.median(large.samples) == pytest.approx(full.delta, abs=width / 4)


def _agrees_with_the_row_bootstrap(drawn, metric, y, cand, base, centre: float = 0.1) -> None:
    """drawn's 95% interval vs the percentile interval of 1,000 row-index resamples: within 10%
    in width, and centres within `centre` of the width apart."""
    index = np.random.default_rng(3).integers(0, len(y), size=(1000, len(y)))
    reps = replicate_scores(metric, y, cand, base, index)
    lo, hi = np.quantile(reps[:, 0] - reps[:, 1], [0.025, 0.975])
    d_lo, d_hi = drawn.interval(0.05)
    assert d_hi - d_lo == pytest.approx(hi - lo, rel=0.1)
    assert abs((d_lo + d_hi) / 2 - (lo + hi) / 2) < centre * (hi - lo)


@pytest.mark.parametrize(
    "name", ["f1", "precision", "recall", "jaccard", "balanced_accuracy", "matthews_corrcoef"]
)
def test_binary_confusion_draws_agree_with_the_row_bootstrap_at_large_counts(name, binary):
    """The Dirichlet draw of the 8 cell counts (stats.cell_estimate) — for recall the paired
    score interval of the positives only one model finds — is the row bootstrap's large-count
    limit: on 5,000 rows (hundreds differ) the two 95% intervals agree."""
    metric = resolve(name, task="binary")
    y, cand, base = binary["y"], binary["worse"], binary["base"]
    drawn = paired_estimate(metric, y, cand, base, seed=3)
    if name == "recall":
        positives = int(np.count_nonzero(y == 1))
        found_c, found_b = np.asarray(cand.label)[y == 1] == 1, np.asarray(base.label)[y == 1] == 1
        differ = int(np.count_nonzero(found_c != found_b))
        assert drawn.method == f"paired score interval ({differ} of {positives} positives differ)"
        assert drawn.discordant == (
            int(np.count_nonzero(found_c & ~found_b)),
            int(np.count_nonzero(found_b & ~found_c)),
        )
    else:
        assert drawn.method == "Dirichlet cell counts (B=1000, 1 added per cell)"
    _agrees_with_the_row_bootstrap(drawn, metric, y, cand, base)


def _four_classes(n: int, seed: int) -> tuple[np.ndarray, Predictions, Predictions]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    signal = np.eye(4)[y] * 1.5 + rng.normal(size=(n, 4))
    cand, base = (signal + noise * rng.normal(size=(n, 4)) for noise in (0.6, 0.5))
    return y, Predictions(cand.argmax(axis=1)), Predictions(base.argmax(axis=1))


@pytest.mark.parametrize(
    "name", ["f1_macro", "recall_weighted", "balanced_accuracy", "matthews_corrcoef", "cohen_kappa"]
)
def test_multiclass_confusion_draws_the_bayesian_bootstrap_as_cell_counts(name):
    """Multiclass confusion metrics draw the 64 (truth, candidate, production) counts from a
    Dirichlet(counts) — the Bayesian bootstrap of the rows summed per cell — so the interval
    agrees with resampling row indices, at any n and without a subsample above max_rows."""
    metric = resolve(name, task="multiclass")
    y, cand, base = _four_classes(3000, seed=5)
    drawn = paired_estimate(metric, y, cand, base, seed=3)
    assert drawn.method == ("Dirichlet cell counts (B=1000, the Bayesian bootstrap over 64 cells)")
    _agrees_with_the_row_bootstrap(drawn, metric, y, cand, base)
    assert paired_estimate(metric, y, cand, base, seed=3) == drawn
    assert paired_estimate(metric, y, cand, base, seed=3, max_rows=1000) == drawn  # no subsample


@pytest.mark.parametrize("name", ["r2", "explained_variance", "rmse", "mae", "mape"])
def test_metrics_with_per_row_terms_use_the_per_row_normal_from_300_rows(name):
    """From NORMAL_ROWS rows a loss, r2 or explained variance is decided by the normal interval
    of its per-row paired differences: it agrees with the row bootstrap's percentile interval
    (1,000 row-index resamples) on 1,000 and 5,000 rows, costs no resamples, and needs no
    subsample above max_rows. Below NORMAL_ROWS the row bootstrap itself decides. (On 300 rows
    of heavy-tailed percentage errors the normal interval is the wider one: by simulation it
    covered 94.2% where the bootstrap covered 92.7%, docs/design.md §5.)"""
    x, y = make_regression(5000, n_features=6, noise=25.0, random_state=8)
    y = y + 500.0
    full_model, weak_model = Ridge().fit(x[:1000], y[:1000]), Ridge().fit(x[:1000, 1:], y[:1000])
    cand, base = Predictions(weak_model.predict(x[:, 1:])), Predictions(full_model.predict(x))
    metric = resolve(name, task="regression")
    for rows in (1000, 5000):
        y_n, c_n, b_n = y[:rows], cand.take(np.arange(rows)), base.take(np.arange(rows))
        normal = paired_estimate(metric, y_n, c_n, b_n)
        assert normal.method == "paired per-row differences"
        assert normal.samples is None
        _agrees_with_the_row_bootstrap(normal, metric, y_n, c_n, b_n)
    assert paired_estimate(metric, y, cand, base, max_rows=1000) == normal
    few = np.arange(NORMAL_ROWS - 1)
    below = paired_estimate(metric, y[few], cand.take(few), base.take(few))
    assert below.method == "paired bootstrap (B=1000)"


def test_the_median_error_uses_its_influence_and_falls_back_on_ties():
    """median_absolute_error from NORMAL_ROWS rows: the normal interval from the median's
    per-row influence with Hall and Sheather's sparsity, agreeing with the row bootstrap; where
    ties fill the window around a median (rounded errors) the sparsity cannot be read, and the
    row bootstrap decides."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=5000)
    y = 2 * x + rng.standard_t(5, 5000)
    cand, base = Predictions(1.9 * x + 0.1 + 0.35 * rng.normal(size=5000)), Predictions(2 * x)
    metric = resolve("median_absolute_error", task="regression")
    for rows in (1000, 5000):
        y_n, c_n, b_n = y[:rows], cand.take(np.arange(rows)), base.take(np.arange(rows))
        normal = paired_estimate(metric, y_n, c_n, b_n)
        assert normal.method == "paired median influence (Hall–Sheather sparsity)"
        assert normal.growth == 0.0
        # the bootstrap of a median is lumpy (it takes few distinct values), its percentile
        # interval off-centre by up to a tenth of its width: the centres within 15%
        _agrees_with_the_row_bootstrap(normal, metric, y_n, c_n, b_n, centre=0.15)
    rounded = paired_estimate(
        metric, np.round(y), Predictions(np.round(cand.label)), Predictions(np.round(base.label))
    )
    assert rounded.method == "paired bootstrap (B=1000)"


def _ranked(name: str, n: int) -> tuple[str, np.ndarray, Predictions, Predictions]:
    """Scores for a rank metric: binary (20% positives) or 4 classes of unequal shares, the
    candidate a little noisier; the class probabilities rounded to 2 decimals, so scores tie."""
    rng = np.random.default_rng(9)
    if name == "average_precision":
        y = (rng.random(n) < 0.2).astype(int)
        latent = y + 0.8 * rng.normal(size=n)
        scores = [1 / (1 + np.exp(-(latent + s * rng.normal(size=n)))) for s in (0.7, 0.5)]
        preds = [Predictions((p > 0.5).astype(int), np.c_[1 - p, p], np.arange(2)) for p in scores]
        return "binary", y, preds[0], preds[1]
    y = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    latent = np.eye(4)[y] + rng.normal(size=(n, 4))
    preds = []
    for noise in (0.8, 0.6):
        logit = latent + noise * rng.normal(size=(n, 4))
        proba = np.round(np.exp(logit) / np.exp(logit).sum(axis=1, keepdims=True), 2)
        proba[:, 3] = 1 - proba[:, :3].sum(axis=1)  # still probabilities
        preds.append(Predictions(proba.argmax(axis=1), proba, np.arange(4)))
    return "multiclass", y, preds[0], preds[1]


RANK_METHODS = {
    "average_precision": "paired influence of average precision",
    "roc_auc_ovr": "paired DeLong placements (one-vs-rest)",
    "roc_auc_ovr_weighted": "paired DeLong placements (one-vs-rest)",
    "roc_auc_ovo": "paired DeLong placements (one-vs-one)",
    "roc_auc_ovo_weighted": "paired DeLong placements (one-vs-one)",
}


@pytest.mark.parametrize("name", list(RANK_METHODS))
def test_rank_metrics_use_their_influence_from_300_rows(name):
    """Average precision and multiclass ROC AUC from NORMAL_ROWS rows: the normal interval of
    their per-row paired influence (AP's own; DeLong's placements per class or pair, averaged
    as scikit-learn averages them). It agrees with the row bootstrap's percentile interval on
    1,000 and 4,000 tied-score rows, costs no resamples and needs no subsample above max_rows;
    below NORMAL_ROWS the row bootstrap decides. (By simulation at 300-3,000 rows it covered
    93.4-96.4% where the bootstrap covered 93.0-96.5%, benchmarks/rank_coverage.py.)"""
    task, y, cand, base = _ranked(name, 4000)
    metric = resolve(name, task=task)
    for rows in (1000, 4000):
        y_n, c_n, b_n = y[:rows], cand.take(np.arange(rows)), base.take(np.arange(rows))
        normal = paired_estimate(metric, y_n, c_n, b_n)
        assert normal.method == RANK_METHODS[name]
        assert normal.samples is None
        assert 0 < normal.growth < 1
        _agrees_with_the_row_bootstrap(normal, metric, y_n, c_n, b_n)
    assert paired_estimate(metric, y, cand, base, max_rows=1000) == normal
    few = np.arange(NORMAL_ROWS - 1)
    below = paired_estimate(metric, y[few], cand.take(few), base.take(few))
    assert below.method == "paired bootstrap (B=1000)"


@pytest.mark.parametrize("rows", [40, 1000, 5000])
def test_max_error_draws_the_row_bootstrap_of_the_largest_errors(rows):
    """max_error draws only the draws that land among the rows that can set a maximum — the row
    bootstrap's own law of both maxima — so its interval agrees with resampling row indices, at
    any n and without a subsample above max_rows."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=rows)
    y = 2 * x + rng.standard_t(5, rows)
    cand, base = Predictions(1.9 * x + 0.35 * rng.normal(size=rows)), Predictions(2 * x)
    metric = resolve("max_error", task="regression")
    drawn = paired_estimate(metric, y, cand, base, seed=3)
    assert drawn.method.startswith("paired bootstrap of the largest errors (B=1000, the ")
    _agrees_with_the_row_bootstrap(drawn, metric, y, cand, base, centre=0.15)
    assert paired_estimate(metric, y, cand, base, seed=3) == drawn
    assert paired_estimate(metric, y, cand, base, seed=3, max_rows=1000) == drawn
    assert paired_estimate(metric, y, cand, base, seed=4).samples != drawn.samples


def test_degenerate_resamples_are_redrawn_and_said(small):
    y, cand, base = small["multiclass"]
    few = np.r_[np.flatnonzero(y == 2)[:2], np.flatnonzero(y != 2)[:38]]  # 2 of 40 rows rare
    metric = resolve("roc_auc_ovr", task="multiclass")
    estimate = paired_estimate(metric, y[few], cand.take(few), base.take(few), n_boot=200)
    assert len(estimate.samples) == 200
    assert all(math.isfinite(s) for s in estimate.samples)
    assert estimate.method.startswith("paired bootstrap (B=200; ")
    assert "resamples redrawn: metric undefined on them)" in estimate.method


def test_when_almost_every_resample_is_undefined_it_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "mlgate_picky_metric.py").write_text(
        textwrap.dedent("""
        import numpy as np

        def picky(y_true, y_pred):
            if not np.all(y_true[:3] == 1):  # true of the full rows, of ~24% of resamples
                raise ValueError("wants positives first")
            return float(np.mean(y_true == y_pred))
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    y = np.array([1] * 31 + [0] * 19)
    metric = resolve("mlgate_picky_metric:picky", task="binary")
    with pytest.raises(
        MetricError,
        match=r"^mlgate_picky_metric:picky: only \d+ of 150 "
        r"bootstrap resamples could be scored",
    ):
        paired_estimate(metric, y, Predictions(y), Predictions(1 - y), n_boot=50)


def test_unscorable_full_rows_raise(binary):
    ones = np.flatnonzero(binary["y"] == 1)
    with pytest.raises(MetricError, match="single class"):
        paired_estimate(
            resolve("roc_auc", task="binary"),
            binary["y"][ones],
            binary["retrain"].take(ones),
            binary["base"].take(ones),
        )


@pytest.mark.parametrize(
    ("se", "tolerance", "alpha", "power", "expected"),
    [
        (0.01, 0.005, 0.05, 0.8, 0.005 + (1.959964 + 0.841621) * 0.01),
        (0.02, 0.0, 0.10, 0.9, (1.644854 + 1.281552) * 0.02),
        (0.0, 0.01, 0.05, 0.8, 0.01),
    ],
)
def test_detectable_worsening(se, tolerance, alpha, power, expected):
    assert detectable_worsening(se, tolerance, alpha, power) == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize(
    ("growth", "scaling", "worsening"),
    [(0.002, (0.0, 0.0), 0.0), (0.0, (0.0005, 0.01), 0.004), (0.001, (-0.0002, 0.05), -0.01)],
)
def test_the_detectable_worsening_solves_its_equation(growth, scaling, worsening):
    """At the stated d the rule's margin is exactly (z_a + z_p) times the spread there:
    d − tolerance = z·√(se² + (growth + 2k)·t + h·t²), t = d − worsening."""
    se, tol, z = 0.01, 0.02, 1.959964 + 0.841621
    d = detectable_worsening(se, tol, 0.05, 0.8, growth, worsening, scaling)
    (k, h), t = scaling, d - worsening
    assert d - tol == pytest.approx(z * math.sqrt(se**2 + (growth + 2 * k) * t + h * t * t))
    assert d > detectable_worsening(se, tol, 0.05, 0.8)  # the spread grows with the worsening


def test_no_worsening_is_detectable_when_a_handful_of_rows_carry_it():
    """h·z² ≥ 1 (a worsening carried by about z² ≈ 8 rows or fewer): the spread grows as fast as
    the worsening, so none is caught with 80% power; from h·z² = ½ (about 16 rows) the normal
    spread misstates the power. math.inf there, never a small figure."""
    z2 = (1.959964 + 0.841621) ** 2
    for h in (1.0 / z2, 0.5 / z2):
        assert detectable_worsening(0.01, 0.02, 0.05, 0.8, 0.0, 0.0, (0.0, h)) == math.inf
    assert detectable_worsening(0.01, 0.02, 0.05, 0.8, 0.0, 0.0, (0.0, 0.45 / z2)) < math.inf


def test_a_loss_worsening_on_a_few_rows_states_how_its_spread_grows():
    """mae where 20 of 1,000 rows carry the worsening: Estimate.scaling's h is at most
    (1/q − 1)/n (q = 2%: 0.049, if those rows alone were worse; the other rows' noise takes a
    little); spread evenly over the rows it is small; a metric with no per-row terms (the
    median) has none."""
    rng = np.random.default_rng(3)
    n = 1000
    y = rng.normal(0, 3, n)
    e = rng.normal(0, 2, n)
    bad = np.zeros(n, bool)
    bad[:20] = True
    few = np.where(bad, np.sign(e) * 15, rng.normal(0, 0.2, n))
    mae = resolve("mae", task="regression")
    concentrated = paired_estimate(mae, y, Predictions(y + e + few), Predictions(y + e))
    assert 0.02 < concentrated.scaling[1] < 0.049
    assert concentrated.scaling[0] > 0
    spread = paired_estimate(mae, y, Predictions(y + 1.1 * e), Predictions(y + e))
    assert 0 < spread.scaling[1] < concentrated.scaling[1] / 20
    median = resolve("median_absolute_error", task="regression")
    assert paired_estimate(median, y, Predictions(y + e + few), Predictions(y + e)).scaling == (
        0.0,
        0.0,
    )
