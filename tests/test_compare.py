"""The compare stage as tables: thresholds, the "block only what is proven" rule, strict mode, Holm."""

from __future__ import annotations

import pytest

from mlgate.compare import Policy, compare, compare_all, holm, holm_levels
from mlgate.config import Tolerance
from mlgate.records import Estimate, GateResult, Measurement
from mlgate.report.wording import worded


def judged(m: Measurement, policy: Policy) -> GateResult:
    """compare, then the wording, as the pipeline does."""
    return worded(compare(m, policy))


def gate(
    cand: float,
    base: float | None = None,
    *,
    ci_se: float | None = None,
    higher: bool = True,
    family: str | None = None,
    **thresholds: object,
) -> Measurement:
    estimate = None
    if ci_se is not None and base is not None:
        estimate = Estimate(delta=cand - base, method="test", n=1000, se=ci_se)
    return Measurement(
        id="model.m",
        kind="model",
        name="m",
        thresholds=dict(thresholds),
        candidate=cand,
        baseline=base,
        estimate=estimate,
        higher_is_better=higher,
        family=family,
    )


# delta, se -> 95% CI = delta ± 1.96 se
@pytest.mark.parametrize(
    ("measurement", "strict", "status", "inconclusive"),
    [
        # absolute bounds on the point estimate
        (gate(0.90, min=0.85), False, "pass", False),
        (gate(0.80, min=0.85), False, "fail", False),
        (gate(30.0, max=25.0, higher=False), False, "fail", False),
        # clear, proven regression: CI of the drop (0.02..0.04) entirely beyond 0.005
        (gate(0.87, 0.90, ci_se=0.005, max_drop=Tolerance(0.005)), False, "fail", False),
        # a drop whose CI reaches back inside the tolerance: not proven -> pass, said inconclusive
        (gate(0.89, 0.90, ci_se=0.005, max_drop=Tolerance(0.005)), False, "pass", True),
        # ... but strict mode wants proof of non-inferiority
        (gate(0.89, 0.90, ci_se=0.005, max_drop=Tolerance(0.005)), True, "fail", True),
        # proven within tolerance passes either way
        (gate(0.900, 0.900, ci_se=0.001, max_drop=Tolerance(0.005)), True, "pass", False),
        # relative tolerance: 1% of 0.90 = 0.009; CI of drop 0.0104..0.0496 -> fail
        (gate(0.87, 0.90, ci_se=0.01, max_drop=Tolerance(0.01, True)), False, "fail", False),
        # lower-is-better metric: an increase is the worsening
        (
            gate(0.40, 0.30, ci_se=0.01, higher=False, max_increase=Tolerance(0.02)),
            False,
            "fail",
            False,
        ),
        (
            gate(0.29, 0.30, ci_se=0.01, higher=False, max_increase=Tolerance(0.02)),
            False,
            "pass",
            False,
        ),
        # an improvement never fails
        (gate(0.95, 0.90, ci_se=0.01, max_drop=Tolerance(0.0)), True, "pass", False),
    ],
)
def test_decision_table(
    measurement: Measurement, strict: bool, status: str, inconclusive: bool
) -> None:
    result = compare(measurement, Policy(alpha=0.05, strict=strict)).result
    assert (result.status, result.inconclusive) == (status, inconclusive)


def test_failure_message_states_delta_interval_and_allowance() -> None:
    result = judged(gate(0.871, 0.902, ci_se=0.005, max_drop=Tolerance(0.005)), Policy())
    assert result.message == "m dropped 0.031 (95% CI −0.041…−0.021), allowed 0.005"
    assert result.ci == pytest.approx((-0.031 - 1.96 * 0.005, -0.031 + 1.96 * 0.005), abs=1e-4)
    assert result.delta == pytest.approx(-0.031)
    assert result.threshold == {"max_drop": "0.005"}


def test_inconclusive_is_said_with_the_detectable_drop() -> None:
    result = judged(gate(0.89, 0.90, ci_se=0.01, max_drop=Tolerance(0.005)), Policy())
    assert result.status == "pass"
    assert any(
        n.startswith("inconclusive:") and "detects a drop of about 0.033" in n for n in result.notes
    )
    assert result.details["detectable"] == pytest.approx(
        0.005 + (1.95996 + 0.84162) * 0.01, abs=1e-4
    )


