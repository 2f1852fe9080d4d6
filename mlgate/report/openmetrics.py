"""`metrics.txt`: the gate's numbers in OpenMetrics text, for GitLab's metrics report."""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.records import Report
from mlgate.report import filters as f
from mlgate.report import view
from mlgate.report.templating import render_template

# What each gate contributes: (name suffix, help, value of the gate). GitLab compares the
# values of the same name between the target branch and the MR, so names must be stable.
GATE_SERIES = (
    ("candidate", "candidate value", lambda g: g.candidate),
    ("baseline", "production value", lambda g: g.baseline),
    ("delta", "candidate minus production", lambda g: g.delta),
    ("ci_low", "lower end of the interval of the change", lambda g: g.ci[0] if g.ci else None),
    ("ci_high", "upper end of the interval of the change", lambda g: g.ci[1] if g.ci else None),
    (
        "passed",
        "1 when the gate passed (or warned), 0 otherwise",
        lambda g: g.status in ("pass", "warn") if g.status != "skipped" else None,
    ),
    (
        "inconclusive",
        "1 when the point estimate is beyond the tolerance but not proven (it passed)",
        lambda g: g.state == "inconclusive" if g.status != "skipped" else None,
    ),
)
SUMMARY = ("passed", "failed", "warned", "errored", "waived", "skipped")


@dataclass(frozen=True)
class Metric:
    """One gauge: name, help text, value."""

    name: str
    help: str
    value: float | bool


def metrics(report: Report) -> list[Metric]:
    """Every gauge: the verdict, counts per status, then each gate's numbers."""
    out = [
        Metric("mlgate_blocked", "1 when the verdict is not pass", report.verdict != "pass"),
        Metric("mlgate_error", "1 when the gate could not be evaluated", report.verdict == "error"),
        Metric("mlgate_gates", "number of gates", len(report.gates)),
    ]
    summary = report.summary
    out += [Metric(f"mlgate_gates_{key}", f"gates {key}", summary.get(key, 0)) for key in SUMMARY]
    seen = {m.name for m in out}
    for gate in report.gates:
        stem = f.metric_name("mlgate", gate.id)
        base, n = stem, 2
        while any(f"{stem}_{suffix}" in seen for suffix, _, _ in GATE_SERIES):
            stem, n = f"{base}_{n}", n + 1  # two ids that sanitize alike stay apart
        for suffix, text, get in GATE_SERIES:
            value = get(gate)
            if isinstance(value, bool) or f.is_number(value):
                name = f"{stem}_{suffix}"
                seen.add(name)
                out.append(Metric(name, f"{text} of gate {f.clip(gate.id, 200)}", value))
    return out


def render_metrics(report: Report) -> str:
    """OpenMetrics text: a TYPE and HELP line per gauge, then its sample; ends with # EOF."""
    report = view.normalize(report)
    return render_template("text", "metrics.txt.j2", metrics=metrics(report))
