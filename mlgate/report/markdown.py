"""`report.md`: the PR/MR comment — verdict first, failing gates, the rest folded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlgate.records import Report
from mlgate.report import charts, mermaid, view, wording
from mlgate.report.filters import Md, md
from mlgate.report.templating import render_template

MARKER = "<!-- mlgate:report -->"  # hidden line that finds our comment again (sticky updates)
NAMED_MARKER = "<!-- mlgate:report name={name} -->"  # a named config's (or a combination's)
MAX_CHARS = 65_000  # GitHub rejects comments over 65,536 characters; leave room for publishers
MAX_NOTES = 40


def marker_for(name: str | None) -> str:
    """The hidden line of a gate's comment: `MARKER`, or one per config name (never a prefix
    of another name's: the closing `-->` follows the name)."""
    return NAMED_MARKER.format(name=name) if name else MARKER


def combined_marker(names: Sequence[str]) -> str:
    """The marker of one comment for several named configs (`+` is never in a name)."""
    return NAMED_MARKER.format(name="+".join(sorted(names)))


def render_markdown(report: Report, *, max_chars: int = MAX_CHARS, marker: bool = True) -> str:
    """The comment: first line is the verdict and why; at most `max_chars` characters.

    When the full comment is too long, it is shortened step by step — passing gates collapse
    to a count, then the failing rows and notes are cut to what fits — and says so. Without
    `marker` (a section of a combined comment) it carries no hidden marker line.
    """
    mark = marker_for(report.name) if marker else ""
    text = _fit(report, max_chars, mark)
    return text if marker else text.rstrip("\n") + "\n"


def _fit(report: Report, max_chars: int, mark: str) -> str:
    report = view.normalize(report)
    rows = view.attention(report)
    notes = view.notes(report)
    text = _render(report, rows, notes, max_chars, mark, show_passing=True, truncated=False)
    if len(text) <= max_chars:
        return text
    text = _render(
        report, rows, notes[:MAX_NOTES], max_chars, mark, show_passing=False, truncated=True
    )
    if len(text) <= max_chars:
        return text
    # The largest number of failing rows (and as many notes) that fits: binary search.
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        candidate = _render(
            report,
            rows[:mid],
            notes[: min(mid, MAX_NOTES)],
            max_chars,
            mark,
            show_passing=False,
            truncated=True,
            total_rows=len(rows),
            total_notes=len(notes),
        )
        lo, hi = (mid, hi) if len(candidate) <= max_chars else (lo, mid - 1)
    text = _render(
        report,
        rows[:lo],
        notes[: min(lo, MAX_NOTES)],
        max_chars,
        mark,
        show_passing=False,
        truncated=True,
        total_rows=len(rows),
        total_notes=len(notes),
    )
    if len(text) <= max_chars:
        return text
    # Only a pathological run (thousands of run-level errors) gets here: cut, keep the marker.
    note = "\n\n> ⚠️ Shortened to fit the comment size limit; see report.html.\n\n" + mark + "\n"
    return text[: max(max_chars - len(note), 0)] + note


def _render(
    report: Report,
    rows: list[Any],
    notes: list[tuple[str, str]],
    max_chars: int,
    mark: str,
    *,
    show_passing: bool,
    truncated: bool,
    total_rows: int | None = None,
    total_notes: int | None = None,
) -> str:
    return render_template(
        "md",
        "report.md.j2",
        report=report,
        headline=view.headline(report),
        rule_changes=wording.rule_changes(report),
        rule_base=wording.rule_base(report),
        errors=list(report.errors[:50]),
        rows=rows,
        gate_cell=gate_cell,
        finding_column=any(view.says_more(g) for g in rows),
        table_ci=view.ci_label(report)
        + (
            ", or as stated"
            if view.mixed_levels([*rows, *view.passing(report)], view.alpha(report))
            else ""
        ),
        hidden_rows=(total_rows - len(rows)) if total_rows is not None else 0,
        notes=notes,
        hidden_notes=(total_notes - len(notes)) if total_notes is not None else 0,
        detectable=view.detectable(report),
        passing=view.passing(report),
        show_passing=show_passing,
        not_gated=view.not_gated(report),
        trends=[g for g in view.ordered(report.gates) if g.kind == "model" and g.history],
        sparkline=charts.sparkline,
        trend_charts=mermaid.charts(report),
        baseline=view.baseline_sentence(report),
        evaluated=view.evaluation_sentence(report),
        links=view.links(report),
        facts=view.run_facts(report),
        ci=view.ci_label(report),
        run_alpha=view.alpha(report),
        truncated=truncated,
        max_chars=max_chars,
        marker=Md(mark),
    )


def gate_cell(gate: Any) -> Md:
    """A gate's table cell: its readable name, and the id (for waivers, warn_only) under it
    when the two differ."""
    name = view.label(gate)
    cell = md(name, 120)
    return cell if name == gate.id else Md(f"{cell}<br><sub>{md(gate.id, 120)}</sub>")


def render_combined(reports: Sequence[Report], *, max_chars: int = MAX_CHARS) -> str:
    """One comment for several named configs: a verdict line per model, then each model's
    comment folded under its name; each section gets an equal share of `max_chars`."""
    reports = [view.normalize(r) for r in reports]
    # names are slugs (Report.name): shown as they are, also inside the HTML <summary>
    lines = [(Md(r.name or ""), view.headline(r)) for r in reports]
    marker = Md(combined_marker([str(name) for name, _ in lines]))
    frame = render_template("md", "combined.md.j2", lines=lines, sections=[], marker=marker)
    share = max((max_chars - len(frame)) // max(len(reports), 1) - 120, 200)
    sections = [Md(render_markdown(r, max_chars=share, marker=False)) for r in reports]
    return render_template("md", "combined.md.j2", lines=lines, sections=sections, marker=marker)
