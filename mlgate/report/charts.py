"""Model charts for the HTML report: forest plot, curves, confusion matrices, regression.

Coordinates are computed here and drawn by the templates (mlgate/templates/_charts.html.j2).

Everything is in SVG user units of a fixed viewBox; the browser scales it. Diagnostics may be
absent, partial or malformed (another stage wrote them): what cannot be drawn is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlgate.records import GateResult, Report
from mlgate.report import filters as f
from mlgate.report import view
from mlgate.report.geometry import Scale, domain, floats, r1, thin

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
    bands: list[Series] = field(default_factory=list)  # shaded areas (closed polygons)


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


# --- regression: predicted vs actual, residuals, residuals by slice ------------------------------


def _regression(report: Report) -> Mapping[str, Any]:
    return f.mapping(f.mapping(report.diagnostics).get("regression"))


def predicted_vs_actual(report: Report) -> XYChart | None:
    """Mean prediction per bin of the actual value (candidate with its 10th–90th percentile
    band, production dashed) against the diagonal of perfect predictions."""
    data = _regression(report)
    actual = floats(f.mapping(data.get("actual")).get("mean"))
    predicted = f.mapping(data.get("predicted"))
    if not actual:
        return None
    found = []
    for model, name in MODELS:
        block = f.mapping(predicted.get(model))
        mean, p10, p90 = (floats(block.get(k)) for k in ("mean", "p10", "p90"))
        if mean and len(mean) == len(actual):
            band = (p10, p90) if p10 and p90 and len(p10) == len(p90) == len(actual) else None
            found.append((name, mean, band))
    if not found:
        return None
    values = list(actual)
    for _, mean, band in found:
        values += [*mean, *(band[0] + band[1] if band else [])]
    lo, hi = domain(values, pad=0.05)
    left, top, right, bottom = XYChart.plot
    sx, sy = Scale(lo, hi, left, right), Scale(lo, hi, bottom, top)
    series, bands, legend = [], [], []
    for name, mean, band in found:
        points = [(sx(x), sy(y)) for x, y in zip(actual, mean, strict=True)]
        series.append(Series(name, " ".join(f"{x},{y}" for x, y in points), points))
        if band is not None and name == "candidate":
            upper = [f"{sx(x)},{sy(y)}" for x, y in zip(actual, band[1], strict=True)]
            lower = [f"{sx(x)},{sy(y)}" for x, y in zip(actual, band[0], strict=True)]
            bands.append(Series(name, " ".join(upper + lower[::-1])))
        legend.append((name, name))
    return XYChart(
        key="predicted",
        title="Predicted vs actual",
        xlabel="actual (mean per bin)",
        ylabel="predicted (mean per bin)",
        series=series,
        legend=legend,
        diagonal=f"{sx(lo)},{sy(lo)} {sx(hi)},{sy(hi)}",
        xticks=sx.ticks(5),
        yticks=sy.ticks(5),
        bands=bands,
    )


@dataclass(frozen=True)
class Histogram:
    """Residual histograms of candidate and production, as step lines on shared bins."""

    series: list[Series]
    ticks: list[tuple[float, str]]
    zero: float | None = None  # x of residual 0
    width: float = 640
    height: float = 180


def residuals(report: Report) -> Histogram | None:
    """Residual (predicted − actual) distributions on the shared bins of the diagnostics."""
    data = f.mapping(_regression(report).get("residuals"))
    edges = floats(data.get("edges"))
    if not edges or len(edges) < 2:
        return None
    counts = []
    for model, name in MODELS:
        values = floats(data.get(model))
        if values and len(values) == len(edges) - 1 and sum(values) > 0:
            counts.append((name, [c / sum(values) for c in values]))
    if not counts:
        return None
    lo, hi = edges[0], edges[-1]
    sx = Scale(lo, hi, 50, 630)
    sy = Scale(0, max(max(c) for _, c in counts) * 1.1, 160, 10)
    series = []
    for name, shares in counts:
        points = [f"{sx(lo)},{sy(0)}"]
        for i, share in enumerate(shares):
            points += [f"{sx(edges[i])},{sy(share)}", f"{sx(edges[i + 1])},{sy(share)}"]
        points.append(f"{sx(hi)},{sy(0)}")
        series.append(Series(name, " ".join(points)))
    return Histogram(series, sx.ticks(7), zero=sx(0.0) if lo < 0 < hi else None)


@dataclass(frozen=True)
class ResidualBox:
    name: str  # "candidate" | "production"
    y: float
    low: float  # x of the 5th, 25th, 50th, 75th, 95th percentiles
    q1: float
    median: float
    q3: float
    high: float


@dataclass(frozen=True)
class ResidualSegment:
    value: str
    rows: int | None
    boxes: list[ResidualBox]
    median: str  # the candidate's median residual, as text


@dataclass(frozen=True)
class ResidualSlices:
    """Residuals per segment of one slice column, both models on one scale."""

    column: str
    segments: list[ResidualSegment]
    ticks: list[tuple[float, str]]
    zero: float | None
    width: float = 300
    height: float = 30


def residual_slices(report: Report) -> list[ResidualSlices]:
    """Box plots of each model's residuals per slice segment (regression with slice gates)."""
    out = []
    raw = _regression(report).get("slices")
    for block in raw if isinstance(raw, list) else []:
        block = f.mapping(block)
        parts = block.get("segments")
        found: list[tuple[Mapping[str, Any], list[tuple[str, list[float]]]]] = []
        for part in parts if isinstance(parts, list) else []:
            part = f.mapping(part)
            five = []
            for model, name in MODELS:
                q = floats(part.get(model))
                if q and len(q) == 5:
                    five.append((name, q))
            if five:
                found.append((part, five))
        if not found:
            continue
        values = [v for _, five in found for _, q in five for v in q]
        lo, hi = domain([*values, 0.0], pad=0.05)
        scale = Scale(lo, hi, 8, 292)
        segments = []
        for part, five in found:
            boxes = [
                ResidualBox(name, 9.0 + 12 * i, *(scale(v) for v in q))
                for i, (name, q) in enumerate(five)
            ]
            n = part.get("rows")
            segments.append(
                ResidualSegment(
                    value=f.clip(part.get("value"), 60),
                    rows=int(n) if f.is_number(n) else None,
                    boxes=boxes,
                    median=f.signed(five[0][1][2]),
                )
            )
        out.append(
            ResidualSlices(
                column=f.clip(block.get("column"), 80),
                segments=segments,
                ticks=scale.ticks(5),
                zero=scale(0.0),
            )
        )
    return out


