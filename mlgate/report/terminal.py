"""The terminal view: a rich summary, failures first (rich is imported only when printing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgate.records import Report
from mlgate.report import filters as f
from mlgate.report import view

if TYPE_CHECKING:
    from rich.console import Console

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
    """Print the verdict line, run problems, a table of gates (failures first), and notes.

    Every string from data goes in as `rich.text.Text` (never parsed as rich markup) after
    `filters.clean`, which drops escape sequences that could steer the terminal.
    """
    report = view.normalize(report)
    from rich import box
    from rich.console import Console
    from rich.table import Table
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
        ci = view.ci_label(report)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for name, justify in (
            ("status", "left"),
            ("gate", "left"),
            ("production", "right"),
            ("candidate", "right"),
            (f"change ({ci})", "right"),
            ("allowed", "left"),
            ("finding", "left"),
        ):
            table.add_column(
                name,
                justify=justify,  # type: ignore[arg-type]
                overflow="fold",
                ratio=3 if name == "finding" else None,
            )
        for gate in view.ordered(report.gates):
            label, style = STATUS_STYLE.get(gate.status, (f.clean(gate.status), "bold"))
            quiet = "dim" if gate.status in ("pass", "waived", "skipped") else ""
            gate_id = f.clip(gate.id, 120) + ("" if gate.blocking else " (non-blocking)")
            table.add_row(
                Text(label, style=style),
                Text(gate_id, style=quiet),
                Text(f.num(gate.baseline, gate.unit)),
                Text(f.num(gate.candidate, gate.unit)),
                Text(view.change_text(gate)),
                Text(f.threshold(gate.threshold, gate.unit, gate.baseline)),
                Text(view.finding_text(gate) if gate.status != "pass" else "", style=quiet),
            )
        console.print(table)
    for gate_id, note in view.notes(report):
        console.print(
            Text.assemble(("  note: ", "cyan"), f"{f.clip(gate_id, 120)}: ", f.clip(note, 400))
        )
    console.print(Text.assemble(("  baseline: ", "cyan"), view.baseline_sentence(report)))
    summary = ", ".join(f"{n} {k}" for k, n in report.summary.items() if n)
    if summary:
        console.print(Text(f"  {summary}", style="dim"))
