"""The compare stage (pure): a Measurement plus its thresholds becomes facts (a Comparison).

Absolute thresholds compare the point estimate to a bound. Relative thresholds (max_drop,
max_increase) use the paired Estimate: with the default rule a gate fails only when the whole
(1 − α) interval of the worsening lies beyond the tolerance ("block only what is proven");
`strict` passes only when the whole interval lies inside it (non-inferiority). Gates of one
`family` (the slices of one metric) are Holm-corrected together.

The from-best thresholds (max_drop_from_best, max_increase_from_best) bound the cumulative
worsening from the best production value of the baseline's history measured on the same eval
data: best − candidate = (best − production) + (production − candidate), the first a recorded
difference on the same rows, the second the paired estimate, so the same rule decides it.

compare writes no sentences: `mlgate.report.wording` says what the findings mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlgate.records import (
    MIN_POSITIVES,
    RELATIVE_KEYS,
    THRESHOLDS,
    Check,
    Comparison,
    Estimate,
    Finding,
    GateResult,
    HistoryPoint,
    Measurement,
    Status,
    Tolerance,
    detectable_worsening,
)

POWER = 0.8  # the power at which the smallest detectable worsening is stated


@dataclass(frozen=True)
class Policy:
    alpha: float = 0.05
    strict: bool = False


def compare_all(measurements: Sequence[Measurement], policy: Policy) -> list[Comparison]:
    """Compare every measurement; families (slices) share a Holm-adjusted significance level."""
    levels = _family_levels(measurements, policy)
    return [
        compare(m, policy, alpha=levels.get(i, policy.alpha)) for i, m in enumerate(measurements)
    ]


def compare(m: Measurement, policy: Policy, *, alpha: float | None = None) -> Comparison:
    """One gate's facts. `alpha` is the (possibly Holm-adjusted) level for its interval."""
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
        history=m.history,
    )
    if m.error is not None:
        return Comparison(replace(base, status="error"), m, alpha=alpha)
    if m.skipped is not None:
        return Comparison(replace(base, status="skipped"), m, alpha=alpha)
    if m.passed is not None:
        return Comparison(replace(base, status="pass" if m.passed else "fail"), m, alpha=alpha)
    if m.candidate is None or not math.isfinite(m.candidate):
        return Comparison(replace(base, status="error"), m, alpha=alpha)

    checks: list[Check] = []
    findings: list[Finding] = []
    interval: tuple[float, float] | None = None
    delta: float | None = None
    inconclusive = False
    details = dict(m.details)

    for key, bound in m.thresholds.items():
        rule = THRESHOLDS.get(key)
        if rule is None:
            continue
        if rule.from_best:
            best = _from_best(m, key, bound, policy, alpha)
            if best.check is not None:
                checks.append(best.check)
            findings.extend(best.findings)
            details.update(best.details)
            inconclusive = inconclusive or bool(best.check and best.check.inconclusive)
            continue
        if not rule.relative:
            ok = rule.holds(m.candidate, float(bound))
            checks.append(Check(rule.operator, float(bound), m.candidate, ok))
            if not ok:
                findings.append(Finding("outside", key, value=m.candidate, bound=float(bound)))
            continue
        outcome = _relative(m, key, bound, policy, alpha)
        checks.append(outcome.check)
        findings.extend(outcome.findings)
        interval, delta = outcome.interval, outcome.delta
        inconclusive = inconclusive or outcome.check.inconclusive
        details.update(outcome.details)

    if delta is None and m.baseline is not None:
        delta = m.candidate - m.baseline
    status: Status = "fail" if any(f.fails for f in findings) else "pass"
    if status == "pass" and any(f.what == "no_history" for f in findings):
        # a from-best threshold that could not be checked: never a silent pass
        if policy.strict:
            status = "error"
        elif not any(c.passed is not None for c in checks):
            status = "skipped"
    result = replace(
        base,
        status=status,
        checks=tuple(checks),
        ci=interval,
        delta=_num(delta),
        inconclusive=inconclusive,
        details=details,
    )
    return Comparison(result, m, tuple(findings), alpha)


