"""Properties of the compare stage (pure), checked by hypothesis on generated measurements.

Deterministic: `derandomize=True` (the examples derive from the test, not from a seed or a
database), a fixed number of examples, no deadline (a loaded runner is slow, not wrong).
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlgate.compare import Policy, compare, compare_all, holm
from mlgate.config.values import _parse_tolerance
from mlgate.records import Estimate, Measurement, Tolerance

PROPERTY = settings(derandomize=True, max_examples=100, deadline=None, database=None)

metric = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
delta = st.floats(min_value=-0.5, max_value=0.5, allow_nan=False)
spread = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)
tolerance = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)
alpha = st.sampled_from([0.01, 0.05, 0.1, 0.2])
higher = st.booleans()
strict = st.booleans()


def measurement(
    base: float,
    change: float,
    se: float,
    tol: float | Tolerance,
    *,
    higher_is_better: bool = True,
    key: str | None = None,
    family: str | None = None,
    ident: str = "model.m",
) -> Measurement:
    key = key or ("max_drop" if higher_is_better else "max_increase")
    return Measurement(
        id=ident,
        kind="model",
        name="m",
        thresholds={key: tol},
        candidate=base + change,
        baseline=base,
        estimate=Estimate(delta=change, method="normal", n=1000, se=se),
        higher_is_better=higher_is_better,
        family=family,
    )


def passes(m: Measurement, policy: Policy) -> bool:
    return compare(m, policy).result.status == "pass"


def worse(change: float, by: float, higher_is_better: bool) -> float:
    """A change `by` ≥ 0 worse than `change` in the metric's direction."""
    return change - by if higher_is_better else change + by


@PROPERTY
@given(metric, delta, st.floats(0.0, 0.5), spread, tolerance, alpha, higher, strict)
def test_a_worse_delta_never_passes_where_a_better_one_failed(
    base: float, change: float, by: float, se: float, tol: float, a: float, hib: bool, st_: bool
) -> None:
    policy = Policy(alpha=a, strict=st_)
    better = measurement(base, change, se, tol, higher_is_better=hib)
    worse_one = measurement(base, worse(change, by, hib), se, tol, higher_is_better=hib)
    assert passes(better, policy) or not passes(worse_one, policy)


@PROPERTY
@given(metric, delta, spread, spread, tolerance, alpha, higher)
def test_more_uncertainty_never_fails_the_default_rule_nor_passes_the_strict_one(
    base: float, change: float, se: float, more: float, tol: float, a: float, hib: bool
) -> None:
    """Default: a wider interval proves less worsening. Strict: it proves less safety."""
    narrow = measurement(base, change, se, tol, higher_is_better=hib)
    wide = measurement(base, change, se + more, tol, higher_is_better=hib)
    assert not passes(narrow, Policy(alpha=a)) or passes(wide, Policy(alpha=a))
    assert not passes(wide, Policy(alpha=a, strict=True)) or passes(
        narrow, Policy(alpha=a, strict=True)
    )


@PROPERTY
@given(metric, delta, st.floats(0.0, 0.3), spread, spread, tolerance, alpha, higher, strict)
def test_an_interval_lying_wholly_further_out_never_passes_where_the_nearer_one_failed(
    base: float,
    change: float,
    by: float,
    se: float,
    other_se: float,
    tol: float,
    a: float,
    hib: bool,
    st_: bool,
) -> None:
    """Monotonic in the interval: both ends of the worsening interval at least as bad."""
    better = measurement(base, change, se, tol, higher_is_better=hib)
    worse_one = measurement(base, worse(change, by, hib), other_se, tol, higher_is_better=hib)
    policy = Policy(alpha=a, strict=st_)
    sign = -1.0 if hib else 1.0
    assert better.estimate is not None and worse_one.estimate is not None
    b_lo, b_hi = sorted(sign * x for x in better.estimate.interval(a))
    w_lo, w_hi = sorted(sign * x for x in worse_one.estimate.interval(a))
    assume(w_lo >= b_lo and w_hi >= b_hi)
    assert passes(better, policy) or not passes(worse_one, policy)


