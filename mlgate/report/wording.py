"""Every sentence about a gate, written once: messages, compare notes and the count phrase.

compare and decide return facts; this module says them, with the report's own number
formatter (`filters.num`), so a gate's message and its table cell show the same digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mlgate.records import (
    MIN_POSITIVES,
    THRESHOLDS,
    Comparison,
    Finding,
    GateResult,
    Measurement,
    Report,
)
from mlgate.records import relative_key as _relative_key
from mlgate.report import filters as f

SAMPLES = {"model": "rows", "performance": "timing blocks"}  # what an Estimate's n counts
# The order counts are said in: "blocked: 1 failed, 1 inconclusive, 9 passed".
TALLY = ("failed", "errored", "warned", "inconclusive", "passed")


def worded(comparison: Comparison, gate: GateResult | None = None) -> GateResult:
    """`gate` (the decided `comparison.result`, by default the result itself) with its message
    and the compare stage's notes, said; notes added by decide stay after them."""
    gate = comparison.result if gate is None else gate
    own = len(comparison.result.notes)  # the measurement's notes; decide appended the rest
    notes = tuple(_note(comparison, finding) for finding in comparison.findings)
    notes = tuple(n for n in notes if n)
    return replace(
        gate,
        message=message(comparison),
        notes=(*gate.notes[:own], *notes, *gate.notes[own:]),
    )


def worded_all(comparisons: Sequence[Comparison], gates: Sequence[GateResult]) -> list[GateResult]:
    """`worded` over the decided gates, in order."""
    return [worded(c, g) for c, g in zip(comparisons, gates, strict=True)]


def message(comparison: Comparison) -> str:
    """The gate's one-line message (report.json `message`)."""
    m, result = comparison.measurement, comparison.result
    if m.error is not None:
        return m.error
    if m.skipped is not None:
        return m.skipped
    if m.passed is not None:
        return m.message or (f"{m.name} passed" if m.passed else f"{m.name} failed")
    unchecked = [x for x in comparison.findings if x.what == "no_history"]
    if unchecked and result.status in ("error", "skipped"):
        strict = " (strict mode)" if result.status == "error" else ""
        return "; ".join(_no_history(x) for x in unchecked) + strict
    if result.status == "error":
        return f"{m.name}: no value was measured"
    failures = [_failure(comparison, x) for x in comparison.findings if x.fails]
    if failures:
        return "; ".join(failures)
    unsure = [_inconclusive(comparison, x) for x in comparison.findings if _unsure(x)]
    unsure = unsure if result.inconclusive else []
    if unsure:
        return "; ".join(unsure)
    return _passed(m, result, comparison.alpha)


def _unsure(x: Finding) -> bool:
    return x.value is not None and (
        x.what == "few" or (x.what == "inconclusive" and x.interval is not None)
    )


def _inconclusive(comparison: Comparison, x: Finding) -> str:
    """ "recall dropped 0.035 (95% CI of the drop 0.012…0.058), allowed 0.03: inconclusive, not
    proven beyond it" — the point is past the tolerance, the interval reaches back inside."""
    m, alpha = comparison.measurement, comparison.alpha
    verb = "dropped" if m.higher_is_better else "increased"
    if x.what == "few":
        return (
            f"{m.name} {verb} {f.num(x.value)}{_unit(m.unit)}, allowed "
            f"{_allowed(comparison, x)}: inconclusive, too few positives to tell"
        )
    word = _word(m) + (" from the best" if THRESHOLDS[x.key].from_best else "")
    lo, hi = x.interval or (0.0, 0.0)
    return (
        f"{m.name} {verb} {f.num(x.value)}{_unit(m.unit)} ({f.confidence(alpha)} of the {word} "
        f"{f.num(lo)}…{f.num(hi)}), allowed {_allowed(comparison, x)}: inconclusive, not "
        "proven beyond it"
    )


def tally(report: Report, keys: Sequence[str] = TALLY) -> str:
    """ "2 failed, 1 inconclusive, 9 passed": the non-zero counts, in the order of `keys`.

    An inconclusive gate (a `pass` whose point estimate is beyond the tolerance) is counted as
    inconclusive, not passed, wherever "inconclusive" comes before "passed" in `keys` — and
    always apart from the passes when there are any.
    """
    counts = counted(report)
    if counts["inconclusive"] and "inconclusive" not in keys:
        at = list(keys).index("passed") if "passed" in keys else len(keys)
        keys = (*keys[:at], "inconclusive", *keys[at:])
    return ", ".join(f"{counts[k]} {k}" for k in keys if counts.get(k))


