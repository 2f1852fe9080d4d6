"""A gate's details as (label, text) facts, for the HTML report and JUnit: one table row per key."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from mlgate.records import GateResult
from mlgate.report import filters as f


def _slice(value: Any, gate: GateResult) -> str:
    if not isinstance(value, Mapping):
        return f.clip(value, 80)
    rows = f" ({f.count(value.get('rows'))} rows)" if f.is_number(value.get("rows")) else ""
    return f"{f.clip(value.get('column'), 60)} = {f.clip(value.get('value'), 60)}{rows}"


def _changed(value: Any, gate: GateResult) -> str:
    if not isinstance(value, list):
        return f.clip(value, 80)
    parts = [
        f"{f.clip(c.get('column'), 40)}: {f.clip(c.get('reference'), 30)} → "
        f"{f.clip(c.get('eval'), 30)}"
        for c in value[:8]
        if isinstance(c, Mapping)
    ]
    return "; ".join(parts) + (f" and {len(value) - 8} more" if len(value) > 8 else "")


def _unexpected(value: Any, gate: GateResult) -> str:
    share = gate.details.get("unexpected_percent")
    return f.count(value) + (f" ({f.percent(share)})" if f.is_number(share) else "")


def _generic(value: Any, gate: GateResult) -> str:
    if f.is_number(value):
        return f.num(value, "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return f.join(value)
    if isinstance(value, Mapping):
        return f.clip(json.dumps(value, default=str, ensure_ascii=False), 160)
    return f.clip(value, 160)


# Known detail keys: label and formatter (a table, so a new kind of detail is one row).
DETAILS: dict[str, tuple[str, Callable[[Any, GateResult], str]]] = {
    "slice": ("slice", _slice),
    "n": ("rows", lambda v, g: f.count(v)),
    "method": ("method", lambda v, g: f.clip(v, 80)),
    "alpha": ("confidence", lambda v, g: f.confidence(v)),
    "detectable": ("smallest detectable change", lambda v, g: f.num(v, g.unit)),
    "higher_is_better": ("direction", lambda v, g: "higher is better" if v else "lower is better"),
    "column": ("column", lambda v, g: f.clip(v, 80)),
    "expectation": ("expectation", lambda v, g: f.clip(v, 80)),
    "observed": ("observed", lambda v, g: f.num(v) if f.is_number(v) else f.clip(v, 120)),
    "unexpected_count": ("unexpected values", _unexpected),
    "examples": ("examples", lambda v, g: f.join(v, 10, 40)),
    "score": ("drift score", lambda v, g: f.num(v)),
    "threshold": ("allowed drift", lambda v, g: f.exact(v)),
    "unseen": ("categories unseen in reference", lambda v, g: f.join(v, 10, 40)),
    "added": ("columns added", lambda v, g: f.join(v, 12, 40)),
    "removed": ("columns removed", lambda v, g: f.join(v, 12, 40)),
    "changed": ("types changed", _changed),
    "ratio": ("candidate / production", lambda v, g: f"{f.num(v)}×"),
    "ratio_ci": (
        "ratio interval",
        lambda v, g: f.interval(v).replace("+", "") + "×" if f.interval(v) else "",
    ),
    "rounds": ("rounds", lambda v, g: f.count(v)),
    "noise_floor": ("noise floor", lambda v, g: f.pct(v) if f.is_number(v) else ""),
}
# Shown elsewhere (charts) or part of another fact.
HIDDEN = {"samples", "unexpected_percent"}


def gate_facts(gate: GateResult) -> list[tuple[str, str]]:
    """(label, text) for a gate's details, known keys first, then any other key as it is."""
    details = gate.details if isinstance(gate.details, Mapping) else {}
    facts = []
    for key, (label, show) in DETAILS.items():
        if key in details and details[key] not in (None, "", [], {}):
            text = show(details[key], gate)
            if text:
                facts.append((label, text))
    for key, value in details.items():
        if key not in DETAILS and key not in HIDDEN and value not in (None, "", [], {}):
            facts.append((f.clip(key, 40).replace("_", " "), _generic(value, gate)))
    return facts


def check_lines(gate: GateResult) -> list[tuple[str, str]]:
    """(status, "candidate ≥ 0.85: 0.871") per threshold check of a gate."""
    out = []
    for check in gate.checks:
        state = (
            "inconclusive"
            if check.inconclusive
            else ("pass" if check.passed else "fail" if check.passed is False else "unknown")
        )
        expected = (
            f.exact(check.expected) if f.is_number(check.expected) else f.clip(check.expected, 40)
        )
        actual = f.num(check.actual, gate.unit) if check.actual is not None else f.DASH
        out.append((state, f"{f.clip(check.operator, 20)} {expected}: {actual}"))
    return out
