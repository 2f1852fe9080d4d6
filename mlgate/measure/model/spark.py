"""The model gates on Spark (`engine: spark`): predictions in Spark batches, paired statistics
aggregated distributively, the same Measurements as the pandas engine (docs/spark.md).

- predictions: one `mapInPandas` pass scores both models (their files broadcast once, loaded by
  the same safe loaders on each worker), a predictions file is read by Spark and joined on
  `data.id`; the scores stay columns of a persisted Spark frame;
- decomposable metrics (accuracy, log loss, Brier, squared/absolute/percentage error):
  FINISH(mean per-row loss), the se from the per-row paired differences (exact decimal sums of
  the losses, their squares and products), as the pandas engine's large-n path;
- confusion-matrix metrics: counts per (slice, truth, candidate, baseline label); the interval
  from the pandas engine's draws of those cell counts (up to 16 labels), else from the cells
  weighted by a hash-seeded Poisson bootstrap (`poisson_draws`: the weights are a function of
  the row key hash, the draw and the seed; integer sums);
- binary ROC AUC: DeLong from ranks computed in Spark (`_auc_stats`); multiclass ROC AUC
  (ovr/ovo) from ranks per class or pair (`_multiclass_auc_stats`); average precision, r2-like
  sums and the median/max error from ranks and sums as docs/spark.md tabulates;
- slices by a `_g` group column (values, explicit or quantile bins), Holm in compare as today;
- the rest (scikit-learn scorer names, `module:function`, `params:`): the pandas engine's code
  on a seeded sample of at most policy.max_bootstrap_rows rows per group (`_sample_stats`: all
  of them when the group is no larger), said in the gate's notes.

The older building blocks below are what the Spark-side sums were first built from:

- `poisson_weights`: B bootstrap weight columns, each Poisson(1) drawn from a hash of the row's
  content and the seed (never the partition id or row order), so the same rows give the same
  weights in any partitioning and any run;
- `paired_sums`: Σd, Σd², n and the B weighted sums Σw_b·d, Σw_b in one aggregation, summed as
  DECIMAL(38,18) so the totals are exact (a float sum depends on the order partitions add up).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from mlgate.load.spark import quote as _q
from mlgate.measure.model import prepare
from mlgate.records import Measurement

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    from pyspark.sql import Column, DataFrame

    from mlgate.load.inputs import Inputs

EXACT = "decimal(38,18)"
MAX_WEIGHT = 12  # P(Poisson(1) > 12) < 1e-10: weights above it are cut at 12
_SCALE = float(2**63)


def _poisson_cdf() -> list[float]:
    """P(K <= k) for Poisson(1), k = 0..MAX_WEIGHT-1 (the inverse-CDF thresholds)."""
    total, term, out = 0.0, math.exp(-1.0), []
    for k in range(MAX_WEIGHT):
        total += term
        out.append(total)
        term /= k + 1
    return out


def poisson_weights(key: list[Column], seed: int, draws: int) -> list[Column]:
    """`draws` Poisson(1) weight columns from a hash of `key` (the row's content or id) and seed.

    u = |xxhash64(seed, b, key...)| / 2^63 is uniform on [0, 1); the weight is the number of
    Poisson(1) CDF thresholds below u (inverse-CDF sampling): a pure function of the row.
    """
    from pyspark.sql import functions as F

    thresholds = _poisson_cdf()
    out = []
    for b in range(draws):
        u = F.abs(F.xxhash64(F.lit(seed), F.lit(b), *key).cast("double")) / F.lit(_SCALE)
        weight = F.lit(0)
        for t in thresholds:
            weight = weight + F.when(u >= F.lit(t), 1).otherwise(0)
        out.append(weight.alias(f"w{b}"))
    return out


@dataclass(frozen=True)
class PairedSums:
    """Exact sums of the per-row paired differences d (candidate loss − baseline loss...)."""

    n: int
    total: float
    squares: float
    weighted: np.ndarray  # Σ w_b·d per bootstrap draw
    weights: np.ndarray  # Σ w_b per draw

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def se(self) -> float:
        """Standard error of the mean difference (sample variance, ddof=1)."""
        var = (self.squares - self.total**2 / self.n) / max(self.n - 1, 1)
        return math.sqrt(max(var, 0.0) / self.n)

    def replicates(self) -> np.ndarray:
        """The bootstrap replicates of the mean difference."""
        import numpy as np

        with np.errstate(invalid="ignore", divide="ignore"):
            out: np.ndarray = self.weighted / self.weights
        return out


def paired_sums(
    frame: DataFrame, diff: str, key: list[str], *, seed: int, draws: int
) -> PairedSums:
    """One aggregation over `frame`: n, Σd, Σd², and per draw Σw·d and Σw (exact decimals)."""
    import numpy as np
    from pyspark.sql import functions as F

    d = F.col(diff).cast("double")
    weights = poisson_weights([F.col(k) for k in key], seed, draws)
    exprs = [
        F.count(F.lit(1)).alias("n"),
        F.sum(d.cast(EXACT)).alias("s"),
        F.sum((d * d).cast(EXACT)).alias("ss"),
    ]
    for b, w in enumerate(weights):
        exprs.append(F.sum((w * d).cast(EXACT)).alias(f"sw{b}"))
        exprs.append(F.sum(w).alias(f"w{b}"))
    row = frame.agg(*exprs).first()
    if row is None:  # an aggregation without groups always has one row
        raise ValueError("Spark returned no row for an aggregation")
    return PairedSums(
        n=int(row["n"]),
        total=float(row["s"]),
        squares=float(row["ss"]),
        weighted=np.asarray([float(row[f"sw{b}"]) for b in range(draws)]),
        weights=np.asarray([float(row[f"w{b}"]) for b in range(draws)]),
    )


# ================================================================ the model gates on Spark

ROWS_LOSSES = ("zero_one", "log_loss", "brier", "squared", "absolute", "ape")
MAX_LABELS = 10_000  # distinct labels read to tell the task and the positive class
ERROR_TAG = "MLGATE-ERROR:"  # how a worker's MlgateError reaches the driver's message
# per Python worker: the models of the broadcast it last scored, by the driver's token (a worker
# process outlives a run: id() of a freed broadcast is reused, a token is not)
_LOADED: dict[tuple[str, str], Any] = {}


@dataclass
class Scored:
    """The eval rows with both models' predictions as columns (persisted in Spark)."""

    frame: DataFrame  # _h (row key hash), _y, slice columns, _cl/_cp, _bl/_bp
    task: str
    pos: Any  # binary: the positive class
    has_base: bool
    y_type: Any  # the target's Spark type
    # multiclass: per model tag, the classes (sorted) of its probability columns _{tag}q{j}
    labels: dict[str, list[Any]] = field(default_factory=dict)
    # multiclass: the tags of models with more than MAX_CLASSES classes (no probability columns)
    many: dict[str, int] = field(default_factory=dict)


def measure_model(inputs: Inputs) -> list[Measurement]:
    """`gates.model` on engine: spark: the same Measurements as the pandas engine's kind."""
    from mlgate.errors import ConfigError
    from mlgate.records import RELATIVE_KEYS

    config = inputs.config
    scored = _scored(inputs)
    out: list[Measurement] = []
    for i, (base_id, gate) in enumerate(prepare.base_ids(config.gates.model)):
        key = f"gates.model[{i}]"
        metric = prepare.resolve(gate, scored.task, inputs, key)
        if scored.task == "binary" and metric.pos_label is None:
            metric = replace(metric, pos_label=scored.pos)  # the pandas engine's bind()
        prepare.check_direction(gate, metric, inputs, key)
        relative = any(getattr(gate, k) is not None for k in RELATIVE_KEYS)
        if relative and not scored.has_base:
            raise ConfigError(
                f"{inputs.loaded.where(key)}: {gate.metric} has a relative threshold "
                "(max_drop/max_increase) but there is no production baseline",
                hint="set models.baseline, or pass --baseline SPEC",
            )
        out.extend(_measure_gate(base_id, gate, metric, scored, inputs, key))
    return out


def _supported(metric: Any, task: str) -> bool:
    family = (metric.family or "").split(":")
    if metric.source != "registry":
        return False
    if family[0] == "rows":
        return family[1] in ROWS_LOSSES
    # rank: average precision (binary) and multiclass ROC AUC; binary ROC AUC is "auc"
    return family[0] in ("confusion", "sums", "order", "rank") or (
        family[0] == "auc" and task == "binary"
    )


# --- predictions --------------------------------------------------------------------------


def _scored(inputs: Inputs) -> Scored:
    """Predict with both models in one mapInPandas pass (models broadcast once), memoised."""
    if "model.spark.scored" in inputs.memo:
        return inputs.memo["model.spark.scored"]  # type: ignore[no-any-return]
    import numpy as np
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from mlgate.errors import InputError
    from mlgate.load.inputs import infer_task
    from mlgate.load.spark import empty_like

    config = inputs.config
    frame = inputs.spark_eval
    target, features = inputs.target, inputs.features
    where_target = inputs.loaded.where("data.target")
    missing = frame.filter(F.col(_q(target)).isNull()).count()
    if missing:
        raise InputError(f"{where_target}: {missing} eval rows have no label in column {target!r}")
    seen = [r[0] for r in frame.select(target).distinct().limit(MAX_LABELS + 1).collect()]
    y_values = np.asarray(sorted(seen, key=_order))
    candidate, baseline = inputs.candidate, inputs.baseline
    configured = config.models.task if config.models else None
    task: str = configured or infer_task(y_values, candidate)
    X = empty_like(frame.select(*[_q(c) for c in features]))
    for model, key in ((candidate, "models.candidate"), (baseline, "models.baseline")):
        if model is not None and not _is_file(model):
            prepare.check_model(model, X, inputs, key, task)
    pos = _positive(config.models.pos_label if config.models else None, candidate, y_values)
    y_type = frame.schema[target].dataType
    label_type = T.DoubleType() if task == "regression" else y_type
    slices = sorted({g.slice_column for g in config.gates.model if g.slice_column} - {target})
    slices = [c for c in slices if c in frame.columns]
    id_col = config.data.id
    key_cols = [id_col] if id_col and id_col in frame.columns else list(frame.columns)
    fields = [
        T.StructField("_h", T.LongType()),
        T.StructField("_y", y_type),
        *[T.StructField(c, frame.schema[c].dataType) for c in slices],
    ]
    models = {"c": candidate, "b": baseline}
    rows = frame.select(
        F.xxhash64(*[F.col(_q(c)) for c in key_cols]).alias("_h"),
        F.col(_q(target)).alias("_y"),
        *[F.col(_q(c)) for c in dict.fromkeys([*slices, *features])],
        *([F.col(_q(id_col)).alias("_id")] if id_col and id_col in frame.columns else []),
    )
    in_udf = {t: m for t, m in models.items() if m is not None and not _is_file(m)}
    known = {t: _classes(m) for t, m in in_udf.items()} if task == "multiclass" else {}
    labels = {t: v for t, v in known.items() if v is not None}
    for tag in in_udf:
        fields.append(T.StructField(f"_{tag}l", label_type))
        fields.append(T.StructField(f"_{tag}p", T.DoubleType()))
        fields += [
            T.StructField(f"_{tag}q{j}", T.DoubleType()) for j in range(len(labels.get(tag, [])))
        ]
    if id_col and id_col in frame.columns:
        fields.append(T.StructField("_id", frame.schema[id_col].dataType))
    spark = inputs.spark
    shipped = spark.sparkContext.broadcast(
        (uuid.uuid4().hex, {t: _shippable(m) for t, m in in_udf.items()})
    )
    predict = partial(
        _predict_batches,
        shipped=shipped,
        features=features,
        task=task,
        pos=pos,
        labels=labels,
        keep=[f.name for f in fields if not f.name.startswith(PREDICTED)],
    )
    out = rows.mapInPandas(predict, T.StructType(fields)) if in_udf else rows
    for tag, model in models.items():
        if model is not None and _is_file(model):
            out = _join_predictions(inputs, out, model, tag, task, pos, label_type)
    # on disk only: its size grows with the rows, and in local mode the executors' storage
    # memory is the driver's heap (a 1 GB driver ran out of heap caching 24M scored rows while
    # reading 128 MB Parquet row groups); every gate then reads it back from local disk
    scored = out.persist(StorageLevel.DISK_ONLY)
    inputs.held.append(scored)
    try:
        counts = scored.groupBy("_y", *[f"_{t}l" for t in models if models[t]]).count().collect()
    except Exception as exc:
        raise _worker_error(exc) from None
    for tag, key in (("c", "models.candidate"), ("b", "models.baseline")):
        if models[tag] is None or task == "regression":
            continue
        truth = {r["_y"] for r in counts}
        predicted = {r[f"_{tag}l"] for r in counts}
        if truth and predicted and not truth & predicted:

            def show(values: set[Any]) -> str:
                return ", ".join(repr(v) for v in sorted(values, key=str)[:4])

            raise InputError(
                f"{inputs.loaded.where(key)}: its predicted labels ({show(predicted)}) share "
                f"none with the labels in column {target!r} ({show(truth)})",
                hint="was it trained on a differently encoded target?",
            )
    if task == "binary" and config.models is not None and config.models.pos_label is None:
        classes = candidate.classes
        if classes is None or len(classes) != 2:  # the pandas rule: labels and predictions seen
            both = {r["_y"] for r in counts} | {r["_cl"] for r in counts}
            pos = 1 if both <= {0, 1} else sorted(both, key=_order)[-1]
    many = {
        t: k for t, m in in_udf.items() if t not in labels and (k := _class_count(m)) > MAX_CLASSES
    }
    result = Scored(scored, task, pos, baseline is not None, y_type, labels, many)
    inputs.memo["model.spark.scored"] = result
    return result


def _order(value: Any) -> Any:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def _positive(configured: Any, model: Any, y_values: Any) -> Any:
    """The binary positive class as the pandas engine picks it (pos_label, classes, labels)."""
    if configured is not None:
        return configured
    classes = model.classes
    if classes is not None and len(classes) == 2:
        return classes[1].item() if hasattr(classes[1], "item") else classes[1]
    values = set(y_values.tolist())
    return 1 if values <= {0, 1} else sorted(values, key=_order)[-1] if values else 1


MAX_CLASSES = 100  # multiclass probability columns kept per model (one double column each)


def _classes(model: Any) -> list[Any] | None:
    """A multiclass model's classes, sorted as scikit-learn reads probability columns; None
    when the model does not say them (or has more than MAX_CLASSES)."""
    import numpy as np

    classes = model.classes
    if classes is None or len(classes) > MAX_CLASSES:
        return None
    return [c.item() if hasattr(c, "item") else c for c in np.sort(np.asarray(classes))]


def _class_count(model: Any) -> int:
    """How many classes a model says it has (0 when it does not say)."""
    return 0 if model.classes is None else len(model.classes)


def _is_file(model: Any) -> bool:
    return bool(getattr(model.impl, "spark_predictions", False))


def _shippable(model: Any) -> tuple[str, Any]:
    """What a broadcast carries: the model file's bytes (loaded by the same safe loader on the
    worker), or the loaded object itself for factories and trusted pickles."""
    ref = model.ref
    if ref.path is not None and ref.format not in ("factory",):
        return "file", (ref, ref.path.read_bytes())
    return "object", model


def _worker_model(shipped: Any, tag: str) -> Any:
    """The model of a broadcast on this worker, loaded once per worker process and broadcast;
    a new broadcast's token drops the models of the one before."""
    token, payloads = shipped.value
    key = (token, tag)
    if key not in _LOADED:
        for old in [k for k in _LOADED if k[0] != token]:
            del _LOADED[old]
        how, payload = payloads[tag]
        if how == "object":
            _LOADED[key] = payload
        else:
            import os
            import tempfile
            from dataclasses import replace as replaced
            from pathlib import Path

            from mlgate.load import models

            ref, data = payload
            folder = tempfile.mkdtemp(prefix="mlgate-model-")
            path = Path(folder) / ref.path.name
            path.write_bytes(data)
            try:
                _LOADED[key] = models.load(replaced(ref, path=path))
            finally:
                os.unlink(path)
    return _LOADED[key]


PREDICTED = ("_cl", "_cp", "_cq", "_bl", "_bp", "_bq")  # the columns the models' scoring adds


def _predict_batches(
    batches: Any,
    *,
    shipped: Any,
    features: list[str],
    task: str,
    pos: Any,
    labels: dict[str, list[Any]],
    keep: list[str],
) -> Any:
    """mapInPandas: each batch's predictions by both models, as columns. `_{tag}p` is the
    positive class's probability (binary) or the probability of the row's own class
    (multiclass: log loss), `_{tag}q{j}` the probability of labels[tag][j] (multiclass)."""
    import warnings

    import numpy as np
    import pandas as pd

    from mlgate.errors import MlgateError

    tags = list(shipped.value[1])
    try:
        loaded = {t: _worker_model(shipped, t) for t in tags}
        for batch in batches:
            out = {c: batch[c] for c in keep}
            X = batch[features]
            for tag in tags:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*feature names")
                    pred = loaded[tag].predictions(X, task=task)
                out[f"_{tag}l"] = pd.Series(pred.label, index=batch.index)
                proba = None
                wanted = labels.get(tag, [])
                columns = _class_columns(pred, [pos] if task == "binary" else wanted)
                if task == "binary" and columns is not None:
                    proba = pred.proba[:, columns[0]]
                elif columns is not None and wanted:
                    matrix = np.asarray(pred.proba, dtype=np.float64)[:, columns]
                    for j in range(len(wanted)):
                        out[f"_{tag}q{j}"] = pd.Series(matrix[:, j], index=batch.index)
                    code = pd.Index(wanted).get_indexer(batch["_y"])  # -1: a class it lacks
                    own = matrix[np.arange(len(batch)), np.maximum(code, 0)]
                    proba = np.where(code >= 0, own, np.nan)
                if wanted and columns is None:
                    for j in range(len(wanted)):
                        out[f"_{tag}q{j}"] = pd.Series(
                            np.full(len(batch), np.nan), index=batch.index
                        )
                out[f"_{tag}p"] = pd.Series(
                    proba if proba is not None else np.full(len(batch), np.nan), index=batch.index
                )
            yield pd.DataFrame(out)
    except MlgateError as exc:
        raise RuntimeError(ERROR_TAG + exc.lines()[0]) from None


def _class_columns(pred: Any, wanted: list[Any]) -> list[int] | None:
    """The probability columns of the classes `wanted`, None where one is not the model's."""
    import numpy as np

    if pred.proba is None or not wanted or np.ndim(pred.proba) != 2:
        return None
    classes = (
        np.asarray(pred.classes) if pred.classes is not None else np.arange(pred.proba.shape[1])
    )
    columns = []
    for value in wanted:
        where = np.flatnonzero(classes == value)
        if len(where) != 1:
            return None
        columns.append(int(where[0]))
    return columns


def _worker_error(exc: BaseException) -> Exception:
    """A worker's failure as the driver's one-line InputError."""
    from mlgate.errors import InputError
    from mlgate.load.spark import _first_line

    text = str(exc)
    at = text.find(ERROR_TAG)
    if at >= 0:
        return InputError(text[at + len(ERROR_TAG) :].splitlines()[0].strip())
    return InputError(f"engine: Spark could not score the models: {_first_line(exc)}")


def _join_predictions(
    inputs: Inputs, rows: DataFrame, model: Any, tag: str, task: str, pos: Any, label_type: Any
) -> DataFrame:
    """A predictions file read by Spark and joined to the eval rows on data.id."""
    from pyspark.sql import functions as F

    from mlgate.errors import InputError
    from mlgate.load.spark import read

    ref = model.ref
    id_col = inputs.config.data.id
    if not id_col:
        raise InputError(
            f"{ref.where}: on engine: spark a predictions file is joined on data.id",
            hint="set data.id to the column both files share",
        )
    preds = read(inputs.spark, str(ref.path), ref.path, ref.where)
    for column in (id_col, "prediction"):
        if column not in preds.columns:
            raise InputError(f"{ref.where}: the predictions file has no column {column!r}")
    proba = None
    if task == "binary":
        named = f"proba_{pos}"
        for column in (named, "proba", "score"):
            if column in preds.columns:
                proba = F.col(_q(column)).cast("double")
                break
    picked = preds.select(
        F.col(_q(id_col)).alias("_id"),
        F.col("prediction").cast(label_type).alias(f"_{tag}l"),
        (proba if proba is not None else F.lit(None).cast("double")).alias(f"_{tag}p"),
    )
    dupes = picked.groupBy("_id").count().filter("count > 1").limit(1).collect()
    if dupes:
        raise InputError(f"{ref.where}: the id column {id_col!r} has duplicates")
    joined = rows.join(picked, on="_id", how="left")
    lacking = joined.filter(F.col(f"_{tag}l").isNull()).limit(1).collect()
    if lacking:
        count = joined.filter(F.col(f"_{tag}l").isNull()).count()
        raise InputError(
            f"{ref.where}: {count} eval rows have no prediction "
            f"(e.g. {id_col}={lacking[0]['_id']!r})"
        )
    return joined


# --- per gate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A group of the scored rows: the whole eval set ("") or one slice segment."""

    label: str
    rows: int
    bounds: tuple[float, float] | None = None


def _measure_gate(
    base_id: str, gate: Any, metric: Any, scored: Scored, inputs: Inputs, key: str
) -> list[Measurement]:
    """One gate, or every segment of a sliced gate (Holm runs in compare, as on pandas)."""
    from mlgate.support.text import did_you_mean

    column = gate.slice_column
    frame = scored.frame
    if column is None:
        grouped = frame.withColumn("_g", _lit(""))
        parts = {"": Part("", -1)}
        return [_record(base_id, gate, metric, scored, inputs, grouped, "", None, parts)]
    where = inputs.loaded.where(key + ".slice")

    def error(message: str) -> Measurement:
        return Measurement(
            id=base_id, kind="model", name=gate.metric, level=gate.level, error=message
        )

    source = "_y" if column == inputs.target else column
    if source not in frame.columns:
        hint = did_you_mean(column, inputs.spark_eval.columns)
        return [error(f"{where}: column {column!r} is not in {inputs.config.data.eval}{hint}")]
    try:
        grouped, order = _segments(frame, source, gate.slice_bins)
    except ValueError:
        return [error(f"{where}: bins need a numeric column, and {column!r} is not numeric")]
    sizes = {r["_g"]: int(r["count"]) for r in grouped.groupBy("_g").count().collect()}
    parts = {label: Part(label, sizes[label], bounds) for label, bounds in order if label in sizes}
    out = []
    gated = [p for p in parts.values() if p.rows >= gate.min_rows]
    for part in parts.values():
        gate_id = f"{base_id}[{column}={part.label}]"
        info: dict[str, Any] = {"column": column, "value": part.label, "rows": part.rows}
        if part.bounds is not None:
            info["bin"] = list(part.bounds)
        if part.rows < gate.min_rows:
            out.append(
                Measurement(
                    id=gate_id,
                    kind="model",
                    name=gate.metric,
                    level=gate.level,
                    thresholds=prepare.thresholds(gate),
                    higher_is_better=metric.higher_is_better,
                    skipped=f"{column}={part.label}: only {part.rows} rows (min_rows "
                    f"{gate.min_rows}): reported, not gated",
                    details={"n": part.rows, "slice": info},
                )
            )
            continue
        out.append(
            _record(
                gate_id,
                gate,
                metric,
                scored,
                inputs,
                grouped,
                part.label,
                info,
                parts,
                family=base_id,
                gated=[p.label for p in gated],
            )
        )
    if parts and all(m.skipped is not None for m in out):
        largest = max(p.rows for p in parts.values())
        out.append(error(prepare.nothing_gated(where, gate, column, len(parts), largest)))
    return out


def _lit(value: Any) -> Column:
    from pyspark.sql import functions as F

    return F.lit(value)


def _segments(
    frame: DataFrame, column: str, bins: Any
) -> tuple[DataFrame, list[tuple[str, tuple[float, float] | None]]]:
    """The frame with its segment label `_g`, and the labels in the pandas engine's order."""
    import itertools

    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from mlgate.measure.model.slices import MISSING_SLICE, _g

    kind = frame.schema[column].dataType
    col = F.col(_q(column))
    numeric = isinstance(kind, T.NumericType)
    missing = col.isNull() | (
        F.isnan(col) if isinstance(kind, (T.FloatType, T.DoubleType)) else F.lit(False)
    )
    if bins is None:
        if isinstance(kind, T.BooleanType):
            text = F.when(col, "True").otherwise("False")
        else:
            text = col.cast("string")
        grouped = frame.withColumn("_g", F.when(missing, MISSING_SLICE).otherwise(text))
        labels = sorted(r["_g"] for r in grouped.select("_g").distinct().collect())
        return grouped, [(label, None) for label in labels]
    if not numeric or isinstance(kind, T.BooleanType):
        raise ValueError("bins need a numeric column")
    x = col.cast("double")
    if isinstance(bins, int):
        probs = ", ".join(repr(float(p)) for p in [i / bins for i in range(bins + 1)])
        row = (
            frame.filter(~missing)
            .agg(F.expr(f"percentile(`{column}`, array({probs}))").alias("q"))
            .first()
        )
        edges = sorted(set(float(v) for v in (row["q"] if row and row["q"] else [])))
        names = [f"q{i + 1}" for i in range(max(len(edges) - 1, 0))]
    else:
        edges = [float(e) for e in bins]
        names = [f"{_g(lo)}-{_g(hi)}" for lo, hi in itertools.pairwise(edges)]
    last = len(edges) - 2
    label = F.when(missing, MISSING_SLICE)
    order: list[tuple[str, tuple[float, float] | None]] = []
    for i, name in enumerate(names):
        lo, hi = edges[i], edges[i + 1]
        inside = (x >= lo) & ((x <= hi) if i == last else (x < hi))
        label = label.when(inside, name)
        order.append((name, (lo, hi)))
    if edges and not isinstance(bins, int):
        label = label.when(x < edges[0], f"<{_g(edges[0])}").when(
            x > edges[-1], f">{_g(edges[-1])}"
        )
        order += [(f"<{_g(edges[0])}", None), (f">{_g(edges[-1])}", None)]
    order.append((MISSING_SLICE, None))
    return frame.withColumn("_g", label.otherwise(F.lit(None))), order


# --- records ------------------------------------------------------------------------------


def _record(
    gate_id: str,
    gate: Any,
    metric: Any,
    scored: Scored,
    inputs: Inputs,
    grouped: DataFrame,
    label: str,
    info: dict[str, Any] | None,
    parts: dict[str, Part],
    *,
    family: str | None = None,
    gated: list[str] | None = None,
) -> Measurement:
    """The Measurement of one group, as gate._measure builds it on the pandas engine."""
    from mlgate.measure.model.metrics import MetricError
    from mlgate.records import FROM_BEST_KEYS

    thresholds = prepare.thresholds(gate)
    paired = scored.has_base and any(k in thresholds for k in (*RELATIVE, *FROM_BEST_KEYS))
    memo_key = f"model.spark.stats:{gate_id if family is None else family}"
    stats = inputs.memo.get(memo_key)
    if stats is None:
        stats = _stats(metric, scored, grouped, inputs, paired=paired)
        inputs.memo[memo_key] = stats
    result = stats[label]
    n = result.n if not isinstance(result, Exception) else parts[label].rows
    m = Measurement(
        id=gate_id,
        kind="model",
        name=gate.metric,
        level=gate.level,
        thresholds=thresholds,
        higher_is_better=metric.higher_is_better,
        family=family,
        details={"n": n, **({"slice": info} if info is not None else {})},
    )
    if isinstance(result, MetricError):
        return replace(m, error=f"{gate_id}: {result}")
    if result.sampled is not None:
        m = replace(
            m,
            notes=(sample_note(result.sampled, n),),
            details={**m.details, "sample": {"rows": result.sampled, "of": n}},
        )
    m = replace(m, candidate=result.candidate)
    if scored.has_base:
        m = replace(m, baseline=result.baseline)
    if paired:
        if isinstance(result.estimate, MetricError):
            return replace(m, error=f"{gate_id}: {result.estimate}")
        m = replace(m, estimate=result.estimate)
    return m


RELATIVE = ("max_drop", "max_increase")


@dataclass(frozen=True)
class GroupResult:
    n: int
    candidate: float
    baseline: float | None
    estimate: Any  # Estimate | MetricError | None
    sampled: int | None = None  # the values are of a seeded sample of this many rows


def _stats(
    metric: Any, scored: Scored, grouped: DataFrame, inputs: Inputs, *, paired: bool
) -> dict[str, Any]:
    """Per group label: a GroupResult or the MetricError that group raises."""
    from mlgate.measure.model.metrics import MetricError

    kind = (metric.family or "").split(":")[0]
    policy = inputs.config.policy
    try:
        if not _supported(metric, scored.task):
            return _sample_stats(metric, scored, grouped, inputs, paired=paired)
        if kind == "rows":
            return _rows_stats(metric, scored, grouped, paired=paired)
        if kind == "sums":
            return _sums_stats(metric, scored, grouped, paired=paired)
        if kind == "confusion":
            return _confusion_stats(
                metric,
                scored,
                grouped,
                inputs,
                paired=paired,
                seed=policy.seed,
                draws=policy.bootstrap,
            )
        if kind == "rank" and scored.task == "multiclass":
            return _multiclass_auc_stats(metric, scored, grouped, inputs, paired=paired)
        if kind == "rank":
            return _ap_stats(metric, scored, grouped)
        if kind == "order":
            return _order_stats(metric, scored, grouped, seed=policy.seed, draws=policy.bootstrap)
        return _auc_stats(metric, scored, grouped)
    except MetricError:
        raise
    except Exception as exc:
        raise _worker_error(exc) from None


def _check_proba(metric: Any, scored: Scored, row: Any, tags: list[str]) -> None:
    from mlgate.measure.model.metrics import MetricError

    if metric.response != "proba":
        return
    for tag in tags:
        who = "the candidate" if tag == "c" else "production"
        if row[f"_null{tag}"] and tag in scored.many:
            raise MetricError(
                f"{metric.name}: needs the predicted probability of each row's class, but "
                f"{who} has {scored.many[tag]:,} classes, more than the {MAX_CLASSES} the Spark "
                "engine keeps probabilities of; gate a label metric (accuracy, f1_macro) here, "
                "or run this gate with engine: pandas"
            )
        if row[f"_null{tag}"] and scored.task == "multiclass":
            raise MetricError(
                f"{metric.name}: needs the predicted probability of each row's class, but "
                f"{who} gives none for some rows "
                "(no predict_proba or no classes_, or the eval rows hold a class the model "
                "does not know)"
            )
        if row[f"_null{tag}"]:
            raise MetricError(
                f"{metric.name}: needs the predicted probability of class {scored.pos}, but "
                "the model gives none (no predict_proba, or not among its classes)"
            )


def _single_class(metric: Any, row: Any) -> Any:
    from mlgate.measure.model.metrics import MetricError

    if metric.needs_both and row["_pos"] in (0, row["_n"]):
        raise MetricError(
            f"{metric.name}: the eval rows hold a single class ({row['_one']}); "
            "it needs both classes"
        )


def _loss(metric: Any, scored: Scored, tag: str) -> Column:
    """The per-row loss of the metric's family (kernels._ROW_LOSS), as a Spark column."""
    import numpy as np
    from pyspark.sql import functions as F

    loss = (metric.family or "").split(":")[1]
    y, label, p = F.col("_y"), F.col(f"_{tag}l"), F.col(f"_{tag}p")
    if loss == "zero_one":
        return (y == label).cast("double")
    ybin = (y == F.lit(scored.pos)).cast("double")
    if loss == "log_loss":
        eps = float(np.finfo(np.float64).eps)
        # multiclass: _{tag}p is already the probability of the row's own class
        own = p if scored.task == "multiclass" else F.when(ybin == 1, p).otherwise(1 - p)
        return -F.log(F.least(F.greatest(own, F.lit(eps)), F.lit(1 - eps)))
    if loss == "brier":
        return (ybin - p) ** 2
    residual = y.cast("double") - label.cast("double")
    if loss == "squared":
        return residual * residual
    if loss == "absolute":
        return F.abs(residual)
    tiny = float(np.finfo(np.float64).eps)
    return F.abs(residual) / F.greatest(F.abs(y.cast("double")), F.lit(tiny))


def _scale(largest: float, n: int) -> str:
    """A DECIMAL type whose sums of up to n values of size `largest` (and squares) cannot
    overflow, with as many fraction digits as that leaves (at most 18)."""
    import math

    bound = max(largest * largest, largest, 1.0) * max(n, 1) * 12
    digits = max(math.ceil(math.log10(bound)) + 1, 1)
    return f"decimal(38,{max(0, min(18, 38 - digits))})"


def _common(frame: DataFrame, metric: Any, tags: list[str]) -> list[Column]:
    from pyspark.sql import functions as F

    out = [F.count(F.lit(1)).alias("_n")]
    if metric.task == "binary" or metric.response == "proba":
        out.append(F.first("_y").alias("_one"))
    for tag in tags:
        out.append(F.max(F.col(f"_{tag}p").isNull() | F.isnan(f"_{tag}p")).alias(f"_null{tag}"))
    return out


def _rows_stats(metric: Any, scored: Scored, grouped: DataFrame, *, paired: bool) -> dict[str, Any]:
    """Decomposable metrics: FINISH(mean loss), se from the per-row paired differences."""
    from decimal import Decimal, localcontext

    import numpy as np
    from pyspark.sql import functions as F

    from mlgate.measure.model.kernels import _FINISH, _SLOPE
    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import proportion_estimate
    from mlgate.records import Estimate

    finish = (metric.family or "").split(":")[2]
    tags = ["c", "b"] if scored.has_base else ["c"]
    losses = grouped.select(
        "_g",
        "_y",
        *[_loss(metric, scored, t).alias(f"l{t}") for t in tags],
        *[f"_{t}p" for t in tags],
    )
    ybin = (F.col("_y") == F.lit(scored.pos)).cast("long")
    head = (
        losses.groupBy("_g")
        .agg(
            *_common(losses, metric, tags),
            F.sum(ybin).alias("_pos"),
            *[F.max(F.abs(f"l{t}")).alias(f"m{t}") for t in tags],
        )
        .collect()
    )
    largest = max((float(r[f"m{t}"] or 0) for r in head for t in tags), default=1.0)
    total = sum(int(r["_n"]) for r in head)
    exact = _scale(largest, total)
    lc, lb = F.col("lc").cast(exact), (F.col("lb").cast(exact) if scored.has_base else None)
    sums = [F.sum(lc).alias("sc"), F.sum((F.col("lc") * F.col("lc")).cast(exact)).alias("scc")]
    if lb is not None:
        sums += [
            F.sum(lb).alias("sb"),
            F.sum((F.col("lb") * F.col("lb")).cast(exact)).alias("sbb"),
            F.sum((F.col("lc") * F.col("lb")).cast(exact)).alias("scb"),
        ]
    rows = {r["_g"]: r for r in losses.groupBy("_g").agg(*sums).collect()}
    out: dict[str, Any] = {}
    shares: dict[Any, tuple[float, ...]] = {}  # per group: a, b, m_c, m_b, delta
    squares: dict[Any, float] = {}  # per group: Σ share²
    for h in head:
        label = h["_g"]
        try:
            _check_proba(metric, scored, h, tags)
            _single_class(metric, h)
            r = rows[label]
            n = int(h["_n"])
            with localcontext() as ctx:
                ctx.prec = 80
                sc, scc = Decimal(r["sc"]), Decimal(r["scc"])
                mc = sc / n
                cand = float(_FINISH[finish](np.asarray(float(mc))))
                if not np.isfinite(cand):
                    raise MetricError(
                        f"{metric.name}: the value is not finite ({cand}) on these rows"
                    )
                if lb is None:
                    out[label] = GroupResult(n, cand, None, None)
                    continue
                sb, sbb, scb = Decimal(r["sb"]), Decimal(r["sbb"]), Decimal(r["scb"])
                mb = sb / n
                base = float(_FINISH[finish](np.asarray(float(mb))))
                a = Decimal(float(_SLOPE[finish](np.asarray(float(mc)))))
                b = Decimal(float(_SLOPE[finish](np.asarray(float(mb)))))
                sxx_c, sxx_b = scc - sc * mc, sbb - sb * mb
                sxy = scb - sc * mb
                var = (a * a * sxx_c + b * b * sxx_b - 2 * a * b * sxy) / max(n - 1, 1)
                se = float((max(var, Decimal(0)) / n).sqrt())
            if metric.family == "rows:zero_one:":  # lc, lb: 1 where the model is right
                both = int(scb)
                estimate: Any = proportion_estimate(cand - base, int(sc) - both, int(sb) - both, n)
            else:
                estimate = Estimate(cand - base, "paired per-row differences", n, se)
                # a row's share of the delta: a·(l_c − m_c) − b·(l_b − m_b) + delta
                shares[label] = (float(a), float(b), float(mc), float(mb), cand - base)
                squares[label] = float(var) * (n - 1) + n * (cand - base) ** 2
            out[label] = GroupResult(n, cand, base, estimate)
        except MetricError as exc:
            out[label] = exc
    if paired and shares:

        def row(share: Callable[[int], Column]) -> Column:
            return (
                share(0) * (F.col("lc") - share(2)) - share(1) * (F.col("lb") - share(3)) + share(4)
            )

        _add_growth(out, losses, row, shares, squares, exact, metric.higher_is_better)
    return out


def _add_growth(
    out: dict[Any, Any],
    rows: DataFrame,
    row: Callable[[Callable[[int], Column]], Column],
    shares: dict[Any, tuple[float, ...]],
    squares: dict[Any, float],
    exact: str,
    higher: bool,
) -> None:
    """Estimate.growth and Estimate.scaling as the pandas engine computes them from per-row terms
    (stats._growth, stats.scaling_of): a row's share of the delta (its influence plus the delta)
    is the column `row` builds from the per-group constants `shares` (share(i): the i-th of
    them), `squares` Σ share² per group; Σ |share| and the sums of the worse-side part (share
    where the metric worsens, else 0) are one more pass over the groups' rows."""
    from pyspark.sql import functions as F

    from mlgate.measure.model.stats import scaling_of

    def share(i: int) -> Column:
        return _per_group({g: v[i] for g, v in shares.items()})

    mine = rows.filter(F.col("_g").isin(list(shares))).withColumn("_d", row(share))
    worse = F.greatest(-F.col("_d") if higher else F.col("_d"), F.lit(0.0))
    mine = mine.withColumn("_w", worse)
    sums = (
        mine.groupBy("_g")
        .agg(
            F.sum(F.abs(F.col("_d")).cast(exact)).alias("a"),
            F.sum(F.col("_w").cast(exact)).alias("w"),
            F.sum((F.col("_d") * F.col("_w")).cast(exact)).alias("dw"),
            F.sum((F.col("_w") * F.col("_w")).cast(exact)).alias("ww"),
            F.sum(F.col("_d").cast(exact)).alias("d"),
        )
        .collect()
    )
    for r in sums:
        result = out[r["_g"]]
        if not (isinstance(result, GroupResult) and result.estimate is not None):
            continue
        n, estimate = result.n, result.estimate
        size = float(r["a"]) if r["a"] is not None else 0.0
        if size > 0:
            estimate = replace(estimate, growth=squares[r["_g"]] / size / n)
        if r["w"] is not None and r["w"] > 0:
            means = (float(r[key]) / n for key in ("d", "w", "dw", "ww"))
            estimate = replace(estimate, scaling=scaling_of(n, *means))
        out[r["_g"]] = replace(result, estimate=estimate)


def _sums_stats(metric: Any, scored: Scored, grouped: DataFrame, *, paired: bool) -> dict[str, Any]:
    """r2 and explained variance: 1 − mean(t) / mean(s) per model, s = (y − ȳ)² and t = e² (r2)
    or (e − ē)² (explained variance), e = y − prediction — from exact sums over three passes
    (ranges, then the group means, then the centred terms), so that no value is a difference of
    large sums. The se is that of the pandas engine's per-row paired differences of the ratio
    (kernels._SumKernel.influence, the delta method), from the sums of d = t_base − t_cand,
    d², d·s, s and s²."""
    from decimal import Decimal, localcontext

    from pyspark.sql import functions as F

    from mlgate.measure.model.metrics import MetricError
    from mlgate.records import Estimate

    centred = (metric.family or "").split(":")[1] != "r2"
    tags = ["c", "b"] if scored.has_base else ["c"]
    y = F.col("_y").cast("double")
    rows = grouped.select(
        "_g", y.alias("y"), *[(y - F.col(f"_{t}l").cast("double")).alias(f"e{t}") for t in tags]
    )
    cols = ["y", *[f"e{t}" for t in tags]]
    spans = rows.agg(
        F.count(F.lit(1)).alias("_n"),
        *[f(c).alias(f"{f.__name__}{c}") for c in cols for f in (F.min, F.max)],
    ).collect()[0]
    total = int(spans["_n"])
    width = {c: float((spans[f"max{c}"] or 0) - (spans[f"min{c}"] or 0)) for c in cols}
    largest = max(max(abs(float(spans[f"{f}{c}"] or 0)) for f in ("min", "max")) for c in cols)
    plain = _scale(largest, total)
    means = {
        r["_g"]: r
        for r in rows.groupBy("_g")
        .agg(
            F.count(F.lit(1)).alias("_n"),
            *[F.sum(F.col(c).cast(plain)).alias(f"s{c}") for c in cols],
        )
        .collect()
    }
    mean_of = {
        c: {g: float(Decimal(r[f"s{c}"]) / int(r["_n"])) for g, r in means.items()} for c in cols
    }

    def at_group(column: str) -> Column:  # the group's mean, as a literal per group
        return _per_group(mean_of[column])

    spread = (F.col("y") - at_group("y")) ** 2
    term = {
        t: (F.col(f"e{t}") - at_group(f"e{t}")) ** 2 if centred else F.col(f"e{t}") ** 2
        for t in tags
    }
    bound = max(width["y"], *[width[f"e{t}"] if centred else largest for t in tags]) ** 2
    exact = _scale(bound, total)
    parts = rows.select("_g", spread.alias("s"), *[term[t].alias(f"t{t}") for t in tags])
    sums = [F.sum(F.col("s").cast(exact)).alias("ss")]
    sums += [F.sum(F.col(f"t{t}").cast(exact)).alias(f"st{t}") for t in tags]
    if scored.has_base:
        d = F.col("tb") - F.col("tc")
        sums += [
            F.sum((F.col("s") * F.col("s")).cast(exact)).alias("sss"),
            F.sum(d.cast(exact)).alias("sd"),
            F.sum((d * d).cast(exact)).alias("sdd"),
            F.sum((d * F.col("s")).cast(exact)).alias("sds"),
        ]
    out: dict[str, Any] = {}
    shares: dict[Any, tuple[float, ...]] = {}  # per group: m_d, scale, delta
    squares: dict[Any, float] = {}  # per group: Σ share²
    for r in parts.groupBy("_g").agg(*sums).collect():
        label, n = r["_g"], int(means[r["_g"]]["_n"])
        with localcontext() as ctx:
            ctx.prec = 80
            ss = Decimal(r["ss"])
            if ss == 0:
                out[label] = MetricError(
                    f"{metric.name}: the target is constant on these rows, so it has no "
                    "variance to explain; gate an error metric (mae, rmse) here instead"
                )
                continue
            cand = float(1 - Decimal(r["stc"]) / ss)
            if not scored.has_base:
                out[label] = GroupResult(n, cand, None, None)
                continue
            base = float(1 - Decimal(r["stb"]) / ss)
            scale, mean_d = ss / n, Decimal(r["sd"]) / n
            delta = mean_d / scale
            var = (
                Decimal(r["sdd"])
                - n * mean_d * mean_d
                - 2 * delta * (Decimal(r["sds"]) - n * mean_d * scale)
                + delta * delta * (Decimal(r["sss"]) - n * scale * scale)
            ) / (scale * scale * max(n - 1, 1))
            se = float((max(var, Decimal(0)) / n).sqrt())
            # a row's share of the delta: (d − m_d − delta·(s − scale)) / scale + delta
            shares[label] = (float(mean_d), float(scale), float(delta))
            squares[label] = float(var) * (n - 1) + n * float(delta) ** 2
        estimate = Estimate(cand - base, "paired per-row differences", n, se)
        out[label] = GroupResult(n, cand, base, estimate)
    if paired and shares:

        def row(share: Callable[[int], Column]) -> Column:
            d = F.col("tb") - F.col("tc")
            return (d - share(0) - share(2) * (F.col("s") - share(1))) / share(1) + share(2)

        _add_growth(out, parts, row, shares, squares, exact, metric.higher_is_better)
    return out


def _per_group(values: dict[Any, float]) -> Column:
    """A column holding each group's value (`values` by group label), as literals (0 elsewhere)."""
    from pyspark.sql import functions as F

    chain = None
    for g, value in values.items():
        test = F.col("_g") == _lit(g)
        chain = F.when(test, F.lit(value)) if chain is None else chain.when(test, F.lit(value))
    return chain.otherwise(F.lit(0.0)) if chain is not None else F.lit(0.0)


def _confusion_stats(
    metric: Any,
    scored: Scored,
    grouped: DataFrame,
    inputs: Inputs,
    *,
    paired: bool,
    seed: int,
    draws: int,
) -> dict[str, Any]:
    """Confusion-matrix metrics from counts per (group, truth, candidate, baseline label); the
    interval from draws of the same counts as on the pandas engine (up to 16 labels), else
    from the counts weighted by a hash-seeded Poisson bootstrap."""
    import numpy as np

    from mlgate.measure.model.kernels import _CONFUSION, _ConfusionKernel
    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import cell_estimate, multiclass_cell_estimate
    from mlgate.records import Estimate

    how = (metric.family or "").split(":")[1:]
    tags = ["c", "b"] if scored.has_base else ["c"]
    keys = ["_g", "_y", *[f"_{t}l" for t in tags]]
    cells = grouped.groupBy(*keys).count().collect()
    values = {r["_y"] for r in cells} | {r[f"_{t}l"] for r in cells for t in tags}
    if metric.task == "binary":
        values.add(metric.pos_label)
    universe = sorted(values, key=_order)
    code = {v: i for i, v in enumerate(universe)}
    k = len(universe)
    pos = code[metric.pos_label] if metric.task == "binary" else 0
    fn = _CONFUSION[how[0]]
    # the pandas engine's draws of the cell counts, the same numbers from the same counts:
    # binary, its Dirichlet draw of the 8 cells (stats.cell_estimate); else, up to 16 labels, the
    # Bayesian bootstrap as cell counts (stats.multiclass_cell_estimate, over the group's own
    # labels as the pandas engine codes a slice); above, the Poisson bootstrap of the rows
    by_cells = metric.task == "binary" and k == 2
    weighted = None
    if paired and not by_cells and k**3 > _ConfusionKernel.JOINT_CELLS:
        weighted = _poisson_counts(grouped, cells, keys, inputs, seed=seed, draws=draws)
    out: dict[str, Any] = {}
    for label in sorted({r["_g"] for r in cells}):
        mine = [(i, r) for i, r in enumerate(cells) if r["_g"] == label]
        n = int(sum(r["count"] for _, r in mine))

        def matrices(weights: np.ndarray, mine: list[Any] = mine) -> np.ndarray:
            mats = np.zeros((weights.shape[0], len(tags), k, k))  # (draws, model, k, k)
            for i, r in mine:
                for t, tag in enumerate(tags):
                    mats[:, t, code[r["_y"]], code[r[f"_{tag}l"]]] += weights[:, i]
            return mats

        counts = np.asarray([[float(r["count"]) for r in cells]])
        with np.errstate(divide="ignore", invalid="ignore"):
            point = fn(matrices(counts), *how[1:], pos=pos)[0]
        try:
            if not np.all(np.isfinite(point)):
                raise MetricError(
                    f"{metric.name}: the value is not finite ({point[0]}) on these rows"
                )
            cand = float(point[0])
            base = float(point[1]) if scored.has_base else None
            estimate: Any = None
            if paired and weighted is None and base is not None:
                # binary: the 8 cells over both labels; else the group's own labels
                seen = {r[c] for _, r in mine for c in keys[1:]}
                if metric.task == "binary":
                    seen.add(metric.pos_label)
                own = universe if by_cells else sorted(seen, key=_order)
                at = {v: i for i, v in enumerate(own)}
                joint = np.zeros(len(own) ** 3, dtype=np.int64)
                for _, r in mine:
                    cell = (at[r["_y"]] * len(own) + at[r["_cl"]]) * len(own) + at[r["_bl"]]
                    joint[cell] += int(r["count"])
                mine_pos = at[metric.pos_label] if metric.task == "binary" else 0
                if by_cells:
                    estimate = cell_estimate(
                        metric, joint, mine_pos, cand - base, n_boot=draws, seed=seed
                    )
                else:
                    estimate = multiclass_cell_estimate(
                        metric, joint, len(own), mine_pos, cand - base, n_boot=draws, seed=seed
                    )
            elif weighted is not None and base is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    reps = fn(matrices(weighted), *how[1:], pos=pos)
                delta = reps[:, 0] - reps[:, 1]
                ok = np.isfinite(delta)
                if ok.sum() < draws / 2:
                    estimate = MetricError(
                        f"{metric.name}: only {int(ok.sum())} of {draws} bootstrap resamples "
                        "could be scored; the eval rows are too few or too unbalanced for it"
                    )
                else:
                    kept = delta[ok]
                    dropped = draws - int(ok.sum())
                    method = f"Poisson bootstrap (B={draws}, weights hashed from row and seed"
                    method += f"; {dropped} undefined)" if dropped else ")"
                    estimate = Estimate(
                        cand - base,
                        method,
                        n,
                        float(np.std(kept, ddof=1)),
                        tuple(float(v) for v in kept),
                    )
            if isinstance(estimate, Estimate) and (metric.family or "").endswith(":binary"):
                # the rows of the positive class, as the pandas engine records them (the
                # too-few-positives rule, records.MIN_POSITIVES)
                positives = sum(int(r["count"]) for _, r in mine if code[r["_y"]] == pos)
                estimate = replace(estimate, positives=positives)
            out[label] = GroupResult(n, cand, base, estimate)
        except MetricError as exc:
            out[label] = exc
    return out


def _poisson_counts(
    grouped: DataFrame, cells: list[Any], keys: list[str], inputs: Inputs, *, seed: int, draws: int
) -> np.ndarray:
    """(draws, cells): each cell's Poisson(1)-weighted row count per bootstrap draw, one pass.

    A row's weights are a pure function of its key hash `_h`, the draw and the seed: integer
    sums, so the same in any partitioning and run.
    """
    import numpy as np
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType(
        [grouped.schema[c] for c in keys] + [T.StructField("_cell", T.IntegerType())]
    )
    mapping = inputs.spark.createDataFrame(
        [(*[r[c] for c in keys], i) for i, r in enumerate(cells)], schema
    )
    coded = grouped.join(F.broadcast(mapping), on=keys, how="inner").select("_h", "_cell")
    out_schema = T.StructType(
        [
            T.StructField("cell", T.IntegerType()),
            T.StructField("b", T.IntegerType()),
            T.StructField("w", T.LongType()),
        ]
    )
    task = partial(_weighted_cells, cells=len(cells), seed=seed, draws=draws)
    totals = (
        coded.mapInPandas(task, out_schema)
        .groupBy("cell", "b")
        .agg(F.sum("w").alias("w"))
        .collect()
    )
    result = np.zeros((draws, len(cells)))
    for r in totals:
        result[int(r["b"]), int(r["cell"])] = float(r["w"])
    return result


DRAW_BLOCK = 64  # bootstrap draws hashed at once in a worker (bounds its memory)


def poisson_draws(h: np.ndarray, seed: int, first: int, count: int) -> np.ndarray:
    """(count, n) Poisson(1) weights of draws first..first+count-1 for row key hashes `h`.

    u = splitmix64(h + golden·(seed, draw)) / 2^64 is uniform; the weight is the number of
    Poisson(1) CDF thresholds ≤ u (inverse-CDF sampling, cut at MAX_WEIGHT).
    """
    import numpy as np

    golden, other = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD1B54A32D192ED03)
    with np.errstate(over="ignore"):
        keys = h.astype(np.int64).view(np.uint64)[None, :]
        step = np.arange(first, first + count, dtype=np.uint64)[:, None] * other
        z = keys + step + np.uint64(seed % (1 << 64)) * golden + golden
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * (1.0 / float(1 << 53))
    return np.searchsorted(np.asarray(_poisson_cdf()), u, side="right")


