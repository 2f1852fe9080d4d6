"""The compare stage (pure): a Measurement plus its thresholds becomes a GateResult.

Absolute thresholds compare the point estimate to a bound. Relative thresholds (max_drop,
max_increase) use the paired Estimate: with the default rule a gate fails only when the whole
(1 − α) interval of the worsening lies beyond the tolerance ("block only what is proven");
`strict` passes only when the whole interval lies inside it (non-inferiority). Gates of one
`family` (the slices of one metric) are Holm-corrected together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlgate.config import Tolerance
from mlgate.records import Check, GateResult, Measurement, Status

POWER = 0.8  # the power at which the smallest detectable worsening is stated
SAMPLES = {"model": "rows", "performance": "timing blocks"}  # what an Estimate's n counts


@dataclass(frozen=True)
class Absolute:
    symbol: str
    test: Callable[[float, float], bool]
    word: str


# The decision table: adding a threshold kind is one row.
ABSOLUTE: dict[str, Absolute] = {
    "min": Absolute(">=", lambda value, bound: value >= bound, "below the minimum"),
    "max": Absolute("<=", lambda value, bound: value <= bound, "above the maximum"),
}
RELATIVE: dict[str, bool] = {  # key -> the metric direction it applies to (higher_is_better)
    "max_drop": True,
    "max_increase": False,
}


@dataclass(frozen=True)
class Policy:
    alpha: float = 0.05
    strict: bool = False


def compare_all(measurements: Sequence[Measurement], policy: Policy) -> list[GateResult]:
    """Compare every measurement; families (slices) share a Holm-adjusted significance level."""
    levels = _holm_levels(measurements, policy)
    return [
        compare(m, policy, alpha=levels.get(i, policy.alpha)) for i, m in enumerate(measurements)
    ]


def compare(m: Measurement, policy: Policy, *, alpha: float | None = None) -> GateResult:
    """One gate's result. `alpha` is the (possibly Holm-adjusted) level for its interval."""
    alpha = policy.alpha if alpha is None else alpha
    threshold = {k: (str(v) if isinstance(v, Tolerance) else v) for k, v in m.thresholds.items()}
    base = GateResult(
        id=m.id,
        kind=m.kind,
        status="pass",
        blocking=False,
        message="",
        name=m.name,
        candidate=_num(m.candidate),
        baseline=_num(m.baseline),
        threshold=threshold,
        level=m.level,
        unit=m.unit,
        notes=m.notes,
        details=dict(m.details),
    )
    if m.error is not None:
        return replace(base, status="error", message=m.error)
    if m.skipped is not None:
        return replace(base, status="skipped", message=m.skipped)
    if m.passed is not None:
        message = m.message or (f"{m.name} passed" if m.passed else f"{m.name} failed")
        return replace(base, status="pass" if m.passed else "fail", message=message)
    if m.candidate is None or not math.isfinite(m.candidate):
        return replace(base, status="error", message=f"{m.name}: no value was measured")

    checks: list[Check] = []
    failures: list[str] = []
    notes = list(m.notes)
    interval: tuple[float, float] | None = None
    delta: float | None = None
    inconclusive = False
    details = dict(m.details)

    for key, bound in m.thresholds.items():
        if key in ABSOLUTE:
            rule = ABSOLUTE[key]
            ok = rule.test(m.candidate, float(bound))
            checks.append(Check(key, float(bound), m.candidate, ok))
            if not ok:
                value, limit = _fmt(m.candidate) + _unit(m), _fmt(float(bound)) + _unit(m)
                failures.append(f"{m.name} {value} is {rule.word} {limit}")
        elif key in RELATIVE:
            outcome = _relative(m, key, bound, policy, alpha)
            checks.append(outcome.check)
            if outcome.failure:
                failures.append(outcome.failure)
            notes.extend(outcome.notes)
            interval, delta = outcome.interval, outcome.delta
            inconclusive = inconclusive or outcome.check.inconclusive
            details.update(outcome.details)

    if delta is None and m.baseline is not None:
        delta = m.candidate - m.baseline
    status: Status = "fail" if failures else "pass"
    message = "; ".join(failures) if failures else _pass_message(m, delta, interval, alpha)
    return replace(
        base,
        status=status,
        message=message,
        checks=tuple(checks),
        ci=interval,
        delta=_num(delta),
        inconclusive=inconclusive,
        notes=tuple(notes),
        details=details,
    )


@dataclass(frozen=True)
class _Outcome:
    check: Check
    failure: str | None
    notes: list[str]
    interval: tuple[float, float] | None
    delta: float | None
    details: dict[str, Any]


