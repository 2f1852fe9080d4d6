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