def counted(report: Report) -> dict[str, int]:
    """report.summary with the inconclusive passes counted apart ("inconclusive")."""
    counts = dict(report.summary)
    unsure = sum(1 for g in report.gates if g.state == "inconclusive")
    counts["passed"] = counts.get("passed", 0) - unsure
    counts["inconclusive"] = unsure
    return counts


def _failure(comparison: Comparison, x: Finding) -> str:
    m, alpha, unit = comparison.measurement, comparison.alpha, comparison.measurement.unit
    if THRESHOLDS[x.key].from_best:
        return _failure_from_best(comparison, x)
    if x.what == "outside":
        rule = THRESHOLDS[x.key]
        return f"{m.name} {f.num(x.value, unit)} is {rule.word} {f.exact(x.bound, unit)}"
    verb = "dropped" if m.higher_is_better else "increased"
    allowed = _allowed(comparison, x)
    if x.interval is None:  # unpaired: points only
        return f"{m.name} {verb} {f.num(x.value, unit)}, allowed {allowed}"
    worsening = x.value or 0.0
    moved = f"{verb} {f.num(worsening)}" if worsening >= 0 else f"changed by {f.num(-worsening)}"
    why = (
        f"not proven within the allowed {allowed} (strict mode)"
        if x.what == "unproven"
        else f"allowed {allowed}"
    )
    interval = f.interval(x.interval)  # as the change column shows it
    return f"{m.name} {moved}{_unit(unit)} ({f.confidence(alpha)} {interval}), {why}"


def _failure_from_best(comparison: Comparison, x: Finding) -> str:
    """The cumulative guard failed: name the best production value, its commit, the drop."""
    m, alpha, unit = comparison.measurement, comparison.alpha, comparison.measurement.unit
    verb = "dropped" if m.higher_is_better else "increased"
    best = x.best
    where = ""
    if best is not None:
        at = [f.clean(best.commit)[:12], f.clean(best.date)[:10]]  # a short commit, the day
        where = f" (at {', '.join(a for a in at if a)})" if any(at) else " (this run's)"
    value = best.value if best is not None else None
    text = (
        f"{m.name} {verb} {f.num(x.value)}{_unit(unit)} from its best production value "
        f"{f.num(value, unit)}{where}"
    )
    allowed = _allowed(comparison, x)
    if x.interval is None:  # unpaired: points only
        return f"{text}, allowed {allowed} from the best"
    lo, hi = x.interval
    interval = f"{f.confidence(alpha)} of the cumulative {_word(m)} {f.num(lo)}…{f.num(hi)}"
    if x.what == "unproven":
        return f"{text} ({interval}), not proven within the allowed {allowed} (strict mode)"
    return f"{text} ({interval}), allowed {allowed} from the best"


def _word(m: Measurement) -> str:
    return THRESHOLDS[_relative_key(m.higher_is_better)].word


def _no_history(x: Finding) -> str:
    if x.n:
        return (
            f"{x.key}: not checked: none of the {f.count(x.n)} history entries of the baseline "
            "was measured on this eval data"
        )
    return (
        f"{x.key}: not checked: the baseline has no history of this gate (history.jsonl, "
        "written by `mlgate baseline save`)"
    )


def _allowed(comparison: Comparison, x: Finding, unit: str | None = None) -> str:
    """The allowed worsening as the threshold cell shows it: a tolerance the user wrote as a
    number exactly as written, a percentage resolved against production like every value."""
    unit = comparison.measurement.unit if unit is None else unit
    written = comparison.result.threshold.get(x.key)
    if isinstance(written, str) and written.strip().endswith("%"):
        return f.num(x.bound, unit)
    return f.exact(x.bound, unit)


