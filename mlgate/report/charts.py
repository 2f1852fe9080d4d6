"""Chart geometry for the HTML report: plain coordinates, computed here, drawn by the templates.

Everything is in SVG user units of a fixed viewBox; the browser scales it. Diagnostics may be
absent, partial or malformed (another stage wrote them): what cannot be drawn is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlgate.records import GateResult, Report
from mlgate.report import filters as f
from mlgate.report import view

MAX_POINTS = 300  # per curve: enough for the shape, keeps report.html small
MAX_DOTS = 150  # sample dots per latency row


def floats(values: Any) -> list[float] | None:
    """A list of finite numbers, or None when `values` is not one."""
    if not isinstance(values, (list, tuple)) or not values:
        return None
    if not all(f.is_number(v) for v in values):
        return None
    return [float(v) for v in values]


def _r(x: float) -> float:
    return round(x, 1)


@dataclass(frozen=True)
class Scale:
    """Maps data values [lo, hi] onto SVG positions [start, end] (end < start flips, for y)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        share = (value - self.lo) / (self.hi - self.lo) if self.hi != self.lo else 0.5
        share = min(max(share, -0.02), 1.02)  # a stray value stays at the edge, not off-canvas
        return _r(self.start + share * (self.end - self.start))

    def ticks(self, count: int = 5, unit: str = "") -> list[tuple[float, str]]:
        """(position, label) of round values inside the domain."""
        return [(self(v), f.num(v, unit)) for v in nice_ticks(self.lo, self.hi, count)]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 × 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12) + 0.0)
        value += step
    return ticks


def domain(values: Sequence[float], pad: float = 0.08) -> tuple[float, float]:
    """A padded [lo, hi] holding every value (a flat domain gets some width)."""
    lo, hi = min(values), max(values)
    if hi == lo:
        width = abs(lo) * 0.1 or 1.0
        return lo - width, hi + width
    span = hi - lo
    return lo - span * pad, hi + span * pad


def thin(xs: list[float], ys: list[float], limit: int = MAX_POINTS) -> list[tuple[float, float]]:
    """At most `limit` points of a curve, evenly strided, first and last kept."""
    pairs = list(zip(xs, ys, strict=False))
    if len(pairs) <= limit:
        return pairs
    step = (len(pairs) - 1) / (limit - 1)
    return [pairs[round(i * step)] for i in range(limit)]


# --- forest plot: one row per gate with a delta, each on its own scale ---------------------------


@dataclass(frozen=True)
class Interval:
    """A row of the forest plot: the delta, its interval, no-change and the allowed limit."""

    gate: GateResult
    point: float
    lo: float | None
    hi: float | None
    zero: float
    limit: float | None
    bad: tuple[float, float] | None  # x range beyond the allowed limit
    width: float = 300
    height: float = 22


def forest(report: Report) -> list[Interval]:
    """Rows for every gate that has a change vs production."""
    rows = []
    for gate in view.ordered(report.gates):
        if not f.is_number(gate.delta):
            continue
        ci = floats(list(gate.ci)) if gate.ci else None
        ci = ci if ci and len(ci) == 2 else None
        allowed = view.allowed_change(gate)
        worse_up = not view.higher_is_better(gate)
        limit = None if allowed is None else (allowed if worse_up else -allowed)
        values = [0.0, float(gate.delta), *(ci or []), *([limit] if limit is not None else [])]
        lo, hi = domain(values, pad=0.12)
        scale = Scale(lo, hi, 8, 292)
        bad = None
        if limit is not None:
            bad = (scale(limit), 292.0) if worse_up else (8.0, scale(limit))
        rows.append(
            Interval(
                gate=gate,
                point=scale(float(gate.delta)),
                lo=scale(ci[0]) if ci else None,
                hi=scale(ci[1]) if ci else None,
                zero=scale(0.0),
                limit=scale(limit) if limit is not None else None,
                bad=bad,
            )
        )
    return rows


# --- XY curves: ROC, PR, calibration -------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One polyline of an XY chart."""

    name: str  # "candidate" | "production"
    points: str  # "x,y x,y ..."
    dots: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class XYChart:
    """A square-ish chart on [0, 1] × [0, 1] (all three curve kinds live there)."""

    key: str
    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    legend: list[tuple[str, str]]  # (series name, label)
    diagonal: str | None = None
    xticks: list[tuple[float, str]] = field(default_factory=list)
    yticks: list[tuple[float, str]] = field(default_factory=list)
    width: float = 320
    height: float = 270
    plot: tuple[float, float, float, float] = (46, 12, 308, 226)  # left, top, right, bottom


# kind: (title, x key, y key, x label, y label, diagonal, dots)
CURVES = {
    "roc": (
        "ROC curve",
        "fpr",
        "tpr",
        "false positive rate",
        "true positive rate",
        "rising",
        False,
    ),
    "pr": ("Precision–recall", "recall", "precision", "recall", "precision", None, False),
    "calibration": (
        "Calibration",
        "mean_predicted",
        "fraction_positive",
        "mean predicted probability",
        "fraction of positives",
        "rising",
        True,
    ),
}
MODELS = (("candidate", "candidate"), ("baseline", "production"))


