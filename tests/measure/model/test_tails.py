"""Honest numbers at the tails (issue 18): simulations on populations with a known delta.

Each simulation draws seeded eval sets from a population whose true candidate − production
delta is known, runs the real paired bootstrap (mlgate.measure.model.stats) and the real rule
(mlgate.compare), and counts how often a gate blocks or passes. Rates are checked against
their nominal values with a margin of about three Monte-Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.compare import Policy, compare
from mlgate.config import Tolerance
from mlgate.load.predictions import Predictions
from mlgate.measure.model.metrics import resolve
from mlgate.measure.model.stats import paired_estimate
from mlgate.records import Estimate, Measurement, detectable_worsening
from mlgate.report.wording import worded


def flips(
    rng: np.random.Generator, n: int, *, right: float, up: float, down: float
) -> tuple[np.ndarray, Predictions, Predictions]:
    """y, candidate, production labels: production right w.p. `right`; the candidate fixes a
    wrong row w.p. `up` and breaks a right one w.p. `down` (true delta: (1−right)·up −
    right·down)."""
    y = rng.integers(0, 2, n)
    base_right = rng.random(n) < right
    u = rng.random(n)
    cand_right = np.where(base_right, u >= down, u < up)
    base = np.where(base_right, y, 1 - y)
    cand = np.where(cand_right, y, 1 - y)
    return y, Predictions(cand), Predictions(base)


def gate(metric_name: str, y, cand, base, tol: float, seed: int, **policy: object):
    metric = resolve(metric_name, task="binary")
    est = paired_estimate(metric, y, cand, base, n_boot=1000, seed=seed)
    m = Measurement(
        id=f"model.{metric_name}",
        kind="model",
        name=metric_name,
        thresholds={"max_drop": Tolerance(tol)},
        candidate=metric.score(y, cand),
        baseline=metric.score(y, base),
        estimate=est,
    )
    return compare(m, Policy(**policy))  # type: ignore[arg-type]


# --- (b) the stated smallest detectable worsening holds (80% power) ---------------------------


@pytest.mark.slow  # about 5 s of CPU: 430 paired bootstraps
def test_a_true_worsening_of_the_stated_detectable_size_is_blocked_80_percent_of_the_time() -> None:
    """Near-identical models (about 6 of 300 rows differ) on accuracy, tolerance 0.01. The
    figure a gate states on such an eval set: a population worse by exactly that much is blocked
    in ≥ 80% of its eval sets. Without the growth of the spread with the worsening (the figure
    before issue 18) the same eval sets state a smaller figure, caught about half the time.
    Measured (seeded, 400 eval sets): stated 0.055, blocked 93%; the old figure 0.031, 45%
    (1,000 rows: 0.030 blocked 84%; old 0.023, 51%)."""
    n, right, up, tol = 300, 0.85, 0.0667, 0.01
    rng = np.random.default_rng(180)
    stated, fixed = [], []
    for trial in range(15):
        y, cand, base = flips(rng, n, right=right, up=up, down=0.0118)
        done = gate("accuracy", y, cand, base, tol, seed=trial)
        stated.append(done.result.details["detectable"])
        fixed.append(detectable_worsening(done.measurement.estimate.se, tol, 0.05))
    figure, old = float(np.median(stated)), float(np.median(fixed))
    assert figure > old  # the spread grows with the worsening

    def power(worsening: float, trials: int = 200) -> float:
        down = ((1 - right) * up + worsening) / right  # true delta = −worsening
        blocked = 0
        for trial in range(trials):
            y, cand, base = flips(rng, n, right=right, up=up, down=down)
            blocked += gate("accuracy", y, cand, base, tol, seed=trial).result.status == "fail"
        return blocked / trials

    assert power(figure) >= 0.77, figure
    assert power(old) <= 0.70, old  # what the old figure promised and did not keep


def loss_power():  # the simulation of benchmarks/loss_power.py
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
    import loss_power

    return loss_power


@pytest.mark.slow  # about 6 s of CPU: 860 paired estimates on 300-1,000 rows
@pytest.mark.parametrize(("n", "share"), [(1000, 0.02), (300, 0.10)])
def test_a_loss_worsening_on_a_few_rows_is_caught_at_the_stated_size(n: int, share: float) -> None:
    """mae, tolerance 0.3, the candidate worse by about the tolerance on a few rows that err by
    much more (20 of 1,000; 30 of 300). A population worse by the stated figure, in the same
    way (those rows err by more still), is blocked in ≥ 80% of its eval sets. The figure with
    only the more-rows growth, which assumes the worsening spreads over more rows, is caught far
    less often. Measured (seeded, 200 eval sets): 1,000 rows, 2%: stated 0.77, blocked 86%
    (more rows only: 0.52, 46%); 300 rows, 10%: 0.58, 86.5% (0.48, 66.5%)."""
    figure, none, caught = loss_power().power(n, share, 0.3, 200, rows_only=False)
    old, _, caught_old = loss_power().power(n, share, 0.3, 200, rows_only=True)
    assert none == 0 and figure > old
    assert caught >= 0.77, (figure, caught)
    if share <= 0.02:  # what the more-rows figure promised and did not keep
        assert caught_old <= 0.60, (old, caught_old)


def test_a_loss_worsening_on_about_six_rows_states_no_figure() -> None:
    """2% of 300 rows carry the worsening: how many of them an eval set holds varies so much
    that no stated figure would hold (one was caught 72% of the time), so none is stated and
    the note says why."""
    lp = loss_power()
    rng = np.random.default_rng(18)
    noted = 0
    for trial in range(5):
        done = lp.gate(*lp.draw(rng, 300, 0.02, 15.0), trial, rows_only=False)
        assert done.result.details["detectable"] == float("inf")
        assert done.result.status == "pass"  # inconclusive, or not proven within the tolerance
        for note in worded(done).notes:
            assert "these 300 rows detect no increase with 80% power: it rests on too few" in note
            noted += 1
    assert noted >= 3


# --- (a) Holm-corrected slices keep the family's boundary false-block rate ---------------------


def boundary_family(rng: np.random.Generator, k: int, tol: float, se: float) -> list[Measurement]:
    """k slices each worse by exactly the tolerance; each estimate carries B = 1000 bootstrap
    replicates spread around its observed delta as a paired bootstrap's are."""
    out = []
    for i in range(k):
        delta = -tol + rng.normal(0, se)
        samples = delta + se * rng.standard_normal(1000)
        out.append(
            Measurement(
                id=f"model.recall[site={i}]",
                kind="model",
                name="recall",
                thresholds={"max_drop": Tolerance(tol)},
                candidate=0.8 + delta,
                baseline=0.8,
                estimate=Estimate(delta, "paired bootstrap (B=1000)", 300, se, tuple(samples)),
                family="model.recall",
            )
        )
    return out


