"""The terminal view: verdict first, failures first, data never read as markup or escapes."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from support.report_fixtures import HOSTILE

from mlgate.records import Report
from mlgate.report.terminal import print_report


def show(report: Report, *, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out, width=160, force_terminal=color, color_system="standard" if color else None
    )
    print_report(report, console)
    return out.getvalue()


def test_verdict_first_then_failures_first(blocked_report: Report) -> None:
    text = show(blocked_report)
    lines = text.splitlines()
    assert lines[0] == "Blocked: roc_auc dropped 0.031 (95% CI −0.041…−0.022), allowed 0.005"
    order = [
        line.split()[0]
        for line in lines
        if line.split()
        and line.split()[0] in ("ERROR", "FAIL", "WARN", "pass", "waived", "skipped")
    ]
    assert order == ["FAIL", "WARN", "WARN", "WARN", *["pass"] * 10, "waived", "skipped"]
    assert "note: model.accuracy[country=FR]: inconclusive" in text
    assert "baseline: production model git:origin/main:models/model.skops" in text
    assert "10 passed, 1 failed, 3 warned, 1 waived, 1 skipped" in text


def test_error_only_run_names_the_problem(error_report: Report) -> None:
    text = show(error_report)
    assert text.startswith("Error: the gate could not be evaluated: data/holdout.parquet")
    assert "status" not in text  # no empty table


def test_data_is_never_markup_or_terminal_control(hostile_report: Report) -> None:
    markup = "[bold red]not bold[/] [link=https://evil.example]x[/link]"
    gates = (replace(hostile_report.gates[0], id=markup), *hostile_report.gates[1:])
    text = show(replace(hostile_report, gates=gates), color=True)
    plain = show(replace(hostile_report, gates=gates))
    assert "[bold red]not bold[/]" in plain  # printed as written, not interpreted
    assert "\x1b]8;" not in text  # no hyperlink escape from the [link] markup
    assert "\x1b[31mred" not in text  # the escape sequence in the data was dropped
    assert "\x00" not in text
    assert HOSTILE.split("|")[0] in plain


def test_an_inconclusive_pass_has_its_own_label_and_is_counted_first(
    blocked_report: Report,
) -> None:
    gates = tuple(
        replace(g, inconclusive=True) if g.id == "model.accuracy[country=DE]" else g
        for g in blocked_report.gates
    )
    lines = show(replace(blocked_report, gates=gates)).splitlines()
    assert lines[0].endswith("; 1 failed, 3 warned, 1 inconclusive, 9 passed, 1 waived, 1 skipped")
    assert "  INCONCLUSIVE model.accuracy[country=DE]" in lines
    assert not any(line.startswith("  pass    model.accuracy[country=DE]") for line in lines)
    assert lines[-1] == "  1 inconclusive, 9 passed, 1 failed, 3 warned, 1 waived, 1 skipped"


def test_a_log_that_is_not_a_terminal_is_not_wrapped_and_says_each_error_once(
    error_report: Report,
) -> None:
    from mlgate.records import GateResult

    problem = (
        "mlgate.yaml: models.baseline: models/other.skops does not exist at main (7f7f41bcc54a) "
        "(PATH is relative to the repository root; list the files with: git ls-tree -r main)"
    )
    gate = GateResult(id="model", kind="model", status="error", blocking=True, message=problem)
    context = {
        "baseline": {"spec": "git:main:models/other.skops", "kind": "error", "note": problem}
    }
    report = Report(verdict="error", gates=(gate,), context=context)
    out = io.StringIO()
    print_report(report, Console(file=out, width=80, force_terminal=False))  # a CI log
    assert out.getvalue().splitlines() == [
        f"Error: model could not be evaluated: {problem}",
        "  ERROR   model",
        "  baseline: git:main:models/other.skops could not be resolved (the error above)",
        "  1 errored",
    ]
