"""Segments of a slice column: its values, or bins of a numeric column (explicit edges or
quantiles).

Segment labels, which become gate ids `model.<metric>[<column>=<label>]`:
- a plain column: the value as text (`country=FR`); missing values are `(missing)`;
- explicit edges `bins: [0, 30, 50]`: `0-30`, `30-50` — each bin holds lo <= x < hi, the last
  one also its upper edge; values outside the edges are `<0` and `>50`;
- quantile bins `bins: 4`: `q1`..`q4` (stable ids whatever the data; the edges are in the gate's
  details and message).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MISSING_SLICE = "(missing)"


@dataclass(frozen=True)
class Segment:
    label: str
    rows: np.ndarray
    bounds: tuple[float, float] | None = None  # [lo, hi) of a bin


def _g(value: float) -> str:
    return f"{value:g}"


def labels_of(bins: list[float] | int | None) -> list[str] | None:
    """The segment labels bins can produce (None for an unbinned column: its values)."""
    if bins is None:
        return None
    if isinstance(bins, int):
        return [f"q{i + 1}" for i in range(bins)]
    edges = [float(e) for e in bins]
    inner = [f"{_g(lo)}-{_g(hi)}" for lo, hi in itertools.pairwise(edges)]
    return [*inner, f"<{_g(edges[0])}", f">{_g(edges[-1])}"]


def segments(values: pd.Series, bins: list[float] | int | None) -> list[Segment]:
    """The segments of one column, in order (sorted values, or bins low to high, then the rest).

    Raises ValueError when bins are asked of a column that is not numeric.
    """
    import numpy as np
    import pandas as pd

    if bins is None:
        labels = values.astype(object).where(values.notna(), MISSING_SLICE).astype(str).to_numpy()
        return [Segment(v, np.flatnonzero(labels == v)) for v in sorted(set(labels.tolist()))]
    numbers = pd.to_numeric(values, errors="coerce")
    if bool((numbers.isna() & values.notna()).any()) or values.dtype == bool:
        raise ValueError("bins need a numeric column")
    x = numbers.to_numpy(dtype=float)
    present = ~np.isnan(x)
    out: list[Segment] = []
    if isinstance(bins, int):
        if not present.any():
            edges: list[float] = []
        else:
            edges = sorted(set(np.quantile(x[present], np.linspace(0, 1, bins + 1)).tolist()))
        names = [f"q{i + 1}" for i in range(max(len(edges) - 1, 0))]
    else:
        edges = [float(e) for e in bins]
        names = [f"{_g(lo)}-{_g(hi)}" for lo, hi in itertools.pairwise(edges)]
    last = len(edges) - 2
    for i, name in enumerate(names):
        lo, hi = edges[i], edges[i + 1]
        inside = present & (x >= lo) & ((x <= hi) if i == last else (x < hi))
        out.append(Segment(name, np.flatnonzero(inside), (lo, hi)))
    if edges and not isinstance(bins, int):
        below, above = present & (x < edges[0]), present & (x > edges[-1])
        if below.any():
            out.append(Segment(f"<{_g(edges[0])}", np.flatnonzero(below)))
        if above.any():
            out.append(Segment(f">{_g(edges[-1])}", np.flatnonzero(above)))
    if (~present).any():
        out.append(Segment(MISSING_SLICE, np.flatnonzero(~present)))
    return out
