"""The performance gate's pure parts: blocks, paired ratios, noise floor, and the decision."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlgate.compare import Policy, compare
from mlgate.config import Tolerance
from mlgate.measure.performance import stats
from mlgate.records import Measurement
from mlgate.report.wording import worded


def rounds_of(values: np.ndarray, calls: int = 1) -> list[list[float]]:
    return [list(values[i : i + calls]) for i in range(0, len(values), calls)]


def machine(n: int, seed: int, spread: float = 0.5) -> np.ndarray:
    """How slow the machine was in each round: a common factor both models see (bursty load)."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.normal(0.0, spread, size=n))


def timed(base_ms: float, load: np.ndarray, seed: int, jitter: float = 0.05) -> list[list[float]]:
    """One call per round: the model's own time, times the machine's load, plus call jitter."""
    rng = np.random.default_rng(seed)
    return [[float(base_ms * f * math.exp(rng.normal(0.0, jitter)))] for f in load]


@pytest.mark.parametrize(
    ("rounds", "least", "expected"),
    [
        ([[1], [2], [3]], 1, [[1], [2], [3]]),
        ([[1], [2], [3], [4]], 2, [[1, 2], [3, 4]]),
        ([[1], [2], [3]], 2, [[1, 2, 3]]),  # a short tail joins the last block
        ([[1, 2, 3]], 5, [[1, 2, 3]]),  # too few calls for one block: one short block
        ([[1, 2], [3], [4, 5, 6]], 3, [[1, 2, 3], [4, 5, 6]]),
    ],
)
def test_blocks_merge_consecutive_rounds(
    rounds: list[list[float]], least: int, expected: list[list[float]]
) -> None:
    (got,) = stats.blocks(rounds, min_calls=least)
    assert got == expected


def test_blocks_of_two_sides_line_up_even_when_their_rounds_differ() -> None:
    a, b = stats.blocks([[1], [2, 3], [4], [5]], [[1, 2], [3], [4], [5]], min_calls=2)
    assert len(a) == len(b) == 2
    assert all(len(x) >= 2 and len(y) >= 2 for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("statistic", "values", "rows", "expected"),
    [
        ("p50", [1.0, 2.0, 3.0], 1, 2.0),
        ("median", [4.0, 1.0, 2.0, 3.0], 1, 2.5),
        ("rows_per_s", [10.0, 10.0], 100, 10_000.0),  # 200 rows in 20 ms
        ("p95", list(range(1, 21)), 1, 19.95),  # weibull: the 95% point of 20 calls, not ~p90
    ],
)
def test_statistics(statistic: str, values: list[float], rows: int, expected: float) -> None:
    assert stats.STATISTICS[statistic](np.asarray(values), rows) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("slowdown", "lo", "hi"),
    [(1.0, 0.97, 1.03), (2.0, 1.94, 2.06), (10.0, 9.7, 10.3), (0.5, 0.485, 0.515)],
)
def test_paired_ratio_sees_through_machine_load(slowdown: float, lo: float, hi: float) -> None:
    load = machine(60, seed=1, spread=0.6)  # the machine's speed varies ~2x between rounds
    base = timed(2.0, load, seed=2)
    cand = timed(2.0 * slowdown, load, seed=3)
    result = stats.paired(cand, base, "median", rng=np.random.default_rng(0))
    assert result.ratio is not None and result.ratio_ci is not None
    assert lo < result.ratio < hi
    assert result.ratio_ci[0] < result.ratio < result.ratio_ci[1]
    assert result.ratio_ci[1] / result.ratio_ci[0] < 1.1  # paired: the load cancels out


def test_values_ratio_and_delta_agree() -> None:
    load = machine(40, seed=4)
    result = stats.paired(
        timed(3.0, load, 5), timed(2.0, load, 6), "p50", rng=np.random.default_rng(0)
    )
    assert result.ratio == pytest.approx(result.candidate / result.baseline)
    assert result.delta == pytest.approx(result.candidate - result.baseline)
    samples = result.delta_samples
    assert np.quantile(samples, 0.025) < result.delta < np.quantile(samples, 0.975)


def test_a_zero_baseline_compares_differences_not_ratios() -> None:
    result = stats.paired(
        [[0.5], [0.7], [0.6]], [[0.0], [0.0], [0.0]], "median", rng=np.random.default_rng(0)
    )
    assert result.ratio is None and result.ratio_ci is None
    assert result.delta == pytest.approx(0.6)


def test_small_counts_widen_the_interval() -> None:
    assert stats.expansion(1, 0.05) == math.inf
    widths = [stats.expansion(n, 0.05) for n in (3, 6, 20, 200)]
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] == pytest.approx(1.0, abs=0.02)