def _relative(m: Measurement, key: str, bound: Any, policy: Policy, alpha: float) -> _Outcome:
    tolerance = bound if isinstance(bound, Tolerance) else Tolerance(float(bound))
    word = "drop" if m.higher_is_better else "increase"
    if m.baseline is None:
        return _Outcome(
            Check(key, str(tolerance), None, None),
            None,
            [f"{key}: no production value to compare with"],
            None,
            None,
            {},
        )
    allowed = tolerance.absolute(m.baseline)
    notes: list[str] = []
    if tolerance.relative and m.baseline == 0:
        notes.append(f"{key}: the production value is 0, so a relative tolerance allows no {word}")
    sign = -1.0 if m.higher_is_better else 1.0  # worsening = sign * delta

    est = m.estimate
    if est is None:  # unpaired (e.g. a saved report): point comparison, said plainly
        worsening = sign * ((m.candidate or 0.0) - m.baseline)
        ok = worsening <= allowed + 1e-12
        notes.append("no paired statistics: compared point values (the baseline is a saved report)")
        verb = "dropped" if m.higher_is_better else "increased"
        failure = (
            None
            if ok
            else (
                f"{m.name} {verb} {_fmt(abs(worsening))}{_unit(m)}, "
                f"allowed {_fmt(allowed)}{_unit(m)}"
            )
        )
        return _Outcome(
            Check(key, allowed, worsening, ok),
            failure,
            notes,
            None,
            (m.candidate or 0.0) - m.baseline,
            {"allowed": allowed},
        )

    lo, hi = est.interval(alpha)
    worse_lo, worse_hi = sorted((sign * lo, sign * hi))  # the interval of the worsening
    worsening = sign * est.delta
    proven_worse = worse_lo > allowed
    proven_ok = worse_hi <= allowed
    inconclusive = not proven_worse and not proven_ok
    ok = proven_ok if policy.strict else not proven_worse
    level = f"{(1 - alpha) * 100:.4g}% CI"
    detectable = _detectable(est.se, allowed, policy.alpha)
    details = {
        "allowed": allowed,
        "detectable": detectable,
        "alpha": alpha,
        "method": est.method,
        "n": est.n,
        "higher_is_better": m.higher_is_better,
    }
    if inconclusive:
        notes.append(
            f"inconclusive: the {level} of the {word} ({_fmt(worse_lo)}…{_fmt(worse_hi)}) spans "
            f"the allowed {_fmt(allowed)}; this eval set detects {_article(word)} {word} of about "
            f"{_fmt(detectable)}{_unit(m)} or more ({est.n} {SAMPLES.get(m.kind, 'samples')})"
        )
    failure = None
    if not ok:
        verb = "dropped" if m.higher_is_better else "increased"
        moved = f"{verb} {_fmt(worsening)}" if worsening >= 0 else f"changed by {_fmt(-worsening)}"
        why = (
            f"not proven within the allowed {_fmt(allowed)}{_unit(m)} (strict mode)"
            if policy.strict and not proven_worse
            else f"allowed {_fmt(allowed)}{_unit(m)}"
        )
        failure = f"{m.name} {moved}{_unit(m)} ({level} {_fmt(lo)}…{_fmt(hi)}), {why}"
    check = Check(key, allowed, worsening, ok, inconclusive=inconclusive)
    return _Outcome(check, failure, notes, (lo, hi), est.delta, details)


def _pass_message(
    m: Measurement, delta: float | None, interval: tuple[float, float] | None, alpha: float
) -> str:
    text = f"{m.name} {_fmt(m.candidate)}{_unit(m)}"  # type: ignore[arg-type]
    if m.baseline is not None:
        text += f" (production {_fmt(m.baseline)}{_unit(m)}"
        if delta is not None:
            text += f", Δ {_signed(delta)}"
        if interval is not None:
            text += f", {(1 - alpha) * 100:.4g}% CI {_fmt(interval[0])}…{_fmt(interval[1])}"
        text += ")"
    return text


def _detectable(se: float, allowed: float, alpha: float) -> float:
    from mlgate.measure.model.stats import (
        detectable_worsening,  # the formula lives with the statistics
    )

    return detectable_worsening(se, allowed, alpha, POWER)


def _holm_levels(measurements: Sequence[Measurement], policy: Policy) -> dict[int, float]:
    """Per-measurement α after Holm's step-down within each family (by p-value order)."""
    families: dict[str, list[int]] = {}
    for i, m in enumerate(measurements):
        if m.family and m.estimate is not None and m.error is None and m.skipped is None:
            families.setdefault(m.family, []).append(i)
    levels: dict[int, float] = {}
    for members in families.values():
        if len(members) < 2:
            continue
        pvalues = {i: _pvalue(measurements[i], policy) for i in members}
        order = sorted(members, key=lambda i: pvalues[i])
        k = len(order)
        stopped: float | None = None
        for rank, i in enumerate(order):
            level = stopped if stopped is not None else policy.alpha / (k - rank)
            levels[i] = level
            # the interval rule rejects one-sided at level/2; after the first non-rejection the
            # step-down stops: later (larger) p-values keep that level, so none is rejected
            if stopped is None and pvalues[i] >= level / 2:
                stopped = level
    return levels


def _pvalue(m: Measurement, policy: Policy) -> float:
    """One-sided p-value of 'no worsening beyond the tolerance' (small = regression proven)."""
    assert m.estimate is not None
    tol = next((v for k, v in m.thresholds.items() if k in RELATIVE), None)
    if tol is None or m.baseline is None:
        return 1.0
    tolerance = tol if isinstance(tol, Tolerance) else Tolerance(float(tol))
    allowed = tolerance.absolute(m.baseline)
    # worsening > allowed  <=>  delta < -allowed (higher is better) / delta > allowed (lower)
    if m.higher_is_better:
        return 1.0 - m.estimate.prob_at_most(-allowed)
    return m.estimate.prob_at_most(allowed)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _unit(m: Measurement) -> str:
    return f" {m.unit}" if m.unit else ""


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _fmt(value: float) -> str:
    """A short number for messages, with a real minus sign (as every rendering shows it)."""
    return _plain(value).replace("-", "−")


def _plain(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.3g}" if magnitude < 100 else f"{value:.1f}"
    return f"{value:.3f}" if magnitude >= 0.01 else f"{value:.2g}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + _fmt(abs(value))
