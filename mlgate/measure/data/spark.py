"""The data gates on Spark (`engine: spark`): drift and schema from Spark aggregations.

Nothing here collects rows to this process: it collects quantile edges (`approxQuantile`), one
row of counts per frame (every column's bins in a single aggregation), and grouped counts of
categories. The scores are computed from those counts by the pandas engine's own numpy code
(`drift._binned`), so the engines agree up to the quantile error:

- binned methods (psi, js, chi2) on numbers: bin edges are the reference's quantiles from
  `approxQuantile` with relative error `REL_ERROR` (the pandas engine takes exact quantiles of
  at most 100,000 evenly spaced reference values): an edge's rank is within ±REL_ERROR·n of the
  exact one, so each bin's share moves by at most 2·REL_ERROR;
- ks and wasserstein: the two empirical CDFs at `GRID` reference-and-eval quantiles (bucket
  counts); the KS statistic is within the largest bucket's share (≈ 1/GRID + 2·REL_ERROR) of
  the exact one, the Wasserstein distance within Σ share × width of a bucket;
- categories (and numbers with at most `bins` distinct reference values) are counted exactly
  (grouped counts: as many rows as distinct values, refused above `MAX_CATEGORIES`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from mlgate.errors import MlgateError
from mlgate.load.spark import empty_like
from mlgate.load.spark import one_row as _one
from mlgate.load.spark import quote as _q
from mlgate.records import Measurement

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from pyspark.sql import Column, DataFrame

    from mlgate.config import DriftGate, SchemaGate
    from mlgate.load.inputs import Inputs
    from mlgate.measure.data.drift import Drift

REL_ERROR = 1e-4  # approxQuantile's relative rank error for bin edges
GRID = 1000  # quantiles per frame the ks / wasserstein CDFs are compared at
MAX_CATEGORIES = 100_000  # distinct values counted per column (each is a bin)


# --- context ------------------------------------------------------------------------------------


def engine_context(inputs: Inputs) -> dict[str, Any]:
    """`context.engine`: spark, its master and version (or the engine's error)."""
    from mlgate.load.spark import describe

    try:
        return describe(inputs.spark)
    except MlgateError as exc:
        return {"name": "spark", "error": exc.lines()[0]}


# --- schema -------------------------------------------------------------------------------------


def measure_schema(
    gate: SchemaGate, i: int, inputs: Inputs, make_id: Callable[[str], str]
) -> Measurement:
    """The schema gate on the Spark schemas (as the dtypes pandas would read them as)."""
    from mlgate.measure.data.columns import measure_schema as measure

    def frames() -> tuple[pd.DataFrame, pd.DataFrame | None]:
        reference = inputs.spark_reference
        return empty_like(inputs.spark_eval), (None if reference is None else empty_like(reference))

    return measure(gate, i, inputs, make_id, frames=frames)


def _numeric(kind: Any) -> bool:
    from pyspark.sql import types as T

    return isinstance(kind, (T.NumericType, T.TimestampType, T.TimestampNTZType)) and not (
        isinstance(kind, T.BooleanType)
    )


# --- drift --------------------------------------------------------------------------------------


def measure_drift(
    gate: DriftGate, i: int, inputs: Inputs, make_id: Callable[[str], str]
) -> list[Measurement]:
    """The drift gate on Spark: the same Measurements as `columns.measure_drift`."""
    from mlgate.measure.data import columns as pandas_side
    from mlgate.measure.data.drift import NUMERIC_ONLY, DriftError

    spec, where = gate.drift, inputs.loaded.where(f"gates.data[{i}].drift")
    prefix = gate.id or "data.drift"
    data = inputs.config.data
    try:
        reference, current = inputs.spark_reference, inputs.spark_eval
        if reference is None:
            raise MlgateError(f"{where}: needs data.reference")
        columns, absent = pandas_side._columns(gate, inputs, reference)
    except MlgateError as exc:
        return [
            Measurement(
                id=make_id(prefix),
                kind="data",
                name="drift",
                level=gate.level,
                error=exc.lines()[0],
            )
        ]
    scores: dict[str, float] = inputs.memo.setdefault(pandas_side.MEMO, {})
    out = [
        Measurement(
            id=make_id(f"{prefix}.{c}"),
            kind="data",
            name=f"{spec.method}({c})",
            level=gate.level,
            skipped=f"{c} is not in the reference {data.reference}, so its "
            "drift cannot be measured (the schema gate reports added columns)",
        )
        for c in absent
    ]
    present = [c for c in columns if c in current.columns and c in reference.columns]
    try:
        results = drifts(reference, current, present, method=spec.method, bins=spec.bins)
    except Exception as exc:  # Spark itself failed: every column of the gate errors (fail closed)
        from mlgate.load.spark import _first_line

        results = {
            c: MlgateError(f"Spark could not compute drift: {_first_line(exc)}") for c in present
        }
    for column in columns:
        gate_id = make_id(f"{prefix}.{column}")
        threshold = spec.thresholds.get(column, spec.max)
        base: dict[str, Any] = {
            "id": gate_id,
            "kind": "data",
            "name": f"{spec.method}({column})",
            "level": gate.level,
        }
        missing = next(
            (
                (f, frame)
                for f, frame in ((data.eval, current), (data.reference, reference))
                if column not in frame.columns
            ),
            None,
        )
        if missing is not None:
            out.append(
                Measurement(
                    **base,
                    error=f"{where}: column {column!r} is not in "
                    f"{missing[0]}{pandas_side._close(column, missing[1].columns)}",
                )
            )
            continue
        result = results[column]
        if isinstance(result, DriftError):
            numeric = _numeric(reference.schema[column].dataType) and _numeric(
                current.schema[column].dataType
            )
            if spec.columns == "*" and spec.method in NUMERIC_ONLY and not numeric:
                out.append(Measurement(**base, skipped=f"{column}: {result}"))
            else:
                out.append(Measurement(**base, error=f"{where}: {column}: {result}"))
            continue
        if isinstance(result, Exception):
            out.append(Measurement(**base, error=f"{where}: {column}: {result}"))
            continue
        scores.setdefault(column, result.score)
        out.append(
            Measurement(
                **base,
                thresholds={"max": threshold},
                higher_is_better=False,
                candidate=result.score,
                notes=pandas_side._notes(result),
                details=pandas_side._details(result, threshold),
            )
        )
    return out


def drifts(
    reference: DataFrame, current: DataFrame, columns: list[str], *, method: str, bins: int
) -> dict[str, Drift | Exception]:
    """The drift of each column (or the DriftError why not), in a few Spark jobs for all."""
    from mlgate.measure.data.drift import METHODS, NUMERIC_ONLY, DriftError

    if method not in METHODS:
        raise DriftError(f"unknown drift method {method!r}")
    out: dict[str, Drift | Exception] = {}
    numeric, categorical = [], []
    for column in columns:
        kinds = (reference.schema[column].dataType, current.schema[column].dataType)
        if all(_numeric(k) for k in kinds):
            numeric.append(column)
        elif method in NUMERIC_ONLY:
            out[column] = DriftError(
                f"{method} needs a numeric column; use psi, js or chi2 for categories"
            )
        else:
            categorical.append(column)
    sizes = _counts(reference), _counts(current)
    if numeric:
        out.update(_numeric_drifts(reference, current, numeric, method, bins, sizes))
    for column in categorical:
        out[column] = _guard(partial(_categorical, reference, current, column, method, sizes))
    return {c: out[c] for c in columns}


def _guard(compute: Callable[[], Drift]) -> Drift | Exception:
    from mlgate.measure.data.drift import DriftError

    try:
        return compute()
    except DriftError as exc:
        return exc


def _counts(frame: DataFrame) -> int:
    return int(frame.count())


def _value(column: str, kind: Any) -> Column:
    """A numeric column as double, NaN as missing (as pandas reads it), timestamps in seconds."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    col = F.col(_q(column))
    if isinstance(kind, (T.FloatType, T.DoubleType)):
        return F.when(F.isnan(col), F.lit(None)).otherwise(col).cast("double")
    if isinstance(kind, (T.TimestampType, T.TimestampNTZType)):
        return F.unix_micros(col.cast("timestamp")).cast("double")
    return col.cast("double")


def _numeric_frame(frame: DataFrame, columns: list[str]) -> DataFrame:
    names = [f"c{i}" for i in range(len(columns))]  # safe names for any column name
    return frame.select(
        *[_value(c, frame.schema[c].dataType).alias(n) for c, n in zip(columns, names, strict=True)]
    )


def _numeric_drifts(
    reference: DataFrame,
    current: DataFrame,
    columns: list[str],
    method: str,
    bins: int,
    sizes: tuple[int, int],
) -> dict[str, Drift | Exception]:
    import numpy as np
    from pyspark.sql import functions as F

    from mlgate.measure.data.drift import NUMERIC_ONLY, Drift, DriftError

    ref, cur = _numeric_frame(reference, columns), _numeric_frame(current, columns)
    names = ref.columns
    stats_frame = ref.agg(
        *[F.min(n).alias(f"min{n}") for n in names],
        *[F.max(n).alias(f"max{n}") for n in names],
        *[F.count(n).alias(f"n{n}") for n in names],
        *[F.stddev_pop(n).alias(f"sd{n}") for n in names],
    )
    stats = _one(stats_frame)
    cur_present = _one(cur.agg(*[F.count(n).alias(n) for n in names]))
    out: dict[str, Drift | Exception] = {}
    live: list[tuple[str, str]] = []
    for column, n in zip(columns, names, strict=True):
        if not stats[f"n{n}"]:
            out[column] = DriftError("the reference has no values in this column")
        elif method in NUMERIC_ONLY and not cur_present[n]:
            out[column] = DriftError("the eval data has no values in this column")
        else:
            live.append((column, n))
    if not live:
        return out
    if method in NUMERIC_ONLY:
        for column, n in live:
            sd = float(stats[f"sd{n}"] or 0.0)
            out[column] = _cdf_drift(ref.select(n), cur.select(n), column, method, sd, sizes)
        return out
    probs = list(np.linspace(0, 1, bins + 1)[1:-1])
    quantiles = ref.approxQuantile([n for _, n in live], probs, REL_ERROR)
    edges_of: dict[str, np.ndarray] = {}
    for (column, n), qs in zip(live, quantiles, strict=True):
        inner = np.unique(np.asarray(qs, dtype=float))
        lo, hi = float(stats[f"min{n}"]), float(stats[f"max{n}"])
        if inner.size < bins - 1:
            values = [
                r[0]
                for r in ref.select(n)
                .where(F.col(n).isNotNull())
                .distinct()
                .limit(bins + 1)
                .collect()
            ]
            if len(values) <= bins:  # few distinct values: by value, as the pandas engine
                out[column] = _guard(partial(_by_value, column, n, ref, cur, method, sizes))
                continue
        edges_of[n] = np.unique(np.r_[lo, inner, np.nextafter(hi, np.inf)])
    if edges_of:
        ref_counts, cur_counts = _histograms(ref, edges_of), _histograms(cur, edges_of)
        from mlgate.measure.data.drift import _binned

        for column, n in live:
            if n not in edges_of:
                continue
            try:
                score, p_value = _binned(ref_counts[n], cur_counts[n], method)
            except DriftError as exc:
                out[column] = exc
                continue
            out[column] = Drift(column, method, score, "numeric", *sizes, p_value=p_value)
    return out


def _bin_index(name: str, edges: np.ndarray) -> Column:
    """0 for x < edges[0], i for edges[i-1] <= x < edges[i], len(edges) above; +1 missing."""
    from pyspark.sql import functions as F

    col = F.col(name)
    expr = F.when(col.isNull(), F.lit(len(edges) + 1))
    for i, edge in enumerate(edges):
        expr = expr.when(col < F.lit(float(edge)), F.lit(i))
    return expr.otherwise(F.lit(len(edges)))


def _histograms(frame: DataFrame, edges_of: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Counts per bin of every column, in one aggregation (one pass over the frame)."""
    import numpy as np
    from pyspark.sql import functions as F

    binned = frame.select(*[_bin_index(n, e).alias(n) for n, e in edges_of.items()])
    exprs = [
        F.count(F.when(F.col(n) == k, 1)).alias(f"{n}_{k}")
        for n, e in edges_of.items()
        for k in range(len(e) + 2)
    ]
    row = _one(binned.agg(*exprs))
    return {
        n: np.asarray([int(row[f"{n}_{k}"]) for k in range(len(e) + 2)], dtype=np.int64)
        for n, e in edges_of.items()
    }


def _grouped(frame: DataFrame, column: Column, where: str) -> list[tuple[Any, int]]:
    """(value, count) per distinct value, nulls included; refused above MAX_CATEGORIES values."""
    from mlgate.measure.data.drift import DriftError

    rows = frame.groupBy(column.alias("v")).count().limit(MAX_CATEGORIES + 1).collect()
    if len(rows) > MAX_CATEGORIES:
        raise DriftError(
            f"more than {MAX_CATEGORIES:,} distinct values in the {where}: too many categories "
            "to bin on Spark"
        )
    return [(r["v"], int(r["count"])) for r in rows]


def _by_value(
    column: str,
    name: str,
    ref: DataFrame,
    cur: DataFrame,
    method: str,
    sizes: tuple[int, int],
) -> Drift:
    """Few distinct reference values: one bin per value, missing last, unseen values after."""
    import numpy as np
    from pyspark.sql import functions as F

    from mlgate.measure.data.drift import MAX_UNSEEN, Drift, _binned, _label

    ref_rows = dict(_grouped(ref, F.col(name), "reference"))
    cur_rows = dict(_grouped(cur, F.col(name), "eval data"))
    values = sorted(v for v in ref_rows if v is not None)
    new = sorted(v for v in cur_rows if v is not None and v not in ref_rows)
    new_counts = np.asarray([cur_rows[v] for v in new], dtype=np.int64)
    ref_counts = np.asarray(
        [ref_rows[v] for v in values] + [ref_rows.get(None, 0)] + [0] * len(new), dtype=np.int64
    )
    cur_counts = np.concatenate(
        [
            np.asarray([cur_rows.get(v, 0) for v in values] + [cur_rows.get(None, 0)], np.int64),
            new_counts,
        ]
    )
    score, p_value = _binned(ref_counts, cur_counts, method)
    order = np.argsort(-new_counts, kind="stable")
    return Drift(
        column,
        method,
        score,
        "numeric",
        *sizes,
        p_value=p_value,
        unseen=tuple(_label(new[i]) for i in order[:MAX_UNSEEN]),
        unseen_count=len(new),
        unseen_rows=int(new_counts.sum()),
    )


def _categorical(
    reference: DataFrame, current: DataFrame, column: str, method: str, sizes: tuple[int, int]
) -> Drift:
    """Grouped counts per category of both frames, scored by the pandas engine's code."""
    import numpy as np
    from pyspark.sql import functions as F

    from mlgate.measure.data.drift import MAX_UNSEEN, Drift, DriftError, _binned, _label

    if sizes[0] == 0:
        raise DriftError("the reference has no rows")

    same = reference.schema[column].dataType == current.schema[column].dataType

    def text(frame: DataFrame) -> Column:  # two types: compare as text (pandas: as objects)
        col = F.col(_q(column))
        return col if same else col.cast("string")

    ref_rows = dict(_grouped(reference, text(reference), "reference"))
    cur_rows = dict(_grouped(current, text(current), "eval data"))
    # first-seen order as pandas.factorize over reference then eval: reference values by count
    # is not that order, but the scores do not depend on bin order; unseen ones are sorted
    keys = list(ref_rows) + [k for k in cur_rows if k not in ref_rows]
    ref_counts = np.asarray([ref_rows.get(k, 0) for k in keys], dtype=np.int64)
    cur_counts = np.asarray([cur_rows.get(k, 0) for k in keys], dtype=np.int64)
    score, p_value = _binned(ref_counts, cur_counts, method)
    unseen = [k for k in keys if k not in ref_rows]
    unseen.sort(key=lambda k: (-cur_rows[k], str(k)))
    return Drift(
        column,
        method,
        score,
        "categorical",
        reference_rows=sizes[0],
        eval_rows=sizes[1],
        p_value=p_value,
        unseen=tuple(_label(k) for k in unseen[:MAX_UNSEEN]),
        unseen_count=len(unseen),
        unseen_rows=int(sum(cur_rows[k] for k in unseen)),
    )


def _cdf_drift(
    ref: DataFrame, cur: DataFrame, column: str, method: str, sd: float, sizes: tuple[int, int]
) -> Drift:
    """KS statistic or normalised Wasserstein distance from both CDFs on a quantile grid."""
    import numpy as np
    from pyspark.ml.feature import Bucketizer
    from scipy.stats import distributions

    from mlgate.measure.data.drift import Drift

    name = ref.columns[0]
    probs = list(np.linspace(0, 1, GRID + 1))
    grid = np.unique(
        np.r_[
            ref.approxQuantile(name, probs, REL_ERROR),
            cur.approxQuantile(name, probs, REL_ERROR),
        ]
    )
    splits = [-np.inf, *map(float, grid), np.inf]
    bucketizer = Bucketizer(splits=splits, inputCol=name, outputCol="b", handleInvalid="skip")

    def cdf(frame: DataFrame) -> tuple[np.ndarray, int]:
        counts = np.zeros(len(splits) - 1, dtype=np.int64)
        for row in bucketizer.transform(frame).groupBy("b").count().collect():
            counts[int(row["b"])] = int(row["count"])
        total = int(counts.sum())
        return np.cumsum(counts) / max(total, 1), total

    f_ref, n_ref = cdf(ref)
    f_cur, n_cur = cdf(cur)
    gap = np.abs(f_ref - f_cur)  # at each split point s_{i+1}: share of values < s_{i+1}
    if method == "ks":
        d = float(gap.max())
        en = np.sqrt(n_ref * n_cur / (n_ref + n_cur))
        p_value = float(distributions.kstwobign.sf(d * en))
        return Drift(column, method, d, "numeric", *sizes, p_value=p_value)
    widths = np.diff(grid)  # the buckets between grid points; the outer two are empty
    # on [g_j, g_j+1) each CDF is taken as its share below g_j+1 (gap[j + 1])
    distance = float(np.dot(gap[1 : widths.size + 1], widths)) if widths.size else 0.0
    return Drift(column, method, distance / sd if sd > 0 else distance, "numeric", *sizes)
