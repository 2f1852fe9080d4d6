"""Drift scores on real distributions: definitions checked by hand, effects in the right way."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlgate.measure.data.drift import EPS, DriftError, column_drift


def normal(n: int, seed: int, shift: float = 0.0) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(shift, 1.0, n))


def test_psi_matches_its_definition_on_reference_quantile_bins() -> None:
    reference = pd.Series(np.arange(100, dtype=float))  # quartile edges 24.75, 49.5, 74.25
    current = pd.Series(np.r_[np.arange(0, 25), np.arange(75, 100), [-5, 120, 130]].astype(float))
    drift = column_drift(reference, current, method="psi", bins=4)
    # bins: below the reference minimum, the four quartiles, above the reference maximum
    p = np.clip(np.array([0, 25, 25, 25, 25, 0]) / 100, EPS, None)
    q = np.clip(np.array([1, 25, 0, 0, 25, 2]) / 53, EPS, None)
    assert drift.score == pytest.approx(float(np.sum((q - p) * np.log(q / p))))
    assert drift.kind == "numeric"
    assert (drift.reference_rows, drift.eval_rows) == (100, 53)


def test_identical_data_has_no_drift() -> None:
    data = normal(5000, seed=1)
    for method in ("psi", "js", "chi2", "ks", "wasserstein"):
        assert column_drift(data, data.copy(), method=method).score == pytest.approx(0.0, abs=1e-12)


def test_same_distribution_scores_low_and_a_shift_scores_high() -> None:
    reference, same, shifted = normal(20_000, 1), normal(5_000, 2), normal(5_000, 3, shift=0.5)
    limits = {"psi": 0.2, "js": 0.1, "chi2": 0.1, "ks": 0.1, "wasserstein": 0.1}
    for method, limit in limits.items():
        calm = column_drift(reference, same, method=method).score
        moved = column_drift(reference, shifted, method=method).score
        assert calm < limit / 4 < limit < moved, (method, calm, moved)


def test_wasserstein_equals_scipy_and_is_normalised_by_the_reference_spread() -> None:
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(5)
    reference, current = rng.integers(0, 9, 3000) * 1.5, rng.normal(4, 3, 1700)
    expected = wasserstein_distance(reference, current) / reference.std()
    drift = column_drift(pd.Series(reference), pd.Series(current), method="wasserstein")
    assert drift.score == pytest.approx(expected, rel=1e-12)

    reference = normal(50_000, 1) * 10  # sd 10
    shifted = normal(50_000, 2, shift=0.3) * 10  # mean +3 = 0.3 sd
    assert column_drift(reference, shifted, method="wasserstein").score == pytest.approx(
        0.3, abs=0.03
    )


def test_disjoint_supports_score_the_maximum() -> None:
    low, high = normal(2000, 1), normal(2000, 2, shift=100)
    assert column_drift(low, high, method="ks").score == 1.0
    assert column_drift(low, high, method="js").score == pytest.approx(1.0)
    assert column_drift(low, high, method="chi2").score == pytest.approx(1.0)


def test_p_values_are_kept_where_meaningful() -> None:
    reference, shifted = normal(3000, 1), normal(3000, 2, shift=0.5)
    assert column_drift(reference, shifted, method="ks").p_value < 1e-10
    assert column_drift(reference, shifted, method="chi2").p_value < 1e-10
    assert column_drift(reference, shifted, method="psi").p_value is None


def test_categories_unseen_in_the_reference_are_reported() -> None:
    reference = pd.Series(["FR"] * 500 + ["DE"] * 500)
    current = pd.Series(["FR"] * 400 + ["DE"] * 400 + ["XX"] * 150 + ["YY"] * 40 + [None] * 10)
    drift = column_drift(reference, current, method="psi", column="country")
    assert drift.kind == "categorical"
    assert drift.unseen == ("XX", "YY", "(null)")  # most frequent first
    assert (drift.unseen_count, drift.unseen_rows) == (3, 200)
    p = np.clip(np.array([0.5, 0.5, 0, 0, 0]), EPS, None)
    q = np.clip(np.array([0.4, 0.4, 0.15, 0.04, 0.01]), EPS, None)
    assert drift.score == pytest.approx(float(np.sum((q - p) * np.log(q / p))))


def test_unseen_list_is_capped_but_all_are_counted() -> None:
    reference = pd.Series(["a"] * 100)
    current = pd.Series([f"new{i}" for i in range(25)] + ["x" * 200])
    drift = column_drift(reference, current, method="js")
    assert len(drift.unseen) == 10 and drift.unseen_count == 26
    assert all(len(u) <= 80 for u in drift.unseen)


def test_missing_values_are_a_bin_of_their_own() -> None:
    reference = normal(4000, 1)
    current = normal(4000, 2)
    current[:2000] = np.nan  # half the values stop arriving: binned methods see it
    assert column_drift(reference, current, method="psi").score > 1.0
    assert column_drift(reference, current, method="ks").score < 0.05  # compares values only


def test_few_distinct_values_are_binned_by_value() -> None:
    reference = pd.Series([0, 1] * 500)
    current = pd.Series([0, 1] * 450 + [2] * 100)
    drift = column_drift(reference, current, method="psi", column="flag")
    assert drift.kind == "numeric"
    assert drift.unseen == ("2",) and drift.unseen_rows == 100
    constant = column_drift(pd.Series([5.0] * 100), pd.Series([7.0] * 100), method="psi")
    assert constant.score > 5  # a quantile edge at 5.0 would have put 7.0 in the same bin


def test_datetime_and_bool_columns() -> None:
    days = pd.Series(pd.date_range("2024-01-01", periods=1000, freq="h"))
    later = days + pd.Timedelta(days=30)
    assert column_drift(days, later, method="ks").score > 0.5
    flags = pd.Series([True, False] * 100)
    assert column_drift(flags, pd.Series([True] * 200), method="psi").kind == "categorical"


def test_numeric_only_methods_refuse_categories() -> None:
    with pytest.raises(DriftError, match="ks needs a numeric column"):
        column_drift(pd.Series(["a", "b"]), pd.Series(["a"]), method="ks")
    with pytest.raises(DriftError, match="no values"):
        column_drift(pd.Series([np.nan, np.nan]), pd.Series([1.0]), method="psi")


def test_same_inputs_same_scores() -> None:
    reference, current = normal(10_000, 1), normal(10_000, 2, shift=0.1)
    first = [column_drift(reference, current, method=m).score for m in ("psi", "js", "ks")]
    again = [column_drift(reference, current, method=m).score for m in ("psi", "js", "ks")]
    assert first == again and all(math.isfinite(s) for s in first)