def test_noise_floor_is_the_reach_of_an_aa_comparison() -> None:
    quiet = timed(2.0, machine(80, seed=7, spread=0.01), seed=8, jitter=0.01)
    noisy = timed(2.0, machine(80, seed=7, spread=0.8), seed=8, jitter=0.3)
    rng = np.random.default_rng(0)
    quiet_floor = stats.noise_floor(quiet, "median", rng=rng)
    noisy_floor = stats.noise_floor(noisy, "median", rng=rng)
    assert quiet_floor is not None and noisy_floor is not None
    assert quiet_floor < 0.02 < 0.1 < noisy_floor
    assert stats.noise_floor(quiet[:5], "median", rng=rng) is None  # too few rounds to say


def test_estimate_with_too_few_rounds_proves_nothing() -> None:
    result = stats.paired([[2.0]] * 3, [[1.0]] * 3, "median", rng=np.random.default_rng(0))
    est = stats.estimate(result, method="t")
    assert est.se == math.inf and est.samples is None
    assert est.interval(0.05) == (-math.inf, math.inf)


def measurement(
    result: stats.Paired, tolerance: str, higher_is_better: bool = False
) -> Measurement:
    key = "max_drop" if higher_is_better else "max_increase"
    value = float(tolerance.rstrip("%")) / 100 if tolerance.endswith("%") else float(tolerance)
    return Measurement(
        id="perf.x",
        kind="performance",
        name="x",
        higher_is_better=higher_is_better,
        thresholds={key: Tolerance(value, relative=tolerance.endswith("%"))},
        candidate=result.candidate,
        baseline=result.baseline,
        unit="ms",
        estimate=stats.estimate(result, method="paired"),
    )


# The decision the compare stage takes on the perf gate's Estimate: "10%" means ratio ≤ 1.10
# proven, and only a proven breach blocks.
@pytest.mark.parametrize(
    ("slowdown", "spread", "tolerance", "status"),
    [
        (1.0, 0.6, "10%", "pass"),  # A/A on a busy machine
        (1.05, 0.05, "10%", "pass"),  # within budget
        (1.3, 0.05, "10%", "fail"),  # clearly over
        (2.0, 0.6, "10%", "fail"),  # over, even on a busy machine
        (10.0, 0.6, "10%", "fail"),
        (1.3, 0.05, "50%", "pass"),  # a looser budget
        (1.3, 0.05, "0.2", "fail"),  # absolute: 0.6 ms added, 0.2 ms allowed
        (1.3, 0.05, "1", "pass"),  # absolute: 0.6 ms added, 1 ms allowed
    ],
)
def test_relative_budget_decision(
    slowdown: float, spread: float, tolerance: str, status: str
) -> None:
    load = machine(60, seed=9, spread=spread)
    result = stats.paired(
        timed(2.0 * slowdown, load, 10),
        timed(2.0, load, 11),
        "median",
        rng=np.random.default_rng(0),
    )
    gate = worded(compare(measurement(result, tolerance), Policy()))
    assert gate.status == status, gate.message


def test_throughput_drop_is_the_worse_side() -> None:
    load = machine(40, seed=12, spread=0.3)
    slow = [[2.0 * c[0]] for c in timed(1.0, load, 13)]  # ms per call doubled
    fast = timed(1.0, load, 14)
    result = stats.paired(slow, fast, "rows_per_s", rows=100, rng=np.random.default_rng(0))
    assert result.ratio == pytest.approx(0.5, rel=0.05)
    gate = worded(compare(measurement(result, "10%", higher_is_better=True), Policy()))
    assert gate.status == "fail" and "dropped" in gate.message


def test_thin_keeps_order_and_caps() -> None:
    values = np.arange(1000.0)
    kept = stats.thin(values, 200, np.random.default_rng(0))
    assert len(kept) == 200 and kept == sorted(kept)
    assert stats.thin([3.0, 1.0], 200, np.random.default_rng(0)) == [3.0, 1.0]


# --- the sequential rule: looks, their levels, and what "decided" means ----------------------


def test_the_looks_spend_exactly_alpha() -> None:
    interim = stats.look_alpha(0.05, final=False)
    assert interim * (stats.LOOKS - 1) + stats.look_alpha(0.05, final=True) == pytest.approx(0.05)
    assert [stats.look_blocks(k) for k in (1, 2, 3, stats.LOOKS)] == [6, 12, 24, 768]