def _weighted_cells(batches: Any, *, cells: int, seed: int, draws: int) -> Any:
    """mapInPandas: a partition's weighted cell counts per draw (one small frame per partition)."""
    import numpy as np
    import pandas as pd

    acc = np.zeros((draws, cells), dtype=np.int64)
    for batch in batches:
        h = batch["_h"].to_numpy()
        cell = batch["_cell"].to_numpy().astype(np.int64)
        for first in range(0, draws, DRAW_BLOCK):
            count = min(DRAW_BLOCK, draws - first)
            w = poisson_draws(h, seed, first, count)
            flat = (np.arange(count, dtype=np.int64)[:, None] * cells + cell[None, :]).ravel()
            acc[first : first + count] += (
                np.bincount(flat, weights=w.ravel(), minlength=count * cells)
                .reshape(count, cells)
                .astype(np.int64)
            )
    b, c = np.nonzero(acc)
    yield pd.DataFrame({"cell": c.astype(np.int32), "b": b.astype(np.int32), "w": acc[b, c]})


def _auc_stats(metric: Any, scored: Scored, grouped: DataFrame) -> dict[str, Any]:
    """Binary ROC AUC and DeLong's paired se from ranks computed in Spark.

    Per model, the distinct scores of each group with their positive and negative counts, and
    a running count along the sorted scores (a Window): a positive's placement is the negatives
    below it (ties 1/2), a negative's the positives below it. The placements join back to the
    rows; their paired sums and sums of squares (exact integers, doubled) give the AUCs and
    Sun & Xu's variance, as stats.delong computes it on the pandas engine.
    """
    from fractions import Fraction

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import unit_growth
    from mlgate.records import Estimate

    tags = ["c", "b"] if scored.has_base else ["c"]
    frame, head = _scores_by_group(metric, scored, grouped, tags)
    placed = frame
    for tag in tags:
        score = f"_{tag}p"
        ranks = frame.groupBy("_g", score).agg(
            F.sum("_yb").alias("P"), F.sum(1 - F.col("_yb")).alias("Q")
        )
        running = Window.partitionBy("_g").orderBy(score).rowsBetween(Window.unboundedPreceding, 0)
        ranks = ranks.select(
            "_g",
            score,
            (2 * F.sum("Q").over(running) - F.col("Q")).alias(f"x{tag}"),  # 2 x negatives below
            (2 * F.sum("P").over(running) - F.col("P")).alias(f"z{tag}"),  # 2 x positives below
        )
        placed = placed.join(ranks, on=["_g", score], how="inner")
    exact = "decimal(38,0)"
    pos, neg = F.col("_yb") == 1, F.col("_yb") == 0
    aggs = [F.sum(F.when(pos, F.col(f"x{t}")).cast(exact)).alias(f"sx{t}") for t in tags]
    own = {"xc": pos, "zc": neg}  # the candidate's own placements: Estimate.growth
    for column, where in own.items():
        value = F.col(column).cast(exact)
        aggs += [F.sum(F.when(where, value * value)).alias(f"{column}2")]
    aggs += [F.sum(F.when(neg, F.col("zc")).cast(exact)).alias("szc")]
    if scored.has_base:
        dx = (F.col("xc") - F.col("xb")).cast(exact)
        dz = (F.col("zc") - F.col("zb")).cast(exact)
        aggs += [
            F.sum(F.when(pos, dx)).alias("dx"),
            F.sum(F.when(pos, dx * dx)).alias("dxx"),
            F.sum(F.when(neg, dz)).alias("dz"),
            F.sum(F.when(neg, dz * dz)).alias("dzz"),
        ]
    sums = {r["_g"]: r for r in placed.groupBy("_g").agg(*aggs).collect()}
    out: dict[str, Any] = {}
    for label, h in head.items():
        try:
            _check_proba(metric, scored, h, tags)
            _single_class(metric, h)
            n, m = int(h["_n"]), int(h["_pos"])
            k = n - m
            r = sums[label]
            cand = float(Fraction(int(r["sxc"] or 0), 2 * m * k))
            if not scored.has_base:
                out[label] = GroupResult(n, cand, None, None)
                continue
            base = float(Fraction(int(r["sxb"] or 0), 2 * m * k))
            estimate: Any
            if m < 2 or k < 2:
                estimate = MetricError(
                    f"{metric.name}: DeLong needs at least 2 rows of each class "
                    f"(the eval rows hold {m} positive and {k} negative)"
                )
            else:
                sx, sxx = int(r["dx"] or 0), int(r["dxx"] or 0)
                sz, szz = int(r["dz"] or 0), int(r["dzz"] or 0)
                var10 = (Fraction(sxx) - Fraction(sx * sx, m)) / (m - 1) / (4 * k * k)
                var01 = (Fraction(szz) - Fraction(sz * sz, k)) / (k - 1) / (4 * m * m)
                var = max(float(var10 / m + var01 / k), 0.0)
                # the candidate's own DeLong variance over auc(1 − auc), as stats._auc_growth
                sx, sz = int(r["sxc"] or 0), int(r["szc"] or 0)
                own10 = (
                    (Fraction(int(r["xc2"] or 0)) - Fraction(sx * sx, m)) / (m - 1) / (4 * k * k)
                )
                own01 = (
                    (Fraction(int(r["zc2"] or 0)) - Fraction(sz * sz, k)) / (k - 1) / (4 * m * m)
                )
                growth = unit_growth(cand, float(own10 / m + own01 / k))
                estimate = Estimate(cand - base, "DeLong", n, var**0.5, growth=growth)
            out[label] = GroupResult(n, cand, base, estimate)
        except MetricError as exc:
            out[label] = exc
    return out


