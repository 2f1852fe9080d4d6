"""The terminal view: a rich summary, failures first (rich is imported only when printing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgate.records import Report
from mlgate.report import filters as f
from mlgate.report import view

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# status -> (label, style). Words, not emoji: every terminal shows them.
STATUS_STYLE = {
    "error": ("ERROR", "bold magenta"),
    "fail": ("FAIL", "bold red"),
    "warn": ("WARN", "yellow"),
    "pass": ("pass", "green"),
    "waived": ("waived", "dim"),
    "skipped": ("skipped", "dim"),
}
VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "error": "bold magenta"}


def print_report(report: Report, console: Console | None = None) -> None:
    """Print the verdict line, run problems, a table of gates (failures first), findings, notes.

    Every string from data goes in as `rich.text.Text` (never parsed as rich markup) after
    `filters.clean`, which drops escape sequences that could steer the terminal.
    """
    report = view.normalize(report)
    from rich.console import Console
    from rich.text import Text

    console = console or Console(highlight=False)
    head = view.headline(report)
    console.print(
        Text.assemble(
            (f"{head.word}: ", VERDICT_STYLE.get(head.verdict, "bold")), f.clip(head.reason, 600)
        )
    )
    problems = list(report.errors)
    for problem in problems if len(problems) > 1 else ():  # a single one is in the verdict line
        console.print(Text.assemble(("  problem: ", "magenta"), f.clip(problem, 600)))
    if report.gates:
        console.print(_table(report, console.width))
    for gate in view.attention(report):  # what the numbers do not say, in words
        if view.says_more(gate):
            label, style = STATUS_STYLE.get(gate.status, (f.clean(gate.status), "bold"))
            console.print(
                Text.assemble(
                    (f"  {label.lower()}: ", style),
                    f"{f.clip(gate.id, 120)}: ",
                    view.finding_text(gate, 400),
                )
            )
    for gate_id, note in view.notes(report):
        console.print(
            Text.assemble(("  note: ", "cyan"), f"{f.clip(gate_id, 120)}: ", f.clip(note, 400))
        )
    console.print(Text.assemble(("  baseline: ", "cyan"), view.baseline_sentence(report)))
    summary = ", ".join(f"{n} {k}" for k, n in report.summary.items() if n)
    if summary:
        console.print(Text(f"  {summary}", style="dim"))


def _table(report: Report, width: int) -> Table:
    """One row per gate, failures first; numbers only (findings follow the table).

    Below 110 columns the production and candidate values are left out: the change, its
    interval and the tolerance are what decide, and they stay on one line each.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    wide = width >= 110
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("status", no_wrap=True)
    table.add_column("gate", overflow="fold", min_width=14)
    if wide:
        table.add_column("production", justify="right", no_wrap=True)
        table.add_column("candidate", justify="right", no_wrap=True)
    table.add_column(f"change ({view.ci_label(report)})", justify="right", no_wrap=True)
    table.add_column("allowed", overflow="fold")
    run_alpha = view.alpha(report)
    for gate in view.ordered(report.gates):
        label, style = STATUS_STYLE.get(gate.status, (f.clean(gate.status), "bold"))
        quiet = "dim" if gate.status in ("pass", "waived", "skipped") else ""
        gate_id = f.clip(gate.id, 120) + ("" if gate.blocking else " (non-blocking)")
        values = [Text(f.num(gate.baseline, gate.unit)), Text(f.num(gate.candidate, gate.unit))]
        table.add_row(
            Text(label, style=style),
            Text(gate_id, style=quiet),
            *(values if wide else []),
            Text(view.change_text(gate, run_alpha)),
            Text(f.threshold(gate.threshold, gate.unit, gate.baseline)),
        )
    return table
