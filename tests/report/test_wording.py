"""The wording: one number formatter for gate messages and table cells, one count phrase."""

from __future__ import annotations

import pytest

from mlgate.compare import Policy, compare
from mlgate.decide import Rules, decide
from mlgate.records import Estimate, GateResult, Measurement, Report, Tolerance
from mlgate.report import filters as f
from mlgate.report.markdown import render_markdown
from mlgate.report.wording import tally, worded


def said(m: Measurement, policy: Policy | None = None) -> GateResult:
    """compare → decide → wording, as the pipeline runs them."""
    facts = compare(m, policy or Policy())
    (decided,) = decide([facts.result], Rules())
    return worded(facts, decided)


def row(markdown: str, gate_id: str) -> list[str]:
    """The cells of a gate's row in the Markdown table."""
    shown = f" {f.md(gate_id)} "
    line = next(x for x in markdown.splitlines() if x.startswith("| ") and shown in x)
    return [cell.strip() for cell in line.strip("|").split("|")]


LATENCY = Measurement(
    id="perf.latency_p95_ms",
    kind="performance",
    name="latency p95",
    thresholds={"max": 200.0},
    higher_is_better=False,
    candidate=250.0,
    unit="ms",
)
RMSE = Measurement(
    id="model.rmse",
    kind="model",
    name="rmse",
    thresholds={"max": 10.0},
    higher_is_better=False,
    candidate=12.35,
    baseline=11.5,
)


@pytest.mark.parametrize(
    ("measurement", "message", "cell"),
    [
        # before: "250.0 ms" in the message where the table said "250 ms"
        (LATENCY, "latency p95 250 ms is above the maximum 200 ms", "250 ms"),
        # before: "12.3" in the message where the table said "12.35"
        (RMSE, "rmse 12.35 is above the maximum 10", "12.35"),
    ],
)
def test_a_gate_message_and_its_table_cell_print_the_same_number(
    measurement: Measurement, message: str, cell: str
) -> None:
    gate = said(measurement)
    assert gate.message == message
    cells = row(render_markdown(Report(verdict="fail", gates=(gate,))), gate.id)
    baseline, candidate = cells[2], cells[3]
    assert candidate == cell == f.num(gate.candidate, gate.unit)
    assert cell in gate.message
    if measurement.baseline is not None:
        assert baseline == "11.50"


def test_a_relative_failure_says_its_change_and_interval_as_the_change_column() -> None:
    m = Measurement(
        id="model.roc_auc",
        kind="model",
        name="roc_auc",
        thresholds={"max_drop": Tolerance(0.005)},
        candidate=0.871,
        baseline=0.902,
        estimate=Estimate(delta=-0.031, method="DeLong", n=1000, se=0.005),
    )
    gate = said(m)
    assert gate.message == "roc_auc dropped 0.031 (95% CI −0.041…−0.021), allowed 0.005"
    cells = row(render_markdown(Report(verdict="fail", gates=(gate,))), gate.id)
    assert cells[4] == "−0.031 (−0.041…−0.021)"  # the change column: same digits
    assert cells[5] == "drop ≤ 0.005"  # the threshold column: the allowed drop as written


def test_a_passing_message_shows_the_interval_as_the_table_does() -> None:
    m = Measurement(
        id="model.accuracy",
        kind="model",
        name="accuracy",
        thresholds={"max_drop": Tolerance(0.01, relative=True)},
        candidate=0.842,
        baseline=0.846,
        estimate=Estimate(delta=-0.004, method="bootstrap", n=1000, se=0.008),
    )
    gate = said(m)
    assert gate.message == "accuracy 0.842 (production 0.846, Δ −0.004, 95% CI −0.020…+0.012)"
    cells = row(render_markdown(Report(verdict="pass", gates=(gate,))), gate.id)
    assert cells[3] == "−0.004 (−0.020…+0.012)"  # passing gates' table has no status column


def test_compare_notes_come_before_the_notes_decide_adds() -> None:
    m = Measurement(
        id="model.accuracy",
        kind="model",
        name="accuracy",
        level="warn",
        thresholds={"max_drop": Tolerance(0.01)},
        candidate=0.80,
        baseline=0.90,
        notes=("from the measure stage",),
    )
    gate = said(m)
    assert gate.status == "warn"
    assert gate.notes == (
        "from the measure stage",
        "no paired statistics: compared point values (the baseline is a saved report)",
        "level: warn — reported, never blocks",
    )
    assert gate.message == "accuracy dropped 0.100, allowed 0.01"


def test_the_count_phrase() -> None:
    gates = tuple(
        GateResult(id=f"g{i}", kind="model", status=s, blocking=True, message="")
        for i, s in enumerate(["fail", *["pass"] * 9, "waived"])
    )
    report = Report(verdict="fail", gates=gates)
    assert tally(report) == "1 failed, 9 passed"
    assert tally(report, ("passed", "waived")) == "9 passed, 1 waived"
    assert tally(Report(verdict="pass", gates=())) == ""