def _multiclass_auc_stats(
    metric: Any, scored: Scored, grouped: DataFrame, inputs: Inputs, *, paired: bool
) -> dict[str, Any]:
    """Multiclass ROC AUC (ovr / ovo, macro / weighted) from ranks computed in Spark, and the
    normal interval of its paired per-row influence — kernels._RankKernel on the pandas engine.

    A unit is one binary AUC: a class against the rest (ovr), or one side of a pair of classes
    on the rows of that pair (ovo). Per model, unit and group, the distinct scores with their
    positives P and negatives Q, and running counts along them (Windows): x = 2 × the negatives
    below (ties ½), z = 2 × the positives above (ties ½). The unit's AUC is Σ P·x / 2pq, exact
    in integers; joined back to the rows, x and z are DeLong's placements, and a row's influence
    is its placement minus the AUC over its class share, averaged over the units as scikit-learn
    averages them (a weighted average adds its weights' own influence). The influences' paired
    sums and squares as DECIMAL give the se, as np.std does on pandas.

    A group the pandas engine bootstraps (fewer than NORMAL_ROWS rows, a class with fewer than
    2 rows) or cannot score (a class the models do not know, no probabilities) goes to the
    pandas code on its rows (`_sample_stats`), which says what is wrong.
    """
    from fractions import Fraction

    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from mlgate.measure.model.stats import INFLUENCE_METHODS, NORMAL_ROWS, unit_growth
    from mlgate.records import Estimate

    ovo, weighted = metric.family.split(":")[1] == "ovo", metric.family.endswith(":weighted")
    tags = ["c", "b"] if scored.has_base else ["c"]
    labels = scored.labels.get("c")
    if labels is None or any(scored.labels.get(t) != labels for t in tags):
        return _sample_stats(metric, scored, grouped, inputs, paired=paired)
    k = len(labels)
    code = F.lit(-1)
    for j in reversed(range(k)):
        code = F.when(F.col("_y") == F.lit(labels[j]), F.lit(j)).otherwise(code)
    scores = [f"_{t}q{j}" for t in tags for j in range(k)]
    frame = grouped.select("_g", "_y", *[f"_{t}p" for t in tags], *scores)
    frame = frame.withColumn("_code", code)
    bad = F.lit(False)
    for column in [*[f"_{t}p" for t in tags], *scores]:
        bad = bad | F.col(column).isNull() | F.isnan(column)
    heads = frame.groupBy("_g").agg(
        F.count(F.lit(1)).alias("n"),
        F.max(bad).alias("bad"),
        *[F.sum((F.col("_code") == j).cast("long")).alias(f"p{j}") for j in range(k)],
    )
    regular: dict[Any, dict[str, int]] = {}
    collected = heads.collect()
    for h in collected:
        n, counts = int(h["n"]), [int(h[f"p{j}"]) for j in range(k)]
        if h["bad"] or n < NORMAL_ROWS or min(counts) < 2 or n - max(counts) < 2:
            continue
        regular[h["_g"]] = {"n": n, **{str(j): c for j, c in enumerate(counts)}}
    out: dict[str, Any] = {}
    others = grouped.filter(~F.col("_g").isin(list(regular))) if regular else grouped
    if len(regular) < len(collected):
        out.update(_sample_stats(metric, scored, others, inputs, paired=paired))
    if not regular:
        return out
    frame = frame.filter(F.col("_g").isin(list(regular)))
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    # a unit: (the class scored as positive, the rows it is computed on: None = all)
    units = (
        [(side, (a, b)) for a, b in pairs for side in (a, b)]
        if ovo
        else [(j, None) for j in range(k)]
    )

    def members(unit: tuple[int, Any]) -> Column:
        rows = unit[1]
        return F.lit(True) if rows is None else F.col("_code").isin(*rows)

    def shape(g: Any, unit: tuple[int, Any]) -> tuple[int, int]:  # (positives, negatives)
        j, rows = unit
        p = regular[g][str(j)]
        rest = regular[g]["n"] if rows is None else sum(regular[g][str(r)] for r in rows)
        return p, rest - p

    auc: dict[tuple[str, int], dict[Any, float]] = {}
    kept: list[DataFrame] = []  # persisted rank tables, freed once the sums are read
    placed = frame
    run = Window.partitionBy("_g").orderBy("_s").rowsBetween(Window.unboundedPreceding, 0)
    whole = Window.partitionBy("_g")
    for tag in tags:
        for u, unit in enumerate(units):
            score, positive = f"_{tag}q{unit[0]}", F.col("_code") == unit[0]
            ranks = (
                frame.filter(members(unit))
                .groupBy("_g", F.col(score).alias("_s"))
                .agg(
                    F.sum(positive.cast("long")).alias("P"),
                    F.sum((~positive).cast("long")).alias("Q"),
                )
                .select(
                    "_g",
                    "_s",
                    "P",
                    (2 * F.sum("Q").over(run) - F.col("Q")).alias("x"),
                    (2 * (F.sum("P").over(whole) - F.sum("P").over(run)) + F.col("P")).alias("z"),
                )
            )
            if paired:  # read twice: for the AUC, then joined to the rows
                ranks = ranks.persist(StorageLevel.DISK_ONLY)
                kept.append(ranks)
                inputs.held.append(ranks)  # freed at the run's end if an error comes first
            sums = ranks.groupBy("_g").agg(F.sum((F.col("P") * F.col("x")).cast("decimal(38,0)")))
            auc[(tag, u)] = {}
            for g, total in sums.collect():
                p, q = shape(g, unit)
                auc[(tag, u)][g] = float(Fraction(int(total), 2 * p * q))
            if paired:
                placed = placed.join(
                    ranks.select(
                        "_g",
                        F.col("_s").alias(score),
                        F.col("x").alias(f"x{tag}{u}"),
                        F.col("z").alias(f"z{tag}{u}"),
                    ),
                    on=["_g", score],
                    how="left",
                )

    def weights(g: Any) -> dict[int, float]:
        """The weights sklearn averages with: per class (ovr), per pair (ovo)."""
        n = regular[g]["n"]
        if not ovo:
            return {j: regular[g][str(j)] / n if weighted else 1 / k for j in range(k)}
        return {
            i: (regular[g][str(a)] + regular[g][str(b)]) / n if weighted else 1.0
            for i, (a, b) in enumerate(pairs)
        }

    def average(values: dict[int, float], g: Any) -> float:
        """The metric from its units' AUCs, as sklearn averages them."""
        w = weights(g)
        if not ovo:
            return sum(w[j] * values[j] for j in range(k))  # ovr weights sum to 1
        pair = {i: (values[2 * i] + values[2 * i + 1]) / 2 for i in w}
        return sum(w[i] * pair[i] for i in w) / sum(w.values())

    value = {
        (tag, g): average({u: auc[(tag, u)][g] for u in range(len(units))}, g)
        for tag in tags
        for g in regular
    }
    if not paired:  # (paired: there is a baseline)
        for g, info in regular.items():
            base = value[("b", g)] if scored.has_base else None
            out[g] = GroupResult(info["n"], value[("c", g)], base, None)
        return out

    def influence(tag: str) -> Column:
        """The row's influence on this model's metric (kernels._RankKernel._influence)."""
        n = _per_group({g: float(i["n"]) for g, i in regular.items()})
        terms = []
        for u, unit in enumerate(units):
            p = _per_group({g: float(shape(g, unit)[0]) for g in regular})
            q = _per_group({g: float(shape(g, unit)[1]) for g in regular})
            area = _per_group(auc[(tag, u)])
            mine = F.when(
                F.col("_code") == unit[0], (F.col(f"x{tag}{u}") / (2 * q) - area) * n / p
            ).otherwise((F.col(f"z{tag}{u}") / (2 * p) - area) * n / q)
            terms.append(F.when(members(unit), mine).otherwise(F.lit(0.0)))
        mean = _per_group({g: value[(tag, g)] for g in regular})
        w = {
            i: _per_group({g: weights(g)[i] for g in regular}) for i in weights(next(iter(regular)))
        }
        if not ovo:
            total = sum((terms[j] * w[j] for j in range(k)), F.lit(0.0))
            if not weighted:
                return total
            own = F.lit(0.0)  # the AUC of the row's class: its weight's influence
            for j in range(k):
                own = F.when(F.col("_code") == j, _per_group(auc[(tag, j)])).otherwise(own)
            return total + own - mean
        total, spread, weight_if, norm = F.lit(0.0), F.lit(0.0), F.lit(0.0), F.lit(0.0)
        for i, (a, b) in enumerate(pairs):
            pair_score = (_per_group(auc[(tag, 2 * i)]) + _per_group(auc[(tag, 2 * i + 1)])) / 2
            total = total + w[i] * (terms[2 * i] + terms[2 * i + 1]) / 2
            norm = norm + w[i]
            if weighted:
                member = F.col("_code").isin(a, b).cast("double") - w[i]
                spread = spread + member * pair_score
                weight_if = weight_if + member
        return (total + spread - mean * weight_if) / norm

    least = min(min(shape(g, unit)) for g in regular for unit in units)
    largest = max(i["n"] for i in regular.values()) / least * 4 + 2
    exact = _scale(largest, sum(i["n"] for i in regular.values()))
    rows = placed.select("_g", influence("c").alias("fc"), influence("b").alias("fb"))
    d = F.col("fc") - F.col("fb")
    aggs = [
        F.sum(F.col("fc").cast(exact)).alias("sc"),
        F.sum((F.col("fc") ** 2).cast(exact)).alias("scc"),
        F.sum(d.cast(exact)).alias("sd"),
        F.sum((d * d).cast(exact)).alias("sdd"),
    ]
    method = INFLUENCE_METHODS["ovo" if ovo else "ovr"]
    totals = rows.groupBy("_g").agg(*aggs).collect()
    for table in kept:
        table.unpersist()
    for r in totals:
        g = r["_g"]
        n = regular[g]["n"]
        cand, base = value[("c", g)], value[("b", g)]
        se = math.sqrt(_sample_variance(r["sd"], r["sdd"], n) / n)
        growth = unit_growth(cand, _sample_variance(r["sc"], r["scc"], n) / n)
        out[g] = GroupResult(n, cand, base, Estimate(cand - base, method, n, se, growth=growth))
    return out