@pytest.mark.slow  # about 5 s of CPU: 3,000 families of 5 slices
def test_holm_corrected_slices_at_the_boundary_block_the_family_at_most_at_the_nominal_rate() -> (
    None
):
    """Five slices, each exactly at the tolerance: some slice of the family is blocked in at most
    alpha/2 = 2.5% of eval sets. Holm tests the first slice at alpha/5 = 0.01, whose percentile
    bound would rest on the 5 most extreme of 1,000 replicates; read there it blocked 3.3% of
    families (seeded, 3,000 families; the issue measured 4.0–4.2% on real slices). The normal
    interval from the replicates' spread below 25 replicates per tail: 2.5% (8,000 families:
    2.49%; 8 slices 2.1%)."""
    from mlgate.compare import compare_all

    rng = np.random.default_rng(1)
    trials = 3000
    blocked = sum(
        any(
            c.result.status == "fail"
            for c in compare_all(boundary_family(rng, 5, 0.02, 0.01), Policy())
        )
        for _ in range(trials)
    )
    assert blocked / trials <= 0.031, blocked / trials


def test_small_levels_use_the_normal_interval_of_the_replicates_spread() -> None:
    samples = tuple(np.random.default_rng(2).normal(0.0, 1.0, 1000))
    est = Estimate(0.0, "paired bootstrap (B=1000)", 300, 1.0, samples)
    assert est.interval(0.05) == tuple(np.quantile(samples, [0.025, 0.975]))  # 25 per tail
    assert est.interval(0.01) == pytest.approx((-2.5758, 2.5758), abs=1e-4)  # 5 per tail: normal
    assert est.prob_at_most(-3.0) == pytest.approx(0.00135, abs=1e-5)  # beyond the replicates


