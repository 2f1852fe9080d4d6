"""Properties of the decide stage (pure) and of compare → decide → verdict as a whole:
the verdict does not depend on the order of the gates. Deterministic (`derandomize=True`)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.compare import Policy, compare_all
from mlgate.decide import Rules, Waiver, decide, verdict_of
from mlgate.records import Estimate, GateResult, Measurement

PROPERTY = settings(derandomize=True, max_examples=100, deadline=None, database=None)
TODAY = date(2026, 1, 15)

statuses = st.sampled_from(["pass", "fail", "error", "skipped", "warn"])
levels = st.sampled_from(["error", "warn"])


@st.composite
def gate_lists(draw: st.DrawFn) -> list[GateResult]:
    n = draw(st.integers(1, 8))
    return [
        GateResult(
            id=f"model.g{i}",
            kind="model",
            status=draw(statuses),
            blocking=False,
            message="",
            level=draw(levels),
        )
        for i in range(n)
    ]


@st.composite
def rule_sets(draw: st.DrawFn) -> Rules:
    ids = [f"model.g{i}" for i in range(8)]
    warn_only = tuple(draw(st.lists(st.sampled_from(ids), max_size=3)))
    waivers = tuple(
        Waiver(gate=g, reason="known", owner="ml", expires=date(2026, 1, day))
        for g, day in draw(
            st.lists(st.tuples(st.sampled_from(ids), st.integers(1, 28)), max_size=3)
        )
    )
    accepted = draw(st.sampled_from([None, "PR label mlgate:accept-regression"]))
    return Rules(warn_only=warn_only, waivers=waivers, accepted=accepted, today=TODAY)


@PROPERTY
@given(gate_lists(), rule_sets(), st.randoms(use_true_random=False))
def test_the_verdict_is_invariant_to_gate_order(
    gates: list[GateResult], rules: Rules, rnd: object
) -> None:
    shuffled = list(gates)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = decide(gates, rules), decide(shuffled, rules)
    assert verdict_of(first) == verdict_of(second)
    assert {g.id: (g.status, g.blocking) for g in first} == {
        g.id: (g.status, g.blocking) for g in second
    }


@PROPERTY
@given(gate_lists(), rule_sets())
def test_an_override_never_turns_a_gate_into_a_blocker(
    gates: list[GateResult], rules: Rules
) -> None:
    """warn_only, waivers and acceptance only ever unblock: the verdict with them is never
    worse than without them."""
    rank = {"pass": 0, "fail": 1, "error": 2}
    plain = verdict_of(decide(gates, Rules(today=TODAY)))
    assert rank[verdict_of(decide(gates, rules))] <= rank[plain]


slices = st.lists(
    st.tuples(
        st.floats(-0.3, 0.3, allow_nan=False),
        st.floats(0.001, 0.2, allow_nan=False),
        st.sampled_from(["m", "n", None]),
    ),
    min_size=1,
    max_size=7,
)


@PROPERTY
@given(slices, st.booleans(), st.sampled_from([0.01, 0.05, 0.1]), st.randoms(use_true_random=False))
def test_compare_and_decide_do_not_depend_on_gate_order(
    parts: list[tuple[float, float, str | None]], strict: bool, alpha: float, rnd: object
) -> None:
    """Holm's step-down sorts by p-value within a family: the order the gates were configured
    in changes neither a gate's status nor the verdict."""
    measurements = [
        Measurement(
            id=f"model.{family or 'x'}[s={i}]",
            kind="model",
            name=family or "x",
            thresholds={"max_drop": 0.01},
            candidate=0.8 + d,
            baseline=0.8,
            estimate=Estimate(delta=d, method="normal", n=1000, se=se),
            family=family,
        )
        for i, (d, se, family) in enumerate(parts)
    ]
    shuffled = list(measurements)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    policy = Policy(alpha=alpha, strict=strict)

    def outcome(ms: list[Measurement]) -> tuple[str, dict[str, str]]:
        gates = decide([c.result for c in compare_all(ms, policy)], Rules(today=TODAY))
        return verdict_of(gates), {g.id: g.status for g in gates}

    assert outcome(measurements) == outcome(shuffled)
