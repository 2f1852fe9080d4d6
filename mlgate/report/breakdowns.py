"""Breakdown charts: metrics per slice, drift per column, timing samples per model."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from mlgate.records import GateResult, Report
from mlgate.report import filters as f
from mlgate.report import view
from mlgate.report.charts import MODELS
from mlgate.report.geometry import Scale, domain, floats, r1

MAX_DOTS = 150  # sample dots per latency row


# --- per-slice metrics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SliceRow:
    """One slice of one metric: production and candidate positions on the group's scale."""

    gate: GateResult
    value: str
    rows: int | None
    candidate: float | None
    baseline: float | None


@dataclass(frozen=True)
class SliceGroup:
    """Every slice of one metric on one column, on a shared scale."""

    metric: str
    column: str
    unit: str
    rows: list[SliceRow]
    ticks: list[tuple[float, str]]
    width: float = 300
    height: float = 22


def slices(report: Report) -> list[SliceGroup]:
    """Slice gates grouped by (metric, column), worst status first inside each group."""
    groups: dict[tuple[str, str], list[GateResult]] = {}
    for gate in report.gates:
        part = view.slice_of(gate)
        if part is not None:
            groups.setdefault((gate.name or gate.id, f.clean(part.get("column"))), []).append(gate)
    out = []
    for (metric, column), gates in groups.items():
        values = [float(v) for g in gates for v in (g.candidate, g.baseline) if f.is_number(v)]
        scale = Scale(*domain(values or [0.0, 1.0]), 10, 290)
        rows = []
        for gate in view.ordered(gates):
            part = view.slice_of(gate) or {}
            n = part.get("rows")
            rows.append(
                SliceRow(
                    gate=gate,
                    value=f.clip(part.get("value"), 60),
                    rows=int(n) if f.is_number(n) else None,
                    candidate=scale(gate.candidate) if f.is_number(gate.candidate) else None,
                    baseline=scale(gate.baseline) if f.is_number(gate.baseline) else None,
                )
            )
        out.append(SliceGroup(metric, column, gates[0].unit, rows, scale.ticks(5)))
    return out


# --- drift per column ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftBar:
    """One column's drift score as a bar, with the allowed maximum marked."""

    gate: GateResult
    column: str
    method: str
    score: float | None
    limit: float | None
    bar: float  # x of the bar's end
    mark: float | None  # x of the allowed maximum
    unseen: list[str]
    width: float = 300
    height: float = 22


def drift(report: Report) -> list[DriftBar]:
    """Drift gates (those with a drift score and method), largest score first."""
    gates = [
        g
        for g in report.gates
        if isinstance(g.details, Mapping) and "score" in g.details and "method" in g.details
    ]
    values = [
        float(v)
        for g in gates
        for v in (g.details.get("score"), g.details.get("threshold"))
        if f.is_number(v)
    ]
    if not gates:
        return []
    scale = Scale(0.0, max(values or [1.0]) * 1.1 or 1.0, 4, 296)
    bars = []
    for gate in gates:
        score, limit = gate.details.get("score"), gate.details.get("threshold")
        unseen = gate.details.get("unseen")
        bars.append(
            DriftBar(
                gate=gate,
                column=f.clip(gate.details.get("column") or gate.id, 80),
                method=f.clip(gate.details.get("method"), 20),
                score=float(score) if f.is_number(score) else None,
                limit=float(limit) if f.is_number(limit) else None,
                bar=scale(score) if f.is_number(score) else 4.0,
                mark=scale(limit) if f.is_number(limit) else None,
                unseen=[f.clip(u, 40) for u in unseen[:10]] if isinstance(unseen, list) else [],
            )
        )
    bars.sort(key=lambda b: (view.STATUS_RANK.get(b.gate.status, 9), -(b.score or 0.0)))
    return bars


# --- latency distributions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """One model's timing samples: box (quartiles), whiskers (5th–95th), median, dots."""

    name: str
    y: float
    q1: float
    median: float
    q3: float
    low: float
    high: float
    dots: list[tuple[float, float]]
    p50: float  # the median in data units, for the label
    count: int


@dataclass(frozen=True)
class Distribution:
    """Timing samples of candidate and production for one performance gate."""

    gate: GateResult
    unit: str
    boxes: list[Box]
    ticks: list[tuple[float, str]]
    width: float = 640
    height: float = 130


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency(report: Report) -> list[Distribution]:
    """Box-and-dot plots of the timing samples of performance gates that carry them."""
    out = []
    for gate in report.gates:
        raw = gate.details.get("samples") if isinstance(gate.details, Mapping) else None
        if not isinstance(raw, Mapping):
            continue
        series = [(name, floats(raw.get(key))) for key, name in MODELS]
        present = [(name, s) for name, s in series if s]
        if not present:
            continue
        values = [v for _, s in present for v in s]
        scale = Scale(*domain([min(values), max(values)]), 110, 630)
        boxes = []
        for i, (name, samples) in enumerate(reversed(present)):
            y = 26.0 + i * 44
            step = max(1, math.ceil(len(samples) / MAX_DOTS))
            dots = [(scale(v), r1(y - 9 + (j * 7919 % 19))) for j, v in enumerate(samples[::step])]
            boxes.append(
                Box(
                    name=name,
                    y=y,
                    q1=scale(_quantile(samples, 0.25)),
                    median=scale(_quantile(samples, 0.5)),
                    q3=scale(_quantile(samples, 0.75)),
                    low=scale(_quantile(samples, 0.05)),
                    high=scale(_quantile(samples, 0.95)),
                    dots=dots,
                    p50=_quantile(samples, 0.5),
                    count=len(samples),
                )
            )
        unit = gate.unit if gate.unit in ("ms", "s", "us", "µs") else "ms"
        out.append(Distribution(gate, unit, boxes, scale.ticks(6, unit)))
    return out