# --- (c) rare positives: an interval that does not hold its level decides nothing -------------


def rare(rng: np.random.Generator, n: int, prevalence: float, broken: float):
    """Production finds 70% of the positives; the candidate misses `broken` more of them."""
    y = (rng.random(n) < prevalence).astype(int)
    base = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < 0.02).astype(int)
    cand = np.where((base == 1) & (y == 1) & (rng.random(n) < broken), 0, base)
    return y, Predictions(cand), Predictions(base)


def test_f1_on_too_few_positives_neither_blocks_nor_passes_strict_mode() -> None:
    """About 18 positives in 300 rows (5.9%): f1's bootstrap interval covered 89% there and
    blocked 6.0% at the boundary, strict mode passed wrongly 4.2–5.1% (issue 18 (c)). Below
    MIN_POSITIVES the gate decides nothing: a worsening beyond the tolerance is inconclusive in
    every eval set, never a block, and strict mode never passes it."""
    rng = np.random.default_rng(183)
    seen = 0
    for trial in range(30):
        y, cand, base = rare(rng, 300, 0.059, broken=0.3)
        if int(y.sum()) >= 30:
            continue
        seen += 1
        default = gate("f1", y, cand, base, 0.02, seed=trial)
        strict = gate("f1", y, cand, base, 0.02, seed=trial, strict=True)
        assert default.result.status == "pass"
        assert default.result.inconclusive is (default.result.delta < -0.02)
        assert strict.result.status == "fail"
        assert [x.what for x in default.findings] == ["few"], default.findings
    assert seen >= 25


def test_enough_positives_still_decide() -> None:
    rng = np.random.default_rng(184)
    y, cand, base = rare(rng, 1500, 0.1, broken=0.5)  # about 150 positives, f1 far worse
    done = gate("f1", y, cand, base, 0.02, seed=0)
    assert done.measurement.estimate.positives >= 30
    assert (done.result.status, [x.what for x in done.findings]) == ("fail", ["worse"])


def test_the_too_few_positives_message_and_note() -> None:
    from mlgate.report.wording import worded

    rng = np.random.default_rng(185)
    y, cand, base = rare(rng, 300, 0.059, broken=0.5)
    result = worded(gate("f1", y, cand, base, 0.02, seed=0))
    positives = int(y.sum())
    assert result.inconclusive and result.status == "pass"
    assert result.message.endswith(", allowed 0.02: inconclusive, too few positives to tell")
    assert result.notes == (
        f"too few positives: {positives} in 300 rows, fewer than the 30 the interval of f1 needs "
        "to hold its level; it decides nothing here (neither a block nor a strict-mode pass)",
    )


# --- (c) two near-identical models: accuracy on a handful of differing rows -------------------


