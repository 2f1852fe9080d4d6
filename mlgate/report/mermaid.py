"""Mermaid trend charts for report.md (the PR/MR comment): GitHub and GitLab draw them natively.

One `xychart-beta` per chosen model gate: its same-eval production values over the merges, the
candidate as the last point, and (with a from-best threshold) the floor it may not pass. Under
each chart a one-line text fallback for viewers without Mermaid.

Bounded: at most MAX_CHARTS gates (failing first, then the most changed), MAX_POINTS points each.

Text from data or users (gate ids, metric names, commits, refs) never reaches the chart as it
is: `label` keeps letters, digits and a few inert punctuation marks, so a quote cannot end a
Mermaid string, a newline or a backtick fence cannot end the block, and `%%` (a comment or
directive), `-->` (an arrow), `#…;` (an entity) or `<tag>` (markup) cannot be written.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.records import GateResult, Report
from mlgate.report import filters as f
from mlgate.report import view

MAX_CHARTS = 3
MAX_POINTS = 12
MAX_LABEL = 48
# punctuation kept in labels: none of it opens or closes anything in Mermaid's chart syntax
_KEPT = frozenset(" ._:/+=()[],@")


@dataclass(frozen=True)
class Chart:
    """One gate's Mermaid source (no fence) and its text fallback (Markdown, escaped)."""

    gate: GateResult
    source: f.Md
    fallback: f.Md


def label(value: object, limit: int = MAX_LABEL) -> str:
    """Text from data made inert inside a Mermaid string: safe characters only, one line."""
    text = "".join(ch if ch.isalnum() or ch in _KEPT else " " for ch in f.clean(value))
    while "--" in text:  # no arrow (`-->`) and no `--` of any length
        text = text.replace("--", "-")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def charts(report: Report) -> list[Chart]:
    """The charts of the comment: failing model gates first, then the most changed."""
    chosen = [g for g in _with_trend(report) if _points(g)]
    chosen.sort(key=lambda g: (g.status not in ("fail", "error"), -_change(g)))
    return [_chart(g) for g in chosen[:MAX_CHARTS]]


def _with_trend(report: Report) -> list[GateResult]:
    return [g for g in view.ordered(report.gates) if g.kind == "model" and g.history]


def _points(gate: GateResult) -> list[tuple[str, float]]:
    """(x label, value): the last same-eval production values, then the candidate if known."""
    points = [
        (p.commit or "", float(p.value or 0.0))
        for p in gate.history
        if p.same_eval and f.is_number(p.value)
    ]
    out = [(f"{i}. {label(commit[:7]) or 'merge'}", v) for i, (commit, v) in enumerate(points, 1)]
    if _finite(gate.candidate):
        out = out[-(MAX_POINTS - 1) :]
        out.append(("candidate", float(gate.candidate or 0.0)))
    return out[-MAX_POINTS:] if len(out) > 1 else []


def _change(gate: GateResult) -> float:
    """How much the candidate moved from the last production value, relative to it."""
    values = [v for _, v in _points(gate)]
    if len(values) < 2:
        return 0.0
    return abs(values[-1] - values[-2]) / max(abs(values[-2]), 1e-12)


def _floor(gate: GateResult) -> float | None:
    """The from-best limit in the metric's units (best ± allowed), when a from-best rule ran."""
    best, allowed = gate.details.get("best"), gate.details.get("from_best_allowed")
    if not (f.is_number(best) and f.is_number(allowed)):
        return None
    higher = any(c.operator == "max_drop_from_best" for c in gate.checks)
    return float(best) - float(allowed) if higher else float(best) + float(allowed)


def _chart(gate: GateResult) -> Chart:
    points = _points(gate)
    values = [v for _, v in points]
    floor = _floor(gate)
    shown = [*values, *([floor] if floor is not None else [])]
    lo, hi = min(shown), max(shown)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.01 or 0.01
    name = label(gate.name or gate.id, 40) or "value"
    lines = [
        "xychart-beta",
        f'    title "{label(gate.id) or "gate"}"',
        "    x-axis [" + ", ".join(f'"{x}"' for x, _ in points) + "]",
        f'    y-axis "{name}" {_n(lo - pad)} --> {_n(hi + pad)}',
        "    line [" + ", ".join(_n(v) for v in values) + "]",
    ]
    if floor is not None:
        lines.append("    line [" + ", ".join(_n(floor) for _ in values) + "]")
    return Chart(gate, f.Md("\n".join(lines)), _fallback(gate, values, floor))


def _fallback(gate: GateResult, values: list[float], floor: float | None) -> f.Md:
    """`model.roc_auc over 3 merges: 0.900 → 0.884 → 0.880, candidate 0.876 · limit 0.880`."""
    production = values[:-1] if _finite(gate.candidate) else values
    merges = len(production)
    text = f"{f.clip(gate.id, 120)} over {merges} merge{'s' if merges != 1 else ''}: "
    text += " → ".join(f.num(v, gate.unit) for v in production)
    if _finite(gate.candidate):
        text += f", candidate {f.num(gate.candidate, gate.unit)}"
    if floor is not None:
        text += f" · from-best limit {f.num(floor, gate.unit)}"
    return f.md(text, 600)


def _finite(value: object) -> bool:
    return f.is_number(value)


def _n(value: float) -> str:
    """A number as Mermaid reads it: plain decimal, enough digits to tell merges apart."""
    text = f"{value:.6g}"
    if "e" in text:  # Mermaid's number grammar has no exponent
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"