def _scores_by_group(
    metric: Any, scored: Scored, grouped: DataFrame, tags: list[str]
) -> tuple[DataFrame, dict[Any, Any]]:
    """The group, label, positive flag (_yb) and scores of the rows, and per group its row
    count, positives and what _check_proba / _single_class read."""
    from pyspark.sql import functions as F

    frame = grouped.select("_g", "_y", *[f"_{t}p" for t in tags]).withColumn(
        "_yb", (F.col("_y") == F.lit(scored.pos)).cast("long")
    )
    head = {
        r["_g"]: r
        for r in frame.groupBy("_g")
        .agg(*_common(frame, metric, tags), F.sum("_yb").alias("_pos"))
        .collect()
    }
    return frame, head


def _ap_stats(metric: Any, scored: Scored, grouped: DataFrame) -> dict[str, Any]:
    """Average precision and the normal interval of its paired per-row influence, from ranks
    computed in Spark — kernels._Ranked.ap_influence on the pandas engine.

    Per model and group, the distinct scores with their positives P and rows S; a running count
    down the scores gives the rows and positives at or above each (N, T) and its precision T/N,
    one up the scores the sums Σ P/N and Σ P·(T/N)/N over the lower ones, which a row's
    influence reads: ([positive] (T/N + Σ P/N) − Σ P·(T/N)/N − AP·π − AP([positive] − π)) / π,
    π the share of positives. Joined back to the rows, the influences' paired sums and sums of
    squares (DECIMAL: exact in any partitioning) give the se, as np.std does on pandas.
    """
    import math
    from decimal import Decimal

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import INFLUENCE_METHODS, unit_growth
    from mlgate.records import Estimate

    tags = ["c", "b"] if scored.has_base else ["c"]
    frame, head = _scores_by_group(metric, scored, grouped, tags)
    usable = {}
    out: dict[str, Any] = {}
    for label, h in head.items():
        try:
            _check_proba(metric, scored, h, tags)
            _single_class(metric, h)
            usable[label] = h
        except MetricError as exc:
            out[label] = exc
    if not usable:
        return out
    term = "decimal(38,18)"  # P x precision ≤ rows: 20 integer digits
    placed = frame.filter(F.col("_g").isin(list(usable)))
    ap: dict[str, dict[Any, float]] = {}
    for tag in tags:
        score = f"_{tag}p"
        down = Window.partitionBy("_g").orderBy(F.col(score).desc())
        up = Window.partitionBy("_g").orderBy(score)
        ranks = (
            placed.groupBy("_g", score)
            .agg(F.sum("_yb").alias("P"), F.count(F.lit(1)).alias("S"))
            .select(
                "_g",
                score,
                "P",
                F.sum("S").over(down.rowsBetween(Window.unboundedPreceding, 0)).alias("N"),
                F.sum("P").over(down.rowsBetween(Window.unboundedPreceding, 0)).alias("T"),
            )
            .withColumn("pr", F.col("T") / F.col("N"))
        )
        ever = up.rowsBetween(Window.unboundedPreceding, 0)
        ranks = ranks.select(
            "_g",
            score,
            F.col("pr").alias(f"pr{tag}"),
            F.sum(F.col("P") / F.col("N")).over(ever).alias(f"u{tag}"),
            F.sum(F.col("P") * F.col("pr") / F.col("N")).over(ever).alias(f"v{tag}"),
            (F.col("P") * F.col("pr")).cast(term).alias("_term"),
        )
        sums = ranks.groupBy("_g").agg(F.sum("_term").alias("A")).collect()
        ap[tag] = {r["_g"]: float(Decimal(r["A"]) / int(usable[r["_g"]]["_pos"])) for r in sums}
        placed = placed.join(ranks.drop("_term"), on=["_g", score], how="inner")
    share = {g: int(h["_pos"]) / int(h["_n"]) for g, h in usable.items()}
    pos, pi = F.col("_yb") == 1, _per_group(share)

    def influence(tag: str) -> Column:
        value = _per_group(ap[tag])
        own = F.when(pos, F.col(f"pr{tag}") + F.col(f"u{tag}")).otherwise(F.lit(0.0))
        return (own - F.col(f"v{tag}") - value * pi - value * (F.col("_yb") - pi)) / pi

    total = sum(int(h["_n"]) for h in usable.values())
    least = min(min(s, 1 - s) for s in share.values())
    exact = _scale(4 * (3 + math.log(max(total, 2))) / least, total)  # |influence| bound
    rows = placed.select("_g", *[influence(t).alias(f"f{t}") for t in tags])
    aggs = [
        F.sum(F.col("fc").cast(exact)).alias("sc"),
        F.sum((F.col("fc") ** 2).cast(exact)).alias("scc"),
    ]
    if scored.has_base:
        d = F.col("fc") - F.col("fb")
        aggs += [F.sum(d.cast(exact)).alias("sd"), F.sum((d * d).cast(exact)).alias("sdd")]
    method = INFLUENCE_METHODS["ap"]
    for r in rows.groupBy("_g").agg(*aggs).collect():
        label, n = r["_g"], int(usable[r["_g"]]["_n"])
        cand = ap["c"][label]
        if not scored.has_base:
            out[label] = GroupResult(n, cand, None, None)
            continue
        base = ap["b"][label]
        se = math.sqrt(_sample_variance(r["sd"], r["sdd"], n) / n)
        growth = unit_growth(cand, _sample_variance(r["sc"], r["scc"], n) / n)
        out[label] = GroupResult(n, cand, base, Estimate(cand - base, method, n, se, growth=growth))
    return out