def curves(report: Report) -> list[XYChart]:
    """ROC, PR and calibration charts, candidate vs production, for what the report has."""
    raw = report.diagnostics.get("curves") if isinstance(report.diagnostics, Mapping) else None
    if not isinstance(raw, Mapping):
        return []
    charts = []
    for key, (title, xk, yk, xlabel, ylabel, diagonal, dots) in CURVES.items():
        left, top, right, bottom = XYChart.plot
        sx, sy = Scale(0, 1, left, right), Scale(0, 1, bottom, top)
        series, legend = [], []
        for model, name in MODELS:
            data = f.mapping(raw.get(model))
            curve = data.get(key) if isinstance(data.get(key), Mapping) else None
            if curve is None:
                continue
            xs, ys = floats(curve.get(xk)), floats(curve.get(yk))
            if not xs or not ys:
                continue
            pairs = thin(xs[: len(ys)], ys[: len(xs)])
            points = [(sx(x), sy(y)) for x, y in pairs]
            series.append(
                Series(name, " ".join(f"{x},{y}" for x, y in points), points if dots else [])
            )
            label = name
            auc = curve.get("auc", curve.get("ap"))
            if f.is_number(auc):
                label += f" ({'AUC' if key == 'roc' else 'AP'} {f.num(auc)})"
            legend.append((name, label))
        if not series:
            continue
        ticks = [(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1)]
        charts.append(
            XYChart(
                key=key,
                title=title,
                xlabel=xlabel,
                ylabel=ylabel,
                series=series,
                legend=legend,
                diagonal=f"{left},{bottom} {right},{top}" if diagonal else None,
                xticks=[(sx(v), t) for v, t in ticks],
                yticks=[(sy(v), t) for v, t in ticks],
            )
        )
    return charts


# --- confusion matrices --------------------------------------------------------------------------


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix: counts and a shade per cell (share of its true-class row)."""

    name: str
    classes: list[str]
    rows: list[list[tuple[int, float]]]  # (count, share of row 0..1)
    total: int


def confusions(report: Report) -> list[Confusion]:
    """Confusion matrices of candidate and production (rows: true class, columns: predicted)."""
    diag = f.mapping(report.diagnostics)
    raw = f.mapping(diag.get("curves"))
    out = []
    for model, name in MODELS:
        data = f.mapping(raw.get(model))
        matrix = data.get("confusion")
        if not isinstance(matrix, list) or not matrix:
            continue
        rows = [floats(r) for r in matrix]
        size = len(rows)
        if any(r is None or len(r) != size for r in rows):
            continue
        found = diag.get("classes")
        classes = found if isinstance(found, list) else []
        labels = (
            [f.clip(c, 40) for c in classes]
            if len(classes) == size
            else [str(i) for i in range(size)]
        )
        shaded = []
        for row in rows:
            assert row is not None
            total = sum(row) or 1.0
            shaded.append([(int(v), round(v / total, 3)) for v in row])
        out.append(Confusion(name, labels, shaded, int(sum(sum(r or []) for r in rows))))
    return out


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
            dots = [(scale(v), _r(y - 9 + (j * 7919 % 19))) for j, v in enumerate(samples[::step])]
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


# --- regression residuals ------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """Residual histograms of candidate and production, as step lines on shared bins."""

    series: list[Series]
    ticks: list[tuple[float, str]]
    width: float = 640
    height: float = 180


def residuals(report: Report, bins: int = 30) -> Histogram | None:
    """Residual distributions (regression), when the diagnostics carry plain lists of numbers."""
    raw = report.diagnostics.get("curves") if isinstance(report.diagnostics, Mapping) else None
    if not isinstance(raw, Mapping):
        return None
    data = []
    for model, name in MODELS:
        block = f.mapping(raw.get(model))
        values = floats(block.get("residuals"))
        if values:
            data.append((name, values))
    if not data:
        return None
    lo, hi = domain([v for _, vs in data for v in vs], pad=0.02)
    width = (hi - lo) / bins
    counts = []
    for name, values in data:
        hist = [0] * bins
        for v in values:
            hist[min(int((v - lo) / width), bins - 1)] += 1
        counts.append((name, [c / len(values) for c in hist]))
    sx = Scale(lo, hi, 50, 630)
    sy = Scale(0, max(max(c) for _, c in counts) * 1.1, 160, 10)
    series = []
    for name, shares in counts:
        points = [f"{sx(lo)},{sy(0)}"]
        for i, share in enumerate(shares):
            left, right = sx(lo + i * width), sx(lo + (i + 1) * width)
            points += [f"{left},{sy(share)}", f"{right},{sy(share)}"]
        points.append(f"{sx(hi)},{sy(0)}")
        series.append(Series(name, " ".join(points)))
    return Histogram(series, sx.ticks(7))