# --- trends: each model gate's production values over the merges, the candidate last -----------


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    lo: float | None  # the value's interval, when recorded
    hi: float | None
    label: str  # tooltip: value, commit, date
    kind: str  # "production" | "other" (another eval data set: listed, not used) | "candidate"


@dataclass(frozen=True)
class Trend:
    """A gate's history as a small chart: production values, the best, the candidate last."""

    gate: GateResult
    points: list[TrendPoint]
    line: str  # polyline through the same-eval production values
    best: float | None  # y of the best production value compared with (from-best gates)
    limit: float | None  # y of the worst value the from-best tolerance allows
    yticks: list[tuple[float, str]] = field(default_factory=list)
    width: float = 320
    height: float = 150
    plot: tuple[float, float, float, float] = (52, 10, 310, 132)  # left, top, right, bottom


def trends(report: Report) -> list[Trend]:
    """One chart per model gate that carries a history (report.json `history`)."""
    out = []
    for gate in view.ordered(report.gates):
        if gate.kind != "model" or not gate.history:
            continue
        history = [p for p in gate.history if f.is_number(p.value)]
        if not history:
            continue
        values: list[float] = [float(p.value or 0.0) for p in history]
        for p in history:
            values.extend((floats(list(p.interval)) if p.interval else None) or [])
        cand_ci = _candidate_interval(gate)
        if f.is_number(gate.candidate):
            values.append(float(gate.candidate or 0.0))
        values.extend(cand_ci or [])
        details = gate.details if isinstance(gate.details, Mapping) else {}
        best = details.get("best")
        limit = None
        allowed = details.get("from_best_allowed")
        if f.is_number(best) and f.is_number(allowed):
            sign = 1.0 if view.higher_is_better(gate) else -1.0
            limit = float(best) - sign * float(allowed)
            values.append(limit)
        left, top, right, bottom = Trend.plot
        lo, hi = domain(values, pad=0.08)
        y = Scale(lo, hi, bottom, top)
        count = len(history) + (1 if f.is_number(gate.candidate) else 0)
        step = (right - left - 16) / max(count - 1, 1)
        points = []
        for i, p in enumerate(history):
            ci = floats(list(p.interval)) if p.interval else None
            when = " ".join(x for x in (f.clip(p.commit, 12), (p.date or "")[:10]) if x)
            points.append(
                TrendPoint(
                    x=r1(left + 8 + i * step),
                    y=y(float(p.value or 0.0)),
                    lo=y(ci[0]) if ci and len(ci) == 2 else None,
                    hi=y(ci[1]) if ci and len(ci) == 2 else None,
                    label=f"{f.num(p.value, gate.unit)} {when}".strip(),
                    kind="production" if p.same_eval else "other",
                )
            )
        if f.is_number(gate.candidate):
            points.append(
                TrendPoint(
                    x=r1(left + 8 + len(history) * step),
                    y=y(float(gate.candidate or 0.0)),
                    lo=y(cand_ci[0]) if cand_ci else None,
                    hi=y(cand_ci[1]) if cand_ci else None,
                    label=f"candidate {f.num(gate.candidate, gate.unit)}",
                    kind="candidate",
                )
            )
        line = " ".join(f"{p.x},{p.y}" for p in points if p.kind == "production")
        out.append(
            Trend(
                gate=gate,
                points=points,
                line=line,
                best=y(float(best)) if f.is_number(best) else None,
                limit=y(limit) if limit is not None else None,
                yticks=y.ticks(4, gate.unit),
            )
        )
    return out


def _candidate_interval(gate: GateResult) -> list[float] | None:
    """The candidate's value interval: production plus the interval of the paired change."""
    ci = floats(list(gate.ci)) if gate.ci else None
    if not ci or len(ci) != 2 or not f.is_number(gate.baseline):
        return None
    return [float(gate.baseline or 0.0) + ci[0], float(gate.baseline or 0.0) + ci[1]]


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(gate: GateResult, limit: int = 24) -> str:
    """The gate's last `limit` same-eval production values and the candidate, as ▁▂▃…█."""
    values = [float(p.value or 0.0) for p in gate.history if p.same_eval and f.is_number(p.value)]
    values = values[-limit:]
    if f.is_number(gate.candidate):
        values.append(float(gate.candidate or 0.0))
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARK[3] * len(values)
    return "".join(SPARK[round((v - lo) / (hi - lo) * (len(SPARK) - 1))] for v in values)