# --- the rest, on a seeded sample of rows ------------------------------------------------


def sample_note(rows: int, of: int) -> str:
    return (
        f"engine: spark: computed in this process on a seeded sample of {rows:,} of the {of:,} "
        "rows (policy.max_bootstrap_rows; the values and interval are the sample's: "
        "docs/spark.md)"
    )


def _sample_stats(
    metric: Any, scored: Scored, grouped: DataFrame, inputs: Inputs, *, paired: bool
) -> dict[str, Any]:
    """Metrics with no distributed form (scikit-learn scorer names, `module:function`,
    `params:`; the multiclass AUC groups the pandas engine bootstraps): per group, the rows
    with the policy.max_bootstrap_rows smallest hashes of (row key, policy.seed) reach this
    process — all of them when the group is no larger — and the pandas engine's own code
    scores them (stats.paired_estimate).

    The same rows for any partitioning (a distributed top-N per group, sorted here by the
    hash); a group larger than the sample gets the sample's values and interval, said in the
    gate's notes and details.sample.
    """
    import numpy as np
    from pyspark.sql import functions as F

    from mlgate.load.predictions import Predictions
    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import paired_estimate

    policy = inputs.config.policy
    limit = policy.max_bootstrap_rows
    tags = ["c", "b"] if scored.has_base else ["c"]
    proba = {t: [f"_{t}q{j}" for j in range(len(scored.labels.get(t, [])))] for t in tags}
    order = F.xxhash64(F.lit(policy.seed), F.col("_h")).alias("_k")
    columns = ["_y", *[f"_{t}l" for t in tags], *[f"_{t}p" for t in tags]]
    columns += [c for t in tags for c in proba[t]]
    sizes = {r["_g"]: int(r["count"]) for r in grouped.groupBy("_g").count().collect()}
    out: dict[str, Any] = {}
    for label, n in sizes.items():
        rows: Any = (
            grouped.filter(F.col("_g") == F.lit(label))
            .select(order, *columns)
            .orderBy("_k", "_y")
            .limit(limit)
            .toPandas()
        )

        def predictions(tag: str, rows: Any = rows) -> Predictions:
            label_values = rows[f"_{tag}l"].to_numpy()
            if scored.task == "multiclass":
                if not proba[tag] or rows[proba[tag]].isna().to_numpy().any():
                    return Predictions(label_values)
                matrix = rows[proba[tag]].to_numpy(dtype=np.float64)
                return Predictions(label_values, matrix, np.asarray(scored.labels[tag]))
            p = rows[f"_{tag}p"].to_numpy(dtype=np.float64)
            if scored.task == "regression" or np.isnan(p).any():
                return Predictions(label_values)
            return Predictions(label_values, p)

        y = rows["_y"].to_numpy()
        try:
            cand = predictions("c")
            value = metric.score(y, cand)
            if not scored.has_base:
                out[label] = GroupResult(n, value, None, None, _sampled(len(y), n))
                continue
            base = predictions("b")
            base_value = metric.score(y, base)
            estimate: Any = None
            if paired:
                try:
                    estimate = paired_estimate(
                        metric,
                        y,
                        cand,
                        base,
                        n_boot=policy.bootstrap,
                        seed=policy.seed,
                        max_rows=limit,
                        delta=value - base_value,
                    )
                except MetricError as exc:
                    estimate = exc
            out[label] = GroupResult(n, value, base_value, estimate, _sampled(len(y), n))
        except MetricError as exc:
            out[label] = exc
    return out