def test_errors_and_skips_pass_through_never_as_pass() -> None:
    errored = Measurement(id="x", kind="model", name="m", error="roc_auc: single class")
    skipped = Measurement(id="y", kind="model", name="m", skipped="only 3 rows")
    missing = Measurement(id="z", kind="model", name="m", thresholds={"min": 0.1})
    assert compare(errored, Policy()).result.status == "error"
    assert compare(skipped, Policy()).result.status == "skipped"
    assert compare(missing, Policy()).result.status == "error"


def test_unpaired_saved_report_baseline_compares_points_and_says_so() -> None:
    result = judged(gate(0.88, 0.90, max_drop=Tolerance(0.01)), Policy())
    assert result.status == "fail"
    assert "no paired statistics" in " ".join(result.notes)


def test_holm_tightens_the_interval_of_slices() -> None:
    slices = [gate(0.88, 0.90, ci_se=0.008, family="f", max_drop=Tolerance(0.0)) for _ in range(4)]
    results = [c.result for c in compare_all(slices, Policy(alpha=0.05))]
    alone = compare(slices[0], Policy(alpha=0.05)).result
    assert alone.status == "fail"  # upper bound -0.02 + 1.96*0.008 < 0
    widths = sorted(r.ci[1] - r.ci[0] for r in results)  # type: ignore[index]
    alone_width = alone.ci[1] - alone.ci[0]  # type: ignore[index]
    # step-down levels alpha/4, alpha/3, alpha/2, alpha: the first three intervals are wider
    assert widths[-1] > widths[-2] > widths[-3] > widths[0] == pytest.approx(alone_width)
    assert [r.details["alpha"] for r in results] == pytest.approx([0.0125, 0.05 / 3, 0.025, 0.05])


def test_strict_mode_tests_each_slice_at_the_unadjusted_level() -> None:
    """Strict passes a family only when every slice is proven within the tolerance, which at α
    each already holds at α for the family (intersection–union): Holm would fail slices that
    pass one by one (delta 0, se 0.009, max_drop 0.02: each interval is ±0.0176)."""
    slices = [gate(0.90, 0.90, ci_se=0.009, family="f", max_drop=Tolerance(0.02)) for _ in range(3)]
    strict = Policy(alpha=0.05, strict=True)
    assert compare(slices[0], strict).result.status == "pass"
    results = [c.result for c in compare_all(slices, strict)]
    assert [r.status for r in results] == ["pass", "pass", "pass"]
    assert [r.details["alpha"] for r in results] == pytest.approx([0.05, 0.05, 0.05])


def test_holm_stops_at_first_non_rejection() -> None:
    strong = gate(0.80, 0.90, ci_se=0.01, family="f", max_drop=Tolerance(0.0))
    weak = gate(0.895, 0.90, ci_se=0.01, family="f", max_drop=Tolerance(0.0))
    weak2 = gate(0.897, 0.90, ci_se=0.01, family="f", max_drop=Tolerance(0.0))
    results = [c.result for c in compare_all([weak, strong, weak2], Policy(alpha=0.05))]
    assert [r.status for r in results] == ["pass", "fail", "pass"]


# Holm's correction: the one implementation, used by compare_all for slices (above).
@pytest.mark.parametrize(
    ("pvalues", "alpha", "expected"),
    [
        ([], 0.05, []),
        ([0.05], 0.05, [True]),
        ([0.051], 0.05, [False]),
        ([0.01, 0.04, 0.03, 0.005], 0.05, [True, False, False, True]),  # 0.03 > 0.05/2 stops
        ([0.01, 0.02, 0.03], 0.05, [True, True, True]),  # 0.0167, 0.025, 0.05
        ([0.02, 0.001, 0.02], 0.05, [True, True, True]),  # ties: 0.025 then 0.05
        ([0.2, 0.001, 0.013, 0.04], 0.05, [False, True, True, False]),  # 0.0125, 0.0167, 0.025
    ],
)
def test_holm(pvalues: list[float], alpha: float, expected: list[bool]) -> None:
    assert holm(pvalues, alpha) == expected


def test_holm_levels_stop_at_the_first_kept_hypothesis() -> None:
    # 0.001 at 0.0125 rejected, 0.013 at 0.0167 rejected, 0.04 at 0.025 kept: it and 0.2 stay there
    assert holm_levels([0.2, 0.001, 0.013, 0.04], 0.05) == pytest.approx(
        [0.025, 0.0125, 0.05 / 3, 0.025]
    )


def test_holm_rejects_a_nan_pvalue() -> None:
    with pytest.raises(ValueError, match="holm: a p-value is NaN"):
        holm([0.01, float("nan")], 0.05)


