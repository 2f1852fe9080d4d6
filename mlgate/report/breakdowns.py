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


# --- drifted columns: reference and eval distributions overlaid --------------------------------

OVERLAID = ("fail", "warn", "waived", "error")  # a drifted column: its gate did not pass


@dataclass(frozen=True)
class Overlay:
    """Reference vs eval distribution of one drifted column: step lines (numeric) or paired
    bars (categories), as shares of each side's rows."""

    gate: GateResult
    column: str
    kind: str  # "numeric" | "categorical"
    steps: list[tuple[str, str]]  # (side, points) of the numeric step lines
    bars: list[tuple[str, float, float, float, float]]  # (label, x, width, y reference, y eval)
    base: float  # y of share 0
    xticks: list[tuple[float, str]]
    yticks: list[tuple[float, str]]
    notes: list[str]
    width: float = 640
    height: float = 190


def overlays(report: Report) -> list[Overlay]:
    """Overlays for the drift gates that did not pass and carry `details.overlay`."""
    out = []
    for bar in drift(report):
        gate = bar.gate
        data = f.mapping(gate.details.get("overlay"))
        if gate.status not in OVERLAID or not data:
            continue
        made = _numeric_overlay(gate, bar.column, data) or _category_overlay(gate, bar.column, data)
        if made is not None:
            out.append(made)
    return out


def _shares(values: list[float] | None, total: float) -> list[float] | None:
    return [v / total for v in values] if values and total > 0 else None


def _missing_note(data: Mapping[str, object]) -> list[str]:
    missing = floats(data.get("missing"))
    if not missing or len(missing) != 2 or not any(missing):
        return []
    return [f"missing values: reference {f.count(missing[0])}, eval {f.count(missing[1])}"]


def _numeric_overlay(gate: GateResult, column: str, data: Mapping[str, object]) -> Overlay | None:
    edges = floats(data.get("edges"))
    ref, cur = floats(data.get("reference")), floats(data.get("eval"))
    if data.get("kind") != "numeric" or not edges or not ref or not cur:
        return None
    if len(ref) != len(edges) - 1 or len(cur) != len(ref):
        return None
    sides = [("production", _shares(ref, sum(ref))), ("candidate", _shares(cur, sum(cur)))]
    top = max(max(s) for _, s in sides if s) * 1.1 or 1.0
    sx, sy = Scale(edges[0], edges[-1], 60, 630), Scale(0.0, top, 160, 10)
    steps = []
    for side, shares in sides:
        if shares is None:
            continue
        points = [f"{sx(edges[0])},{sy(0)}"]
        for i, share in enumerate(shares):
            points += [f"{sx(edges[i])},{sy(share)}", f"{sx(edges[i + 1])},{sy(share)}"]
        points.append(f"{sx(edges[-1])},{sy(0)}")
        steps.append((side, " ".join(points)))
    notes = ["values beyond the central 99% of both sides are counted in the edge bins"]
    return Overlay(
        gate,
        column,
        "numeric",
        steps,
        [],
        sy(0),
        sx.ticks(7),
        _pct_ticks(sy, top),
        notes + _missing_note(data),
    )


def _category_overlay(gate: GateResult, column: str, data: Mapping[str, object]) -> Overlay | None:
    labels = data.get("categories")
    ref, cur = floats(data.get("reference")), floats(data.get("eval"))
    if data.get("kind") != "categorical" or not isinstance(labels, list) or not ref or not cur:
        return None
    if not (len(labels) == len(ref) == len(cur)):
        return None
    other = floats(data.get("other")) or [0.0, 0.0]
    missing = floats(data.get("missing")) or [0.0, 0.0]
    names = [f.clip(v, 24) for v in labels]
    if len(other) == 2 and any(other):
        names.append("(other)")
        ref, cur = [*ref, other[0]], [*cur, other[1]]
    totals = [sum(ref) + (missing[0] if len(missing) == 2 else 0.0)]
    totals.append(sum(cur) + (missing[1] if len(missing) == 2 else 0.0))
    ref_s, cur_s = _shares(ref, totals[0]), _shares(cur, totals[1])
    if ref_s is None or cur_s is None:
        return None
    top = max(*ref_s, *cur_s) * 1.1 or 1.0
    sy = Scale(0.0, top, 160, 10)
    slot = 570 / len(names)
    width = r1(min(slot * 0.38, 24))
    bars = []
    for i, name in enumerate(names):
        x = r1(60 + slot * i + slot / 2)
        bars.append((name, x, width, sy(ref_s[i]), sy(cur_s[i])))
    xticks = [(x, name) for name, x, *_ in bars]
    return Overlay(
        gate,
        column,
        "categorical",
        [],
        bars,
        sy(0),
        xticks,
        _pct_ticks(sy, top),
        _missing_note(data),
    )


def _pct_ticks(scale: Scale, top: float) -> list[tuple[float, str]]:
    from mlgate.report.geometry import nice_ticks

    return [(scale(v), f.pct(v, 0 if top > 0.05 else 1)) for v in nice_ticks(0.0, top, 4)]


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
    """Box-and-dot plots of the timing samples of performance gates that carry them.

    Only repeated measurements (more than one sample of a model) are a distribution, shown in
    the gate's own unit: a size is measured once per model and has its own chart (`sizes`)."""
    out = []
    for gate in report.gates:
        raw = gate.details.get("samples") if isinstance(gate.details, Mapping) else None
        if not isinstance(raw, Mapping):
            continue
        series = [(name, floats(raw.get(key))) for key, name in MODELS]
        present = [(name, s) for name, s in series if s]
        if not present or max(len(s) for _, s in present) < 2:
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
        out.append(Distribution(gate, gate.unit, boxes, scale.ticks(6, gate.unit)))
    return out


# --- sizes: one value per model, as bars from zero ----------------------------------------------


@dataclass(frozen=True)
class SizeBar:
    name: str  # "candidate" | "production"
    value: float
    bar: float  # x of the bar's end


@dataclass(frozen=True)
class Sizes:
    """A measured-once quantity (model size) of both models, bars from 0 on its own scale."""

    gate: GateResult
    bars: list[SizeBar]
    limit: float | None  # x of the allowed maximum
    ticks: list[tuple[float, str]]
    width: float = 640
    height: float = 96


def sizes(report: Report) -> list[Sizes]:
    """Performance gates measured once per model (model_size_mb): each model's value as a bar.

    Gates drawn as a distribution (`latency`) are left out."""
    spread = {d.gate.id for d in latency(report)}
    out = []
    for gate in report.gates:
        if gate.kind != "performance" or gate.id in spread or gate.unit != "MB":
            continue
        values = [(name, getattr(gate, key)) for key, name in MODELS]
        present = [(name, float(v)) for name, v in values if f.is_number(v)]
        if not present:
            continue
        limit = f.mapping(gate.threshold).get("max")
        top = max([v for _, v in present] + ([float(limit)] if f.is_number(limit) else []))
        scale = Scale(0.0, top * 1.08 or 1.0, 110, 630)
        bars = [SizeBar(name, v, scale(v)) for name, v in reversed(present)]
        mark = scale(float(limit)) if f.is_number(limit) else None
        out.append(Sizes(gate, bars, mark, scale.ticks(6, gate.unit)))
    return out
