"""Plot geometry: data values to SVG user units, round ticks, thinned curves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.report import filters as f

MAX_POINTS = 300  # per curve: enough for the shape, keeps report.html small


def floats(values: Any) -> list[float] | None:
    """A list of finite numbers, or None when `values` is not one."""
    if not isinstance(values, (list, tuple)) or not values:
        return None
    if not all(f.is_number(v) for v in values):
        return None
    return [float(v) for v in values]


def r1(x: float) -> float:
    """A coordinate rounded to 0.1 unit (keeps the SVG text short)."""
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
        return r1(self.start + share * (self.end - self.start))

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