@PROPERTY
@given(
    metric,
    delta,
    spread,
    st.decimals(min_value=0, max_value=20, places=2),
    alpha,
    higher,
    strict,
)
def test_absolute_and_percent_tolerances_agree_for_the_same_effective_threshold(
    base: float, change: float, se: float, pct: object, a: float, hib: bool, st_: bool
) -> None:
    relative = _parse_tolerance(f"{pct}%")  # as the config reads "1.25%"
    assert relative.relative
    absolute = abs(base) * relative.value  # the same threshold in the metric's units
    policy = Policy(alpha=a, strict=st_)
    by_percent = compare(measurement(base, change, se, relative, higher_is_better=hib), policy)
    by_units = compare(measurement(base, change, se, absolute, higher_is_better=hib), policy)
    assert by_percent.result.status == by_units.result.status
    assert by_percent.result.details["allowed"] == by_units.result.details["allowed"]


@PROPERTY
@given(metric, delta, spread, tolerance, alpha, higher, st.sampled_from(["paired", "unpaired"]))
def test_strict_mode_never_passes_what_the_default_mode_blocks(
    base: float, change: float, se: float, tol: float, a: float, hib: bool, kind: str
) -> None:
    m = measurement(base, change, se, tol, higher_is_better=hib)
    if kind == "unpaired":
        m = Measurement(**{**m.__dict__, "estimate": None})
    if passes(m, Policy(alpha=a, strict=True)):
        assert passes(m, Policy(alpha=a))


@PROPERTY
@given(metric, delta, spread, tolerance, alpha, higher)
def test_strict_mode_never_passes_what_the_default_mode_blocks_from_the_best(
    base: float, change: float, se: float, tol: float, a: float, hib: bool
) -> None:
    from mlgate.records import HistoryPoint

    m = measurement(base, change, se, tol, higher_is_better=hib, key="")
    key = "max_drop_from_best" if hib else "max_increase_from_best"
    history = (HistoryPoint(value=base + (0.01 if hib else -0.01), same_eval=True),)
    m = Measurement(**{**m.__dict__, "thresholds": {key: tol}, "history": history})
    if passes(m, Policy(alpha=a, strict=True)):
        assert passes(m, Policy(alpha=a))


slices = st.lists(st.tuples(delta, st.floats(0.001, 0.2)), min_size=2, max_size=6)


@PROPERTY
@given(slices, metric, tolerance, alpha, higher, strict)
def test_holm_never_blocks_a_slice_the_unadjusted_rule_passes(
    parts: list[tuple[float, float]], base: float, tol: float, a: float, hib: bool, st_: bool
) -> None:
    """The default rule: Holm lowers each slice's level, widening its interval, so it can only
    make a slice harder to prove worse. Strict mode tests the slices at α unadjusted (an
    intersection–union test needs no correction), so there the two rules are one."""
    policy = Policy(alpha=a, strict=st_)
    family = [
        measurement(base, d, se, tol, higher_is_better=hib, family="m", ident=f"model.m[s={i}]")
        for i, (d, se) in enumerate(parts)
    ]
    adjusted = compare_all(family, policy)
    for m, holmed in zip(family, adjusted, strict=True):
        if compare(m, policy).result.status == "pass":
            assert holmed.result.status == "pass", (m, holmed.alpha)
        assert holmed.alpha <= a
        if st_:
            assert holmed.alpha == a


@PROPERTY
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8), alpha)
def test_holm_rejects_only_what_the_unadjusted_test_rejects(pvalues: list[float], a: float) -> None:
    rejected = holm(pvalues, a)
    assert all(p <= a for p, r in zip(pvalues, rejected, strict=True) if r)
    assert sum(rejected) <= sum(p <= a for p in pvalues)