def test_accuracy_of_near_identical_models_keeps_its_level_in_both_modes() -> None:
    """300 rows of which about 6 differ (only the candidate right: 0.5% of rows, only production:
    1.5%): the candidate is worse by exactly the tolerance, 0.01. The percentile bootstrap of
    those few rows passed strict mode wrongly 4.4% of the time (nominal 2.5%, issue 18 (c)); the
    paired score interval of the differing rows holds both tails. Measured (seeded, 1,000 eval
    sets): score interval strict 0.8%, default block 1.7%, coverage 97.5%; bootstrap strict
    4.4%, block 2.5%, coverage 93.1% (benchmarks/paired_accuracy.py)."""
    from mlgate.measure.model.stats import replicate_scores

    rng = np.random.default_rng(186)
    right, tol, trials = 0.85, 0.01, 600
    up, down = 0.005 / (1 - right), 0.015 / right  # true delta −0.01
    metric = resolve("accuracy", task="binary")
    score = {"strict": 0, "block": 0, "cover": 0}
    boot_strict = 0
    for trial in range(trials):
        y, cand, base = flips(rng, 300, right=right, up=up, down=down)
        strict = gate("accuracy", y, cand, base, tol, seed=trial, strict=True)
        default = gate("accuracy", y, cand, base, tol, seed=trial)
        assert strict.measurement.estimate.method.startswith("paired score interval (")
        score["strict"] += strict.result.status == "pass"
        score["block"] += default.result.status == "fail"
        lo, hi = default.result.ci
        score["cover"] += lo <= -tol <= hi
        index = np.random.default_rng(trial).integers(0, 300, size=(1000, 300))
        reps = replicate_scores(metric, y, cand, base, index)
        lo_b = float(np.quantile(reps[:, 0] - reps[:, 1], 0.025))
        boot_strict += lo_b >= -tol  # the bootstrap's strict pass: wholly inside the tolerance
    assert score["strict"] / trials <= 0.025, score
    assert score["block"] / trials <= 0.03, score
    assert score["cover"] / trials >= 0.95, score
    assert boot_strict / trials >= 0.035, boot_strict  # what the bootstrap did here


def test_the_paired_score_interval_on_its_edges() -> None:
    from mlgate.records import paired_proportion_interval

    lo, hi = paired_proportion_interval(0, 0, 300, 0.05)  # no row differs: about ±z²/n
    assert -0.02 < lo < -0.005 and 0.005 < hi < 0.02 and lo == pytest.approx(-hi)
    lo, hi = paired_proportion_interval(300, 0, 300, 0.05)  # every row only the candidate's
    assert 0.97 < lo < 1.0 and hi == pytest.approx(1.0, abs=1e-9)
    est = Estimate(-0.01, "paired score interval (6 of 300 rows differ)", 300, 0.005)
    est = Estimate(**{**est.__dict__, "discordant": (1, 4)})
    lo, hi = est.interval(0.05)
    assert est.prob_at_most(hi) == pytest.approx(0.975, abs=1e-6)
    assert est.prob_at_most(lo) == pytest.approx(0.025, abs=1e-6)
    assert lo < -0.01 < hi


