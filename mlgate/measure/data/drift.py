"""Distribution drift of one column between reference and eval data, computed natively.

Scores are effect sizes, not p-values (on large data every p-value is tiny):

| method | numeric column | categorical column |
| --- | --- | --- |
| `psi` | population stability index over bins at the reference's quantiles | over categories |
| `js` | Jensen-Shannon distance (base 2, 0…1) over the same bins | over categories |
| `chi2` | Cramér's V of the chi-square test over the same bins (p-value kept) | over categories |
| `ks` | Kolmogorov-Smirnov statistic D (p-value kept) | — |
| `wasserstein` | Wasserstein distance ÷ the reference's standard deviation | — |

Binned methods use `bins` bins at the reference's quantiles (of at most 100,000 evenly spaced
reference values; every row is counted), two outer bins for values below or
above anything in the reference, and a bin for missing values (a column that starts arriving
empty has drifted); `ks` and `wasserstein` compare the non-missing values. A numeric column with
no more distinct reference values than bins (flags, small counts) is binned by value, so a new
value shows up as an unseen category instead of hiding in an edge bin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

METHODS: dict[str, str] = {
    "psi": "population stability index",
    "js": "Jensen-Shannon distance",
    "chi2": "Cramér's V (chi-square)",
    "ks": "Kolmogorov-Smirnov statistic",
    "wasserstein": "normalised Wasserstein distance",
}
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})
EPS = 1e-4  # floor of a bin's share in PSI: an empty bin would make it infinite
EDGE_SAMPLE = 100_000  # reference values the quantile bin edges are taken from (evenly spaced)
MAX_UNSEEN = 10  # unseen categories listed in a report (all are counted)
OVERLAY_BINS = 20  # reference-vs-eval histograms for the report: counts only, never rows
OVERLAY_CATEGORIES = 12
NULL_LABEL = "(null)"


class DriftError(ValueError):
    """Drift cannot be computed for this column (no values, numeric-only method on text...)."""


@dataclass(frozen=True)
class Drift:
    """The drift of one column: the score of `method`, and what explains it."""

    column: str
    method: str
    score: float
    kind: Literal["numeric", "categorical"]
    reference_rows: int
    eval_rows: int
    p_value: float | None = None
    unseen: tuple[str, ...] = ()  # eval categories absent from the reference (first MAX_UNSEEN)
    unseen_count: int = 0  # how many distinct unseen categories
    unseen_rows: int = 0  # eval rows that hold one


def is_numeric(series: pd.Series) -> bool:
    """Numbers and datetimes are numeric; booleans, text and categoricals are categories."""
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return False
    return bool(types.is_numeric_dtype(series.dtype) or types.is_datetime64_any_dtype(series.dtype))


def column_drift(
    reference: pd.Series, current: pd.Series, *, method: str, bins: int = 10, column: str = ""
) -> Drift:
    """The drift of `current` against `reference` by `method` (see the module's table)."""
    if method not in METHODS:
        raise DriftError(f"unknown drift method {method!r}; expected one of {', '.join(METHODS)}")
    numeric = is_numeric(reference) and is_numeric(current)
    if method in NUMERIC_ONLY and not numeric:
        raise DriftError(f"{method} needs a numeric column; use psi, js or chi2 for categories")
    name = column or str(reference.name)
    if numeric:
        ref, cur = _numbers(reference), _numbers(current)
        return _numeric(ref, cur, method=method, bins=bins, column=name)
    return _categorical(reference, current, method=method, column=name)


def _numbers(series: pd.Series) -> np.ndarray:
    """Float values of a numeric or datetime column, NaN for missing."""
    import numpy as np
    from pandas.api import types

    if types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert(None)
        stamps = series.to_numpy(dtype="datetime64[ns]")
        values: np.ndarray = stamps.astype("int64").astype(float)
        values[np.isnat(stamps)] = np.nan
        return values
    floats: np.ndarray = series.to_numpy(dtype=float, na_value=np.nan)
    return floats


def _numeric(ref: np.ndarray, cur: np.ndarray, *, method: str, bins: int, column: str) -> Drift:
    import numpy as np

    ref_ok, cur_ok = _present(ref), _present(cur)
    if ref_ok.size == 0:
        raise DriftError("the reference has no values in this column")
    if cur_ok.size == 0 and method in NUMERIC_ONLY:
        raise DriftError("the eval data has no values in this column")
    sizes = (int(ref.size), int(cur.size))  # reference rows, eval rows
    if method == "ks":
        from scipy.stats import ks_2samp

        test = ks_2samp(ref_ok, cur_ok)
        return Drift(column, method, float(test.statistic), "numeric", *sizes, float(test.pvalue))
    if method == "wasserstein":
        scale = float(ref_ok.std())
        # a constant reference has no spread to normalise by: the raw distance is reported
        distance = _wasserstein(ref_ok, cur_ok)
        return Drift(column, method, distance / scale if scale > 0 else distance, "numeric", *sizes)

    # quantiles of at most EDGE_SAMPLE evenly spaced reference values: the same bins to within
    # a fraction of a percent, where partitioning every value was 3/4 of the drift time at 1M
    sample = ref_ok[:: max(1, ref_ok.size // EDGE_SAMPLE)]
    inner = np.unique(np.quantile(sample, np.linspace(0, 1, bins + 1)[1:-1]))
    if inner.size < bins - 1:
        values = np.unique(ref_ok)
        if values.size <= bins:  # few distinct values: bin by value, new values are "unseen"
            return _by_value(ref, cur, values, method=method, column=column, sizes=sizes)
    # two outer bins hold values beyond anything in the reference: empty there, so eval values
    # out of the training range count as drift instead of blending into the edge bins
    edges = np.unique(np.r_[ref_ok.min(), inner, np.nextafter(ref_ok.max(), np.inf)])
    score, p_value = _binned(_histogram(ref, edges), _histogram(cur, edges), method)
    return Drift(column, method, score, "numeric", *sizes, p_value=p_value)


def _wasserstein(u: np.ndarray, v: np.ndarray) -> float:
    """W1 = ∫|F_u - F_v|, exactly, over the merged sorted values: scipy's
    wasserstein_distance, ≈ 20x faster on 1M rows. Each CDF is a running count of which sample
    the merged values came from; inside a run of ties the step width is 0, so only the run's
    last position (where the counts include every tie) adds to the sum."""
    import numpy as np

    both = np.concatenate([np.sort(u), np.sort(v)])
    order = np.argsort(both, kind="stable")  # two sorted runs: a linear merge for timsort
    from_u = order < u.size
    cdf_u = np.cumsum(from_u)[:-1] / u.size
    cdf_v = np.cumsum(~from_u)[:-1] / v.size
    return float(np.dot(np.abs(cdf_u - cdf_v), np.diff(both[order])))


def _present(values: np.ndarray) -> np.ndarray:
    """The non-missing values (no copy when nothing is missing)."""
    import numpy as np

    missing = np.isnan(values)
    return values[~missing] if missing.any() else values


def _histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (x < edges[0], edges[i] <= x < edges[i+1], ..., x >= edges[-1]) plus the
    missing count last. One vectorised comparison per edge: with a dozen edges this is several
    times faster than a binary search per value (searchsorted) on millions of rows."""
    import numpy as np

    below = [np.count_nonzero(values < edge) for edge in edges]  # NaN compares False
    present = values.size - int(np.count_nonzero(np.isnan(values)))
    return np.append(np.diff(np.asarray([0, *below, present])), values.size - present)


def _by_value(
    ref: np.ndarray,
    cur: np.ndarray,
    values: np.ndarray,
    *,
    method: str,
    column: str,
    sizes: tuple[int, int],
) -> Drift:
    import numpy as np

    cur_ok = cur[~np.isnan(cur)]
    known = np.isin(cur_ok, values)
    new_values, new_counts = np.unique(cur_ok[~known], return_counts=True)
    ref_counts = np.concatenate(
        [
            _with_nulls(
                np.bincount(np.searchsorted(values, ref[~np.isnan(ref)]), minlength=values.size),
                ref.size,
            ),
            np.zeros(new_values.size, dtype=np.int64),
        ]
    )
    cur_counts = np.concatenate(
        [
            _with_nulls(
                np.bincount(np.searchsorted(values, cur_ok[known]), minlength=values.size),
                cur.size - int(new_counts.sum()),  # unseen values have bins of their own
            ),
            new_counts,
        ]
    )
    score, p_value = _binned(ref_counts, cur_counts, method)
    order = np.argsort(-new_counts, kind="stable")
    return Drift(
        column,
        method,
        score,
        "numeric",
        *sizes,
        p_value=p_value,
        unseen=tuple(_label(v) for v in new_values[order][:MAX_UNSEEN]),
        unseen_count=int(new_values.size),
        unseen_rows=int(new_counts.sum()),
    )


def _with_nulls(counts: np.ndarray, total: int) -> np.ndarray:
    """Append the missing-value count as a bin of its own."""
    import numpy as np

    return np.append(counts, total - int(counts.sum()))


def _categorical(reference: pd.Series, current: pd.Series, *, method: str, column: str) -> Drift:
    import numpy as np
    import pandas as pd

    if reference.dtype != current.dtype:  # one factorization needs one dtype
        reference, current = reference.astype(object), current.astype(object)
    both = pd.concat([reference, current], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=False)
    k = len(uniques)
    ref_counts = np.bincount(codes[: len(reference)], minlength=k)
    cur_counts = np.bincount(codes[len(reference) :], minlength=k)
    if ref_counts.sum() == 0:
        raise DriftError("the reference has no rows")
    score, p_value = _binned(ref_counts, cur_counts, method)
    unseen = np.flatnonzero((ref_counts == 0) & (cur_counts > 0))
    unseen = unseen[np.argsort(-cur_counts[unseen], kind="stable")]
    return Drift(
        column,
        method,
        score,
        "categorical",
        reference_rows=len(reference),
        eval_rows=len(current),
        p_value=p_value,
        unseen=tuple(_label(uniques[i]) for i in unseen[:MAX_UNSEEN]),
        unseen_count=int(unseen.size),
        unseen_rows=int(cur_counts[unseen].sum()),
    )


def _binned(
    ref_counts: np.ndarray, cur_counts: np.ndarray, method: str
) -> tuple[float, float | None]:
    """Score two histograms over the same bins (PSI, JS distance, or Cramér's V with p-value)."""
    import numpy as np

    keep = (ref_counts + cur_counts) > 0
    ref_counts, cur_counts = ref_counts[keep], cur_counts[keep]
    if cur_counts.sum() == 0:
        raise DriftError("the eval data has no rows")
    p = ref_counts / ref_counts.sum()
    q = cur_counts / cur_counts.sum()
    if method == "psi":
        p_, q_ = np.clip(p, EPS, None), np.clip(q, EPS, None)
        return float(np.sum((q_ - p_) * np.log(q_ / p_))), None
    if method == "js":
        from scipy.spatial.distance import jensenshannon

        return float(jensenshannon(p, q, base=2)), None
    if ref_counts.size < 2:  # chi2: one bin in all, nothing can differ
        return 0.0, 1.0
    from scipy.stats import chi2_contingency

    test = chi2_contingency(np.vstack([ref_counts, cur_counts]), correction=False)
    n = int(ref_counts.sum() + cur_counts.sum())
    return float(np.sqrt(test.statistic / n)), float(test.pvalue)


def _label(value: object) -> str:
    """A category as shown in a report: text, `(null)` for missing, at most 80 characters."""
    import pandas as pd

    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    ):
        return NULL_LABEL
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def overlay(reference: pd.Series, current: pd.Series) -> dict[str, object]:
    """Both distributions of one column as counts, for the report's overlay chart (bounded:
    20 equal-width bins over the central 99% of both, out-of-range values counted in the edge
    bins, or the 12 most frequent categories and the rest as one count; missing values apart).
    Datetimes are left out (their axis would need dates); no row is copied."""
    import numpy as np
    from pandas.api import types

    if types.is_datetime64_any_dtype(reference.dtype) or types.is_datetime64_any_dtype(
        current.dtype
    ):
        return {}
    if is_numeric(reference) and is_numeric(current):
        ref, cur = _numbers(reference), _numbers(current)
        ref_ok, cur_ok = _present(ref), _present(cur)
        if ref_ok.size == 0 or cur_ok.size == 0:
            return {}
        both = np.concatenate([ref_ok, cur_ok])
        lo, hi = (float(v) for v in np.quantile(both, [0.005, 0.995]))
        if hi <= lo:
            lo, hi = float(both.min()), float(both.max())
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, OVERLAY_BINS + 1)

        def counts(values: np.ndarray) -> list[int]:
            at = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, OVERLAY_BINS - 1)
            return [int(c) for c in np.bincount(at, minlength=OVERLAY_BINS)]

        return {
            "kind": "numeric",
            "edges": [round(float(e), 6) for e in edges],
            "reference": counts(ref_ok),
            "eval": counts(cur_ok),
            "missing": [int(ref.size - ref_ok.size), int(cur.size - cur_ok.size)],
        }
    ref_counts = reference.astype(object).value_counts(dropna=True)
    cur_counts = current.astype(object).value_counts(dropna=True)
    total = (ref_counts / max(len(reference), 1)).add(
        cur_counts / max(len(current), 1), fill_value=0
    )
    top = list(total.sort_values(ascending=False, kind="stable").index[:OVERLAY_CATEGORIES])
    ref_top = [int(ref_counts.get(k, 0)) for k in top]
    cur_top = [int(cur_counts.get(k, 0)) for k in top]
    return {
        "kind": "categorical",
        "categories": [_label(k) for k in top],
        "reference": ref_top,
        "eval": cur_top,
        "other": [int(ref_counts.sum()) - sum(ref_top), int(cur_counts.sum()) - sum(cur_top)],
        "missing": [int(reference.isna().sum()), int(current.isna().sum())],
    }