def _proven(
    worse_lo: float, worse_hi: float, allowed: float, worsening: float, *, strict: bool
) -> tuple[bool, bool, bool, bool]:
    """The "block only what is proven" rule on an interval of the worsening: (ok, inconclusive,
    spans, proven worse). Strict mode passes only what is proven within the tolerance.

    Three states, not two: proven within the tolerance or a point estimate inside it is a pass
    (`spans` says the interval still reaches past the tolerance); a point estimate beyond the
    tolerance that is not proven is *inconclusive* — never shown as a plain pass.
    """
    proven_worse = worse_lo > allowed
    proven_ok = worse_hi <= allowed
    ok = proven_ok if strict else not proven_worse
    unproven = not (proven_worse or proven_ok)
    beyond = worsening > allowed + 1e-12
    return ok, unproven and beyond, unproven and not beyond, proven_worse


@dataclass(frozen=True)
class _Outcome:
    check: Check
    findings: list[Finding]
    interval: tuple[float, float] | None
    delta: float | None
    details: dict[str, Any]


def _relative(m: Measurement, key: str, bound: Any, policy: Policy, alpha: float) -> _Outcome:
    tolerance = bound if isinstance(bound, Tolerance) else Tolerance(float(bound))
    if m.baseline is None:
        check = Check(key, str(tolerance), None, None)
        return _Outcome(check, [Finding("no_baseline", key)], None, None, {})
    allowed = tolerance.absolute(m.baseline)
    findings: list[Finding] = []
    if tolerance.relative and m.baseline == 0:
        findings.append(Finding("zero_baseline", key))
    sign = -1.0 if m.higher_is_better else 1.0  # worsening = sign * delta

    est = m.estimate
    if est is None:  # unpaired (e.g. a saved report): point comparison, said plainly
        worsening = sign * ((m.candidate or 0.0) - m.baseline)
        ok = worsening <= allowed + 1e-12
        findings.append(Finding("unpaired", key))
        if not ok:
            findings.append(Finding("worse", key, value=abs(worsening), bound=allowed))
        return _Outcome(
            Check(key, allowed, worsening, ok),
            findings,
            None,
            (m.candidate or 0.0) - m.baseline,
            {"allowed": allowed},
        )

    lo, hi = est.interval(alpha)
    worse_lo, worse_hi = sorted((sign * lo, sign * hi))  # the interval of the worsening
    worsening = sign * est.delta
    ok, inconclusive, spans, proven_worse = _decided(
        est, key, (worse_lo, worse_hi), allowed, worsening, policy.strict, findings
    )
    # at the level this gate's interval used: a slice's Holm-adjusted alpha, not policy.alpha
    detectable = detectable_worsening(
        est.se, allowed, alpha, POWER, est.growth, worsening, _signed(est, sign)
    )
    details = {
        "allowed": allowed,
        "detectable": detectable,
        "alpha": alpha,
        "method": est.method,
        "n": est.n,
        "higher_is_better": m.higher_is_better,
    }
    if (inconclusive or spans) and not _too_few(est):
        findings.append(
            Finding(
                "inconclusive" if inconclusive else "spans",
                key,
                value=worsening,
                bound=allowed,
                interval=(worse_lo, worse_hi),
                detectable=detectable,
                n=est.n,
                needed=rows_to_decide(est, worsening, allowed, alpha) if inconclusive else None,
            )
        )
    if not ok:
        unproven = policy.strict and not proven_worse
        findings.append(
            Finding(
                "unproven" if unproven else "worse",
                key,
                value=worsening,
                bound=allowed,
                interval=(lo, hi),
            )
        )
    check = Check(key, allowed, worsening, ok, inconclusive=inconclusive)
    return _Outcome(check, findings, (lo, hi), est.delta, details)