def test_f1_and_recall_hold_their_level_when_the_models_disagree_on_a_few_rows() -> None:
    """A retrain that only changes a few positives (loses 8% of production's true positives,
    finds 10% of its misses): about 5 of 500 eval rows differ, 50 positives. The row bootstrap
    collapses onto those rows (issue 18 (c); at 300 rows f1 covered 74%, recall 82%:
    benchmarks/rare_positives.py); the Dirichlet draw of the cell counts holds its level, each
    tail within three Monte-Carlo standard errors of 2.5% (400 eval sets: 4.8%). Measured
    (seeded): f1, 1 added per cell, covers 99.0% (above the truth 1.0%, below 0.0%; the row
    bootstrap 91.0%); recall, the paired score interval of the positives, 99.8% (0.2%, 0.0%;
    the row bootstrap 94.8%; the Dirichlet draw 98.0%) — conservative where so few rows differ
    (½ per cell: 95.2% and 96.3%, but too many strict passes elsewhere:
    test_binary_ratio_metrics_do_not_pass_strict_mode_wrongly_at_30_to_100_positives). With
    about 4 positives differing no interval that holds its level everywhere can be much less
    conservative here: benchmarks/ratio_attainable.py."""
    from mlgate.measure.model.stats import replicate_scores

    rng = np.random.default_rng(187)
    n_pop, n, trials = 1_000_000, 500, 400
    y_pop = (rng.random(n_pop) < 0.1).astype(int)
    base_pop = np.where(y_pop == 1, rng.random(n_pop) < 0.7, rng.random(n_pop) < 0.02)
    base_pop = base_pop.astype(int)
    cand_pop = np.where((base_pop == 1) & (y_pop == 1) & (rng.random(n_pop) < 0.08), 0, base_pop)
    cand_pop = np.where((base_pop == 0) & (y_pop == 1) & (rng.random(n_pop) < 0.1), 1, cand_pop)
    for name in ("f1", "recall"):
        metric = resolve(name, task="binary")
        truth = metric.score(y_pop, Predictions(cand_pop)) - metric.score(
            y_pop, Predictions(base_pop)
        )
        low = high = boot_miss = 0
        for trial in range(trials):
            idx = rng.integers(0, n_pop, n)
            y, cand, base = y_pop[idx], Predictions(cand_pop[idx]), Predictions(base_pop[idx])
            lo, hi = paired_estimate(metric, y, cand, base, seed=trial).interval(0.05)
            low += truth < lo  # claims better than the truth: the side of strict's wrong pass
            high += truth > hi  # claims worse: the side of the default rule's wrong block
            index = np.random.default_rng(trial).integers(0, n, size=(1000, n))
            reps = replicate_scores(metric, y, cand, base, index)
            b_lo, b_hi = np.quantile(reps[:, 0] - reps[:, 1], [0.025, 0.975])
            boot_miss += not b_lo <= truth <= b_hi
        figures = f"{name}: above {low / trials:.1%}, below {high / trials:.1%}, "
        figures += f"row bootstrap misses {boot_miss / trials:.1%}"
        print(figures)  # pytest -s shows the figures the docstring quotes
        assert (low + high) / trials <= 0.06, figures  # coverage at least 94%
        assert low / trials <= 0.048 and high / trials <= 0.048, figures
        if name == "f1":  # what the row bootstrap did on these sets (recall: 5.2%)
            assert boot_miss / trials > 0.07, figures


@pytest.mark.slow  # about 10 s of CPU: 3,000 cell draws
def test_binary_ratio_metrics_do_not_pass_strict_mode_wrongly_at_30_to_100_positives() -> None:
    """Issue 18 (c), the strict side: at 30–100 positives the ½-per-cell Dirichlet passed a
    boundary candidate 4.1–4.5% of the time on recall (nominal 2.5%), 1 per cell up to 3.1%;
    recall is a paired proportion of the positives, and its paired score interval keeps both
    sides within 2.5% in every measured cell (benchmarks/ratio_tails.py, 2,000 sets per cell).
    Here the three worst cells of the old draw, 1,000 sets each (Monte-Carlo se 0.5%)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
    from ratio_tails import tails

    old = []
    for population, n in (("A", 500), ("B", 500), ("C", 300)):
        up, down = tails("recall", population, n, 1000, seed=n)
        assert up <= 0.025 and down <= 0.025, (population, n, up, down)  # measured 0.4–1.3%
        old.append(tails("recall", population, n, 1000, seed=n, prior=0.5)[0])
    assert max(old) > 0.045, old  # the ½ prior on the same sets: 5.5/3.4/4.9%
    for population, n in (("C", 1000),):  # f1 and precision keep the 1-per-cell draw
        for name in ("f1", "precision"):
            up, down = tails(name, population, n, 1000, seed=n)
            assert up <= 0.035 and down <= 0.035, (name, population, n, up, down)