def _note(comparison: Comparison, x: Finding) -> str:
    m, alpha = comparison.measurement, comparison.alpha
    word = THRESHOLDS[_relative_key(m.higher_is_better)].word
    if x.what == "no_history":
        return "" if comparison.result.status in ("error", "skipped") else _no_history(x)
    if x.what == "other_eval":
        entries = "entry" if x.n == 1 else "entries"
        return (
            f"{x.key}: {f.count(x.n)} history {entries} measured on other eval data (another "
            "fingerprint): listed, not used"
        )
    if x.what == "no_baseline":
        return f"{x.key}: no production value to compare with"
    if x.what == "zero_baseline":
        return f"{x.key}: the production value is 0, so a relative tolerance allows no {word}"
    if x.what == "few":
        rows = f.count(m.estimate.n) if m.estimate is not None else "the"
        return (
            f"too few positives: {f.count(x.n)} in {rows} rows, fewer than the {MIN_POSITIVES} "
            f"the interval of {m.name} needs to hold its level; it decides nothing here (neither "
            "a block nor a strict-mode pass)"
        )
    if x.what == "unpaired" and THRESHOLDS[x.key].from_best:
        return f"{x.key}: no paired statistics: compared point values with the best"
    if x.what == "unpaired":
        return "no paired statistics: compared point values (the baseline is a saved report)"
    if x.what in ("inconclusive", "spans") and x.interval is not None:
        allowed = _allowed(comparison, x, unit="")
        if THRESHOLDS[x.key].from_best:
            word = f"{word} from the best"
        lo, hi = x.interval
        article = "an" if word[:1] in "aeiou" else "a"
        samples = SAMPLES.get(m.kind, "samples")
        detects = (
            f"this eval set detects {article} {word} of about {f.num(x.detectable, m.unit)} or "
            f"more ({f.count(x.n)} {samples})"
            if f.is_number(x.detectable)
            else f"these {f.count(x.n)} {samples} detect no {word} with 80% power: it rests on "
            "too few of them"
        )
        if x.what == "spans":
            return (
                f"not proven within the allowed {allowed}: the {f.confidence(alpha)} of the "
                f"{word} ({f.num(lo)}…{f.num(hi)}) reaches past it; {detects}"
            )
        text = (
            f"inconclusive: the {f.confidence(alpha)} of the {word} ({f.num(lo)}…{f.num(hi)}) "
            f"spans the allowed {allowed}; {detects}"
        )
        if x.needed:
            decide = f"would decide {article} {word} of this size"
            text += f"; about {f.count(x.needed)} {samples} {decide}"
        return text
    return ""


def _passed(m: Measurement, result: GateResult, alpha: float) -> str:
    text = f"{m.name} {f.num(m.candidate, m.unit)}"
    if m.baseline is not None:
        text += f" (production {f.num(m.baseline, m.unit)}"
        if result.delta is not None:
            text += f", Δ {f.signed(result.delta)}"
        if result.ci is not None:
            text += f", {f.confidence(alpha)} {f.interval(result.ci)}"
        text += ")"
    return text


def _unit(unit: str) -> str:
    return f" {f.clip(unit, 12)}" if unit else ""


# --- rule changes (context.config_changes): what a PR changed in the gate's own rules ----------


def change_line(change: Mapping[str, Any]) -> str:
    """ "gates.model[model.roc_auc].max_drop loosened: 0.01 → 0.5" (one entry of the list)."""
    key, kind = str(change.get("key", "?")), str(change.get("kind", "changed"))
    before, after = change.get("before"), change.get("after")
    if before is None:
        return f"{key} {kind}: added {_said(after)}"
    if after is None:
        return f"{key} {kind}: removed (was {_said(before)})"
    return f"{key} {kind}: {_said(before)} → {_said(after)}"


def config_changes_message(changes: Sequence[Any], label: str) -> str:
    """The blocking gate's message under `policy.config_changes: require-approval`."""
    lines = [change_line(c.to_dict() if hasattr(c, "to_dict") else c) for c in changes]
    shown = "; ".join(lines[:3]) + (f"; and {len(lines) - 3} more" if len(lines) > 3 else "")
    return (
        f"this PR changes the gate's rules: {shown}; the base config requires approval "
        f"(policy.config_changes: require-approval): add the label {label} to accept"
    )


def rule_changes(report: Report) -> list[str]:
    """The comment's "Rules changed in this PR" lines, from context.config_changes."""
    changes = report.context.get("config_changes") if isinstance(report.context, Mapping) else None
    if not isinstance(changes, list):
        return []
    return [change_line(c) for c in changes if isinstance(c, Mapping)]


def rule_base(report: Report) -> str:
    """What the rules were compared with: "main at 1a2b3c4d5e6f (policy: report)", or why not."""
    base = report.context.get("config_base") if isinstance(report.context, Mapping) else None
    if not isinstance(base, Mapping):
        return ""
    if base.get("commit") and not base.get("note"):
        return (
            f"compared with the merge-base with {base.get('branch')} ({base.get('commit')}); "
            f"policy.config_changes: {base.get('policy')} (from the base config)"
        )
    return str(base.get("note") or "")


def _said(value: Any) -> str:
    return f.clip(str(value), 120)