@dataclass(frozen=True)
class _Best:
    check: Check | None
    findings: list[Finding]
    details: dict[str, Any]


def _from_best(m: Measurement, key: str, bound: Any, policy: Policy, alpha: float) -> _Best:
    """The cumulative guard: at most `bound` worse than the best same-eval production value."""
    tolerance = bound if isinstance(bound, Tolerance) else Tolerance(float(bound))
    used = [p for p in m.history if p.same_eval and p.value is not None]
    findings: list[Finding] = []
    others = len(m.history) - len(used)
    if others:
        findings.append(Finding("other_eval", key, n=others))
    if not used:
        findings.append(Finding("no_history", key, n=len(m.history)))
        return _Best(Check(key, str(tolerance), None, None), findings, {})
    higher = m.higher_is_better
    sign = -1.0 if higher else 1.0  # worsening = sign * (value - best)
    best = max(used, key=lambda p: -sign * (p.value or 0.0))  # the first of equal bests
    if m.baseline is not None and sign * (best.value or 0.0) > sign * m.baseline:
        # this run's production value (same rows) is better than every recorded one
        best = HistoryPoint(value=m.baseline, same_eval=True)
    best_value = float(best.value or 0.0)
    allowed = tolerance.absolute(best_value)
    if tolerance.relative and best_value == 0:
        findings.append(Finding("zero_baseline", key))
    candidate = float(m.candidate or 0.0)
    worsening = sign * (candidate - best_value)
    details: dict[str, Any] = {
        "best": best_value,
        "best_commit": best.commit,
        "from_best": worsening,
        "from_best_allowed": allowed,
    }
    est = m.estimate
    if est is None or m.baseline is None:  # no paired estimate: point values, said plainly
        ok = worsening <= allowed + 1e-12
        findings.append(Finding("unpaired", key))
        if not ok:
            findings.append(Finding("worse", key, value=worsening, bound=allowed, best=best))
        return _Best(Check(key, allowed, worsening, ok), findings, details)
    offset = sign * (m.baseline - best_value)  # production's recorded distance from the best
    lo, hi = est.interval(alpha)
    worse_lo, worse_hi = sorted((offset + sign * lo, offset + sign * hi))
    ok, inconclusive, spans, proven_worse = _decided(
        est, key, (worse_lo, worse_hi), allowed, worsening, policy.strict, findings
    )
    details["from_best_interval"] = [worse_lo, worse_hi]
    if (inconclusive or spans) and not _too_few(est):
        detectable = detectable_worsening(
            est.se,
            allowed - offset,
            alpha,
            POWER,
            est.growth,
            worsening - offset,
            _signed(est, sign),
        )
        findings.append(
            Finding(
                "inconclusive" if inconclusive else "spans",
                key,
                value=worsening,
                bound=allowed,
                interval=(worse_lo, worse_hi),
                detectable=offset + detectable,
                n=est.n,
                needed=rows_to_decide(est, worsening, allowed, alpha) if inconclusive else None,
            )
        )
    if not ok:
        unproven = policy.strict and not proven_worse
        findings.append(
            Finding(
                "unproven" if unproven else "worse",
                key,
                value=worsening,
                bound=allowed,
                interval=(worse_lo, worse_hi),
                best=best,
            )
        )
    return _Best(Check(key, allowed, worsening, ok, inconclusive=inconclusive), findings, details)


def _decided(
    est: Estimate,
    key: str,
    worse: tuple[float, float],
    allowed: float,
    worsening: float,
    strict: bool,
    findings: list[Finding],
) -> tuple[bool, bool, bool, bool]:
    """`_proven` on the interval of the worsening, except where the interval does not hold its
    level (too few positives): then it decides nothing, and a "few" finding says so."""
    if not _too_few(est):
        return _proven(worse[0], worse[1], allowed, worsening, strict=strict)
    findings.append(Finding("few", key, value=worsening, bound=allowed, n=est.positives))
    return not strict, worsening > allowed + 1e-12, False, False


