"""`junit.xml`: one testcase per gate (classname by kind), for CI test-report widgets."""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.records import GateResult, Report
from mlgate.report import facts, view
from mlgate.report import filters as f
from mlgate.report.templating import render_template

# status -> JUnit outcome (None: the testcase passed). A warning passes, with its message in
# system-out; a failure is a failure even when non-blocking (the message says so).
OUTCOME = {
    "pass": None,
    "warn": None,
    "fail": "failure",
    "error": "error",
    "waived": "skipped",
    "skipped": "skipped",
}


@dataclass(frozen=True)
class Case:
    """One JUnit testcase."""

    classname: str
    name: str
    outcome: str | None  # failure | error | skipped | None
    message: str
    type: str
    text: str
    out: str


def _lines(gate: GateResult, ci: str) -> list[str]:
    lines = [view.describe(gate, ci)]
    values = [
        ("production", f.num(gate.baseline, gate.unit)),
        ("candidate", f.num(gate.candidate, gate.unit)),
    ]
    lines += [f"{label}: {value}" for label, value in values if value != f.DASH]
    if f.is_number(gate.delta):
        interval = f.interval(gate.ci)
        lines.append(
            f"change: {f.signed(gate.delta, gate.unit)}"
            + (f" ({ci} {interval})" if interval else "")
        )
    if gate.threshold:
        lines.append(f"allowed: {f.threshold(gate.threshold, gate.unit, gate.baseline)}")
    lines += [f"check {state}: {text}" for state, text in facts.check_lines(gate)]
    lines += [f"{label}: {text}" for label, text in facts.gate_facts(gate)]
    lines += [f"note: {f.clean(n)}" for n in gate.notes if f.clean(n)]
    lines.append("blocking: yes" if gate.blocking else "blocking: no")
    return lines


def cases(report: Report) -> list[Case]:
    """The testcases: run-level problems first (as one errored case), then every gate."""
    ci = view.ci_label(report)
    out = []
    if report.errors:
        problems = [f.clean(e) for e in report.errors]
        out.append(
            Case(
                "mlgate.run",
                "run",
                "error",
                f.clip(problems[0], 500),
                "error",
                "\n".join(problems),
                "",
            )
        )
    for gate in report.gates:
        outcome = OUTCOME.get(gate.status, "error")
        lines = _lines(gate, ci)
        message = f.clip(view.describe(gate, ci), 500)
        if gate.status in ("waived", "skipped"):
            message = f"{gate.status}: {message}"
        if gate.status == "fail" and not gate.blocking:
            message += " (non-blocking)"
        out.append(
            Case(
                classname=f"mlgate.{f.metric_name(gate.kind) or 'gate'}",
                name=f.clip(gate.id, 300),
                outcome=outcome,
                message=message,
                type={"failure": "regression", "error": "error"}.get(outcome or "", ""),
                text="\n".join(lines),
                out=_out(gate, lines),
            )
        )
    return out


def _out(gate: GateResult, lines: list[str]) -> str:
    """system-out of a passing testcase that is not a plain pass: a warning, or inconclusive
    (JUnit has no third state: the case passes, and says it was not proven either way)."""
    if gate.status == "warn":
        return "\n".join(["warning (does not block): " + lines[0], *lines[1:]])
    if gate.state == "inconclusive":
        return "\n".join(["inconclusive (not proven either way): " + lines[0], *lines[1:]])
    return ""


def render_junit(report: Report) -> str:
    """The JUnit XML document (counts per outcome, one testcase per gate)."""
    report = view.normalize(report)
    found = cases(report)
    counts = {
        kind: sum(1 for c in found if c.outcome == kind) for kind in ("failure", "error", "skipped")
    }
    duration = report.context.get("duration_s") if isinstance(report.context, dict) else None
    properties = [("verdict", report.verdict), ("schema", report.schema)]
    properties += [(label, value) for label, value in view.run_facts(report)]
    properties.append(("baseline", view.baseline_sentence(report)))
    return render_template(
        "xml",
        "junit.xml.j2",
        cases=found,
        tests=len(found),
        counts=counts,
        time=f"{float(duration):.3f}" if f.is_number(duration) else "0",
        properties=properties,
    )