def test_memory_looks_spend_exactly_alpha_and_stop_at_the_first_decided_one() -> None:
    """Memory probes are looked at after 3, 6 and 10 per model: two interim looks at α/4 and the
    final at α/2. A look that decides stops there at its level; else the last one does."""
    count = len(stats.MEMORY_LOOKS)
    assert stats.MEMORY_LOOKS[0] == stats.MIN_PROBES
    levels = [stats.look_alpha(0.05, final=k == count, looks=count) for k in range(1, count + 1)]
    assert levels == pytest.approx([0.0125, 0.0125, 0.025]) and sum(levels) == pytest.approx(0.05)
    asked: list[float] = []
    looks = stats.Looks(count, 0.05)
    assert looks.level == 0.025 and looks.stopped == "time budget"  # no look yet: the final level
    assert looks.look(lambda level: asked.append(level) or False) is False
    assert looks.look(lambda level: asked.append(level) or True) is True
    assert asked == [0.0125, 0.0125]
    assert looks.details() == {"looks": 2, "stopped": "decided", "look_alpha": 0.0125}
    assert looks.note("6 probes per model", 20) == (
        "sequential: stopped after 2 rounds (6 probes per model): every budget was decided; "
        "interval at level 0.013 (docs/performance.md, When it stops)"
    )
    never = stats.Looks(count, 0.05)
    assert [never.look(lambda _level: False) for _ in range(count)] == [False, False, True]
    assert (never.stopped, never.level) == ("looks", 0.025)
    assert "the last of 3 looks was reached" in never.note("10 probes per model", 20)


def _proven_worse(cand: list[list[float]], base: list[list[float]], level: float) -> bool:
    result = stats.paired(
        cand, base, "median", resamples=200, rng=np.random.default_rng(0), level=level
    )
    lo, _ = np.quantile(result.delta_samples, [0.025, 0.975])
    return bool(lo > 0)


@pytest.mark.slow
def test_stopping_early_does_not_inflate_false_alarms() -> None:
    """A/A sequences looked at 8 times: peeking at the nominal level blocks far more than alpha
    of them; the sequential levels stay within it (seeded: the counts are exact)."""
    sims, naive, sequential = 100, 0, 0
    looks = [stats.look_blocks(k) for k in range(1, stats.LOOKS + 1)]
    for sim in range(sims):
        load = machine(looks[-1], seed=1000 + sim, spread=0.3)
        cand, base = timed(2.0, load, 2 * sim), timed(2.0, load, 2 * sim + 1)
        # a look's level is below the nominal one: where peeking proves nothing, neither does it
        peeked = [k for k, n in enumerate(looks, 1) if _proven_worse(cand[:n], base[:n], 0.05)]
        naive += bool(peeked)
        sequential += any(
            _proven_worse(
                cand[: looks[k - 1]],
                base[: looks[k - 1]],
                stats.look_alpha(0.05, final=k == stats.LOOKS),
            )
            for k in peeked
        )
    # seeded counts: 3 of 100 sequentially (alpha/2 = 2.5 expected), 12 of 100 peeking
    assert sequential <= 0.05 * sims < naive, (sequential, naive)


@pytest.mark.parametrize(
    ("slowdown", "thresholds", "expected"),
    [
        (1.0, {"max_increase": Tolerance(1.0, relative=True)}, True),  # same speed, 100%: passes
        (10.0, {"max_increase": Tolerance(1.0, relative=True)}, True),  # 10x: proven over
        (1.0, {"max_increase": Tolerance(0.01, relative=True)}, False),  # 1% on noise: wait
        (1.0, {"max": 100.0}, True),  # far below an absolute ceiling
        (1.0, {"max": 2.0}, False),  # right at it: wait
        (1.0, {"max_increase": Tolerance(1.0, relative=True), "max": 2.0}, False),  # all of them
    ],
)
def test_decided(slowdown: float, thresholds: dict[str, object], expected: bool) -> None:
    load = machine(12, seed=3, spread=0.2)
    got = stats.decided(
        timed(2.0 * slowdown, load, 4),
        timed(2.0, load, 5),
        "median",
        thresholds,
        higher_is_better=False,
        level=stats.look_alpha(0.05, final=False),
        rng=np.random.default_rng(0),
    )
    assert got is expected


def test_a_look_and_the_report_agree() -> None:
    """The look widens the replicates to its level; the Estimate compare reads is the same."""
    load = machine(12, seed=3, spread=0.2)
    cand, base = timed(2.0, load, 4), timed(2.0, load, 5)
    level = stats.look_alpha(0.05, final=False)
    wide = stats.paired(cand, base, "median", rng=np.random.default_rng(0), level=level)
    plain = stats.paired(cand, base, "median", rng=np.random.default_rng(0))
    assert wide.ratio == plain.ratio
    lo_w, hi_w = wide.ratio_ci  # type: ignore[misc]
    lo_p, hi_p = plain.ratio_ci  # type: ignore[misc]
    assert lo_w < lo_p < hi_p < hi_w


def test_value_interval_of_one_model() -> None:
    lo, hi = stats.value_interval([[1.0], [1.1], [0.9], [1.0]], "median", 0.05)
    assert lo < 1.0 < hi
    assert stats.value_interval([[1.0]], "median", 0.05) == (-math.inf, math.inf)