def _too_few(est: Estimate) -> bool:
    """A metric of the positive class on fewer than MIN_POSITIVES positives (records)."""
    return est.positives is not None and est.positives < MIN_POSITIVES


def _signed(est: Estimate, sign: float) -> tuple[float, float]:
    """Estimate.scaling as a worsening (sign * delta): its cross term turns with the sign."""
    return (sign * est.scaling[0], est.scaling[1])


def rows_to_decide(est: Estimate, worsening: float, allowed: float, alpha: float) -> int | None:
    """About how many eval rows (timing blocks) would prove a worsening of the observed size
    beyond `allowed` with the stated power: the spread shrinks as 1/sqrt(rows)."""
    from statistics import NormalDist

    margin = worsening - allowed
    if margin <= 0 or not 0 < est.se < math.inf or est.n < 1:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(POWER)
    return max(est.n + 1, math.ceil(est.n * (z * est.se / margin) ** 2))


def holm_levels(pvalues: Sequence[float], alpha: float) -> list[float]:
    """Holm's step-down: the level each hypothesis is tested at (rejected where p ≤ its level).

    The smallest p-value is tested at alpha/k, the next at alpha/(k−1), … until the first one
    kept: it and every larger p-value keep that level, so none of them is rejected.
    """
    p = [float(v) for v in pvalues]
    if any(math.isnan(v) for v in p):
        raise ValueError("holm: a p-value is NaN")
    levels = [alpha] * len(p)
    stopped: float | None = None
    for rank, i in enumerate(sorted(range(len(p)), key=lambda i: (p[i], i))):
        levels[i] = stopped if stopped is not None else alpha / (len(p) - rank)
        if stopped is None and p[i] > levels[i]:
            stopped = levels[i]
    return levels


def holm(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Holm's correction: True where the hypothesis is rejected (significant)."""
    return [p <= level for p, level in zip(pvalues, holm_levels(pvalues, alpha), strict=True)]


def _family_levels(measurements: Sequence[Measurement], policy: Policy) -> dict[int, float]:
    """Per-measurement α after Holm's step-down within each family (slices).

    Strict mode needs none: a family passes only when every slice is proven within its
    tolerance, and proving each at α proves them all at α (an intersection–union test: if one
    slice is truly worse, the family passes only if that slice's proof errs, probability ≤ α).
    Holm's lower levels would only widen the intervals strict mode must keep inside the
    tolerance, failing slices no error rate asks to fail.
    """
    if policy.strict:
        return {}
    families: dict[str, list[int]] = {}
    for i, m in enumerate(measurements):
        if m.family and m.estimate is not None and m.error is None and m.skipped is None:
            families.setdefault(m.family, []).append(i)
    levels: dict[int, float] = {}
    for members in families.values():
        if len(members) < 2:
            continue
        # the interval rule rejects one-sided at level/2: Holm runs on two-sided p-values
        pvalues = [min(1.0, 2 * _pvalue(measurements[i])) for i in members]
        levels.update(zip(members, holm_levels(pvalues, policy.alpha), strict=True))
    return levels


def _pvalue(m: Measurement) -> float:
    """One-sided p-value of 'no worsening beyond the tolerance' (small = regression proven)."""
    assert m.estimate is not None
    tol = next((v for k, v in m.thresholds.items() if k in RELATIVE_KEYS), None)
    if tol is None or m.baseline is None:
        return 1.0
    if _too_few(m.estimate):  # decides nothing, so never rejected
        return 1.0
    tolerance = tol if isinstance(tol, Tolerance) else Tolerance(float(tol))
    allowed = tolerance.absolute(m.baseline)
    # worsening > allowed  <=>  delta < -allowed (higher is better) / delta > allowed (lower)
    if m.higher_is_better:
        return 1.0 - m.estimate.prob_at_most(-allowed)
    return m.estimate.prob_at_most(allowed)


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