def test_compare_writes_no_sentences() -> None:
    """compare returns facts: the message is the wording's, the notes are the measurement's."""
    m = gate(0.871, 0.902, ci_se=0.005, max_drop=Tolerance(0.005))
    facts = compare(m, Policy())
    assert (facts.result.status, facts.result.message, facts.result.notes) == ("fail", "", ())
    assert [f.what for f in facts.findings] == ["worse"]
    assert facts.findings[0].bound == pytest.approx(0.005)


# --- three states (issue 18): pass, inconclusive (point beyond, not proven), fail --------------


@pytest.mark.parametrize(
    ("cand", "state", "inconclusive"),
    [
        (0.897, "spans", False),  # drop 0.003 within 0.005, CI of the drop −0.007…0.013: a pass
        (0.890, "inconclusive", True),  # drop 0.010 beyond 0.005, CI 0.0004…0.0196 reaches inside
        (0.870, "worse", False),  # drop 0.030, CI 0.020…0.040: proven, fails
    ],
)
def test_a_point_beyond_the_tolerance_not_proven_is_inconclusive_not_a_plain_pass(
    cand: float, state: str, inconclusive: bool
) -> None:
    done = compare(gate(cand, 0.90, ci_se=0.005, max_drop=Tolerance(0.005)), Policy())
    assert done.result.inconclusive is inconclusive
    assert [x.what for x in done.findings] == [state]
    assert done.result.status == ("fail" if state == "worse" else "pass")


def test_the_inconclusive_message_and_note_name_the_rows_that_would_decide_it() -> None:
    result = judged(gate(0.89, 0.90, ci_se=0.005, max_drop=Tolerance(0.005)), Policy())
    assert result.message == (
        "m dropped 0.010 (95% CI of the drop 0.0002…0.020), allowed 0.005: inconclusive, not "
        "proven beyond it"
    )
    assert result.notes == (
        "inconclusive: the 95% CI of the drop (0.0002…0.020) spans the allowed 0.005; this eval "
        "set detects a drop of about 0.019 or more (1,000 rows); about 7,849 rows would decide a "
        "drop of this size",  # 1,000 × ((1.96 + 0.84) × 0.005 / (0.010 − 0.005))²
    )


def test_a_point_inside_the_tolerance_is_a_pass_that_says_it_is_not_proven() -> None:
    result = judged(gate(0.897, 0.90, ci_se=0.005, max_drop=Tolerance(0.005)), Policy())
    assert (result.status, result.inconclusive) == ("pass", False)
    assert result.notes == (
        "not proven within the allowed 0.005: the 95% CI of the drop (−0.0068…0.013) reaches past "
        "it; this eval set detects a drop of about 0.019 or more (1,000 rows)",
    )


def test_an_unbounded_spread_states_no_rows_to_decide() -> None:
    """Too few timing rounds give an Estimate with se = inf: inconclusive, no row count."""
    import math

    m = gate(0.8, 0.9, max_drop=Tolerance(0.01))
    m = Measurement(**{**m.__dict__, "estimate": Estimate(-0.1, "rounds", 3, math.inf)})
    done = compare(m, Policy())
    assert (done.result.status, done.result.inconclusive) == ("pass", True)
    assert [x.needed for x in done.findings if x.what == "inconclusive"] == [None]


def test_a_worsening_carried_by_a_handful_of_rows_states_no_detectable_size() -> None:
    """An increase whose spread grows as fast as it does (Estimate.scaling's h·z² ≥ 1: it sits
    on a handful of rows) has no size caught with 80% power: the note says so, details carry
    no figure (null in report.json), and it is still inconclusive, never a plain pass."""
    m = gate(30.6, 30.0, higher=False, max_increase=Tolerance(0.3))
    few = Estimate(0.6, "test", 300, 0.2, scaling=(0.001, 0.2))
    result = judged(Measurement(**{**m.__dict__, "estimate": few}), Policy())
    assert (result.status, result.inconclusive) == ("pass", True)
    assert result.details["detectable"] == float("inf")
    assert "these 300 rows detect no increase with 80% power" in result.notes[0]
    # the same eval set with the spread measured once: a finite figure
    plain = judged(
        Measurement(**{**m.__dict__, "estimate": Estimate(0.6, "test", 300, 0.2)}), Policy()
    )
    assert plain.details["detectable"] == pytest.approx(0.3 + 2.801585 * 0.2, abs=1e-4)
