"""The terminal view: a rich summary, failures first (rich is imported only when printing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.records import Report
from mlgate.report import charts, view, wording
from mlgate.report import filters as f

if TYPE_CHECKING:
    from rich.console import Console

# status -> (label, style). Words, not emoji: every terminal shows them.
STATUS_STYLE = {
    "error": ("ERROR", "bold magenta"),
    "fail": ("FAIL", "bold red"),
    "warn": ("WARN", "yellow"),
    "inconclusive": ("INCONCLUSIVE", "bold dark_orange"),  # a pass not proven: never green
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
    if not console.is_terminal:  # a CI log: no hard wrapping at 80 columns, lines stay whole
        console.soft_wrap = True
    head = view.headline(report)
    console.print(
        Text.assemble(
            (f"{head.word}: ", VERDICT_STYLE.get(head.verdict, "bold")), f.clip(head.reason, 600)
        )
    )
    said = [head.reason]  # each error and failure is printed once: what was said is not repeated
    problems = list(report.errors)
    for problem in problems if len(problems) > 1 else ():  # a single one is in the verdict line
        console.print(Text.assemble(("  problem: ", "magenta"), f.clip(problem, 600)))
        said.append(problem)
    if report.gates:
        _gates(report, console, said)
    for gate_id, note in view.notes(report):
        console.print(
            Text.assemble(("  note: ", "cyan"), f"{f.clip(gate_id, 120)}: ", f.clip(note, 400))
        )
    baseline = view.baseline_sentence(report, said=said)
    if baseline:
        console.print(Text.assemble(("  baseline: ", "cyan"), baseline))
    evaluated = view.evaluation_sentence(report)
    if evaluated:
        console.print(Text.assemble(("  evaluated by: ", "cyan"), evaluated))
    summary = wording.tally(report, tuple(report.summary))
    if summary:
        console.print(Text(f"  {summary}", style="dim"))


MAX_QUIET = 20  # passing/skipped gates listed before "and N more" (report.md has them all)


def _gates(report: Report, console: Console, said: list[str]) -> None:
    """Gates that need attention as blocks: the label and id, the numbers, then what the numbers
    do not say (a data check's finding, an error), unless the first line said it already; the
    rest one dim line each.

    Ids are never wrapped mid-word: in CI logs people search for them.
    """
    from rich.text import Text

    run_alpha = view.alpha(report)
    loud = view.attention(report)
    quiet = [g for g in view.ordered(report.gates) if g not in loud]
    for gate in loud:
        label, style = _style(gate)
        blocking = "" if gate.blocking else " (does not block)"
        console.print(
            Text.assemble(
                (f"  {_padded(label)}", style), (f.clip(gate.id, 200), "bold"), (blocking, "dim")
            ),
            soft_wrap=True,
        )
        numbers, message = _numbers(gate, run_alpha), f.clip(gate.message, 160)
        if numbers != message:
            console.print(Text("          " + numbers))
        if (view.says_more(gate) or numbers == message) and not _said(gate, said):
            console.print(Text("          " + view.finding_text(gate, 400)))
            said.append(gate.message)
    for gate in quiet[:MAX_QUIET]:
        label, style = _style(gate)
        console.print(
            Text.assemble(
                (f"  {_padded(label)}", style),
                (f"{f.clip(gate.id, 200)}  {_numbers(gate, run_alpha)}", "dim"),
            ),
            soft_wrap=True,
        )
    if len(quiet) > MAX_QUIET:
        console.print(
            Text(f"  … and {len(quiet) - MAX_QUIET} more (all in report.md)", style="dim")
        )


def _said(gate: Any, said: list[str]) -> bool:
    """Whether the gate's message was printed already (the first line names the first error)."""
    message = f.clean(gate.message)
    return bool(message) and any(message[:200] in f.clean(text) for text in said)


def _style(gate: Any) -> tuple[str, str]:
    """The label and style of the gate's state (an inconclusive pass has its own)."""
    state = view.state(gate)
    return STATUS_STYLE.get(state, (f.clean(state), "bold"))


def _padded(label: str) -> str:
    """Labels line up in 8 columns; a longer one (INCONCLUSIVE) keeps a space after it."""
    return f"{label:<8}" if len(label) < 8 else f"{label} "


def _numbers(gate: Any, run_alpha: float) -> str:
    """`0.959 → 0.932  −0.027 (95% CI −0.032…−0.021)  allowed: drop ≤ 0.01` (what is known)."""
    parts = []
    if gate.baseline is not None and gate.candidate is not None:
        parts.append(f"{f.num(gate.baseline, gate.unit)} → {f.num(gate.candidate, gate.unit)}")
        change = view.change_text(gate, run_alpha)
        if change and change != "—":
            parts.append(change)
    elif gate.candidate is not None:
        parts.append(f.num(gate.candidate, gate.unit))
    allowed = f.threshold(gate.threshold, gate.unit, gate.baseline)
    if allowed and allowed != "—":
        parts.append(f"allowed: {allowed}")
    if (gate.baseline is None and not gate.threshold) or not parts:  # a self-judged check
        return f.clip(gate.message, 160)
    trend = charts.sparkline(gate) if gate.kind == "model" and gate.history else ""
    if len(trend) > 1:  # the production values over the merges, the candidate last
        parts.append(f"trend {trend}")
    return "  ".join(parts)