def _sampled(rows: int, of: int) -> int | None:
    return rows if rows < of else None


def _sample_variance(total: Any, squares: Any, n: int) -> float:
    """The variance (ddof 1) of n values from their exact sum and sum of squares."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 80
        s1, s2 = Decimal(total), Decimal(squares)
        return float(max(s2 - s1 * s1 / n, Decimal(0)) / max(n - 1, 1))


def _order_stats(
    metric: Any, scored: Scored, grouped: DataFrame, *, seed: int, draws: int
) -> dict[str, Any]:
    """median_absolute_error and max_error from order statistics read in Spark, with the pandas
    engine's intervals.

    Per model, the absolute errors are numbered in order within each group (a Window); only the
    rows at the ranks the statistic needs reach the driver. Median: the four order statistics
    of Hall and Sheather's window (kernels.median_window) give the median and its sparsity, and
    the per-row influences (½ − [e ≤ median]) x sparsity are summed, paired, as DECIMAL. Max:
    each model's MAX_TOP largest errors (ties by the row's key hash); their union's errors of
    both models go to stats.top_max_estimate — the pandas engine's draw on the same rows.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tags = ["c", "b"] if scored.has_base else ["c"]
    y = F.col("_y").cast("double")
    rows = grouped.select(
        "_g", "_h", *[F.abs(y - F.col(f"_{t}l").cast("double")).alias(f"e{t}") for t in tags]
    )
    sizes = {r["_g"]: int(r["count"]) for r in rows.groupBy("_g").count().collect()}
    largest_first = (metric.family or "").endswith(":max")
    for tag in tags:
        order = F.col(f"e{tag}").desc() if largest_first else F.col(f"e{tag}")
        number = Window.partitionBy("_g").orderBy(order, F.col("_h"))
        rows = rows.withColumn(f"r{tag}", F.row_number().over(number) - 1)
    if largest_first:
        return _max_stats(metric, scored, rows, sizes, tags, seed=seed, draws=draws)
    return _median_stats(metric, scored, rows, sizes, tags)


