"""Who computed the verdict and against what: the fork evaluation and the baseline, in every view.

The fork-evaluation facts come from the platform's event (a fork names its own branch), so they
are untrusted text: escaped in Markdown and HTML, never markup in the terminal.
"""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from support.report_fixtures import build_passing, context

from mlgate.records import Report
from mlgate.report.html import render_html
from mlgate.report.markdown import render_markdown
from mlgate.report.terminal import print_report

FORK = {
    "head_repository": "mallory/churn",
    "head_branch": "x](https://evil.example)<img src=x onerror=alert(1)>",
    "head_sha": "0123456789abcdef0123456789abcdef01234567",
    "run_id": 9001,
    "base_commit": "fedcba9876543210fedcba9876543210fedcba98",
    "candidate": "models/model.skops",
    "fork_report_verdict": "pass",
}


def fork_evaluated() -> Report:
    report = build_passing()
    return replace(report, context={**report.context, "fork_evaluation": FORK})


def terminal(report: Report) -> str:
    out = io.StringIO()
    print_report(report, Console(file=out, width=400, force_terminal=False, color_system=None))
    return out.getvalue()


def test_the_comment_says_the_base_branch_evaluated_the_forks_candidate() -> None:
    text = render_markdown(fork_evaluated())
    (line,) = [x for x in text.splitlines() if x.startswith("**Evaluated by:**")]
    assert line == (
        "**Evaluated by:** the base branch's config and mlgate (commit fedcba987654) evaluated "
        "the fork's candidate models/model.skops from mallory/churn branch "
        "x\\](https\\://evil.example)&lt;img src=x onerror=alert(1)&gt; at 0123456789ab; "
        "the fork's own report was not used (it said pass)"
    )
    assert "](https://evil.example)" not in text


def test_html_and_terminal_say_it_too_escaped() -> None:
    html = render_html(fork_evaluated())
    assert "<dt>evaluated by</dt>" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    text = terminal(fork_evaluated())
    (line,) = [x for x in text.splitlines() if "evaluated by:" in x]
    assert line.strip().startswith("evaluated by: the base branch's config and mlgate")
    assert "not used (it said pass)" in line


def test_an_ordinary_run_says_nothing_about_evaluation() -> None:
    report = build_passing()
    assert "Evaluated by" not in render_markdown(report)
    assert "evaluated by" not in render_html(report)
    assert "evaluated by" not in terminal(report)


def test_a_predictions_baseline_is_named_not_called_none() -> None:
    """A production predictions file (kind `predictions`) once read "none configured"."""
    baseline = {"spec": "git:origin/main:preds.csv", "kind": "predictions", "paired": True}
    report = replace(build_passing(), context=context(baseline=baseline))
    (line,) = [x for x in render_markdown(report).splitlines() if x.startswith("**Baseline:**")]
    assert line == (
        "**Baseline:** production predictions git:origin/main:preds.csv, joined on the same "
        "1,000 eval rows (paired comparison)"
    )


def inconclusive_report() -> Report:
    report = build_passing()
    first = replace(report.gates[0], inconclusive=True)
    return replace(report, gates=(first, *report.gates[1:]))


def test_junit_and_openmetrics_tell_an_inconclusive_pass_from_a_plain_one() -> None:
    import xml.etree.ElementTree as ET

    from mlgate.report.filters import metric_name
    from mlgate.report.junit import render_junit
    from mlgate.report.openmetrics import render_metrics

    report = inconclusive_report()
    gate, plain = report.gates[0], report.gates[1]
    root = ET.fromstring(render_junit(report))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    case = cases[gate.id]
    assert case.find("failure") is None and case.find("error") is None  # it passed
    out = case.find("system-out")
    assert out is not None and (out.text or "").startswith("inconclusive (not proven either way): ")
    assert cases[plain.id].find("system-out") is None
    metrics = render_metrics(report).splitlines()
    assert f"mlgate_{metric_name(gate.id)}_inconclusive 1" in metrics
    assert f"mlgate_{metric_name(plain.id)}_inconclusive 0" in metrics