def _max_stats(
    metric: Any,
    scored: Scored,
    rows: DataFrame,
    sizes: dict[Any, int],
    tags: list[str],
    *,
    seed: int,
    draws: int,
) -> dict[str, Any]:
    import numpy as np
    from pyspark.sql import functions as F

    from mlgate.measure.model.stats import MAX_TOP, top_max_estimate

    near = F.lit(False)
    for tag in tags:
        near = near | (F.col(f"r{tag}") < MAX_TOP)
    picked: dict[Any, list[Any]] = {}
    for r in rows.filter(near).collect():
        picked.setdefault(r["_g"], []).append(r)
    out: dict[str, Any] = {}
    for label, top in picked.items():
        n = sizes[label]
        values = [[float(r[f"e{t}"]) for r in top] for t in tags]
        cand = max(values[0])
        if not scored.has_base:
            out[label] = GroupResult(n, cand, None, None)
            continue
        base = max(values[1])
        floor = [min(float(r[f"e{t}"]) for r in top if r[f"r{t}"] < MAX_TOP) for t in tags]
        estimate = top_max_estimate(
            np.asarray(values),
            (floor[0], floor[1]),
            n,
            cand - base,
            n_boot=draws,
            seed=seed,
            name=metric.name,
        )
        out[label] = GroupResult(n, cand, base, estimate)
    return out


def _median_stats(
    metric: Any, scored: Scored, rows: DataFrame, sizes: dict[Any, int], tags: list[str]
) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from mlgate.measure.model.kernels import median_and_sparsity, median_window
    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import INFLUENCE_METHODS
    from mlgate.records import Estimate

    window = {g: median_window(n) for g, n in sizes.items()}
    medians: dict[str, dict[Any, float]] = {t: {} for t in tags}
    sparsity: dict[str, dict[Any, float | None]] = {t: {} for t in tags}
    for tag in tags:
        wanted = F.lit(False)
        for g, (at, _) in window.items():
            wanted = wanted | ((F.col("_g") == _lit(g)) & F.col(f"r{tag}").isin(at))
        found: dict[Any, dict[int, float]] = {}
        for r in rows.filter(wanted).select("_g", f"r{tag}", f"e{tag}").collect():
            found.setdefault(r["_g"], {})[int(r[f"r{tag}"])] = float(r[f"e{tag}"])
        for g, (at, width) in window.items():
            ranked = [found[g][k] for k in at]
            medians[tag][g] = (ranked[1] + ranked[2]) / 2
            read = median_and_sparsity(ranked, width)
            sparsity[tag][g] = None if read is None else read[1]
    out: dict[str, Any] = {}
    if not scored.has_base:
        return {g: GroupResult(n, medians["c"][g], None, None) for g, n in sizes.items()}
    usable = []
    for g in sizes:
        if sparsity["c"][g] is None or sparsity["b"][g] is None:
            out[g] = MetricError(
                f"{metric.name}: tied errors fill the window around the median, so its "
                "sparsity cannot be read on engine: spark (the pandas engine bootstraps here)"
            )
        else:
            usable.append(g)
    if not usable:
        return out

    def influence(tag: str) -> Column:
        below = (F.col(f"e{tag}") <= _per_group(medians[tag])).cast("double")
        return (F.lit(0.5) - below) * _per_group({g: float(sparsity[tag][g] or 0) for g in usable})

    d = influence("c") - influence("b")
    widest = max(float(sparsity[t][g] or 0.0) for t in tags for g in usable)
    exact = _scale(widest, sum(sizes[g] for g in usable))
    sums = (
        rows.filter(F.col("_g").isin(usable))
        .select("_g", d.alias("d"))
        .groupBy("_g")
        .agg(
            F.sum(F.col("d").cast(exact)).alias("sd"),
            F.sum((F.col("d") * F.col("d")).cast(exact)).alias("sdd"),
        )
        .collect()
    )
    method = INFLUENCE_METHODS["median"]
    for r in sums:
        g, n = r["_g"], sizes[r["_g"]]
        cand, base = medians["c"][g], medians["b"][g]
        se = math.sqrt(_sample_variance(r["sd"], r["sdd"], n) / n)
        out[g] = GroupResult(n, cand, base, Estimate(cand - base, method, n, se))
    return out
