"""The Spark engine's load stage: the session, and eval/reference data read by Spark.

Imported only when `engine: spark` is configured: nothing else in mlgate imports pyspark. The
rows stay in Spark; this process holds only the query plans and the small aggregates the gates
collect (counts per bin, sums, quantile edges).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import InputError, MlgateError, require

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

    from mlgate.config.schema import EngineConfig

JAVA_HINT = (
    "install a Java runtime (17 or 21), e.g. `apt-get install openjdk-17-jre-headless`, "
    "or set JAVA_HOME"
)
# what mlgate sets unless the config says otherwise: no console progress bars, no web UI
DEFAULT_CONF = {"spark.ui.showConsoleProgress": "false", "spark.ui.enabled": "false"}
FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}
TABLE_PREFIX = "table:"


def java_problem(env: dict[str, str] | None = None) -> str | None:
    """Why Spark cannot start a JVM here, or None when a `java` is found."""
    env = dict(os.environ) if env is None else env
    home = env.get("JAVA_HOME")
    if home:
        if (Path(home) / "bin" / "java").is_file():
            return None
        return f"JAVA_HOME={home} has no bin/java"
    if shutil.which("java", path=env.get("PATH")) is not None:
        return None
    return "no `java` on PATH and JAVA_HOME is not set"


def session(engine: EngineConfig, where: str) -> SparkSession:
    """The SparkSession of the run: the configured master, else the ambient session (spark-submit,
    Databricks), else SPARK_MASTER, else Spark's own default (local[*])."""
    require("pyspark", "spark", "engine: spark")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and engine.master is None:
        for key, value in engine.conf.items():  # runtime settings only; the rest is the cluster's
            _set(active, key, value, where)
        return active
    problem = java_problem()
    if problem is not None:
        raise InputError(f"{where}: Spark needs a Java runtime: {problem}", hint=JAVA_HINT)
    builder = SparkSession.builder.appName("mlgate")
    master = engine.master or os.environ.get("SPARK_MASTER")
    if master:
        builder = builder.master(master)
    defaults = dict(DEFAULT_CONF)
    if (master or "local").startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        import sys

        os.environ["PYSPARK_PYTHON"] = sys.executable  # local workers: this very Python
    for key, value in {**defaults, **{k: _text(v) for k, v in engine.conf.items()}}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM or the master refused: the run cannot evaluate
        raise InputError(
            f"{where}: Spark could not start (master {master or 'default'}): {_first_line(exc)}"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def describe(spark: SparkSession) -> dict[str, Any]:
    """`context.engine` of the report: which engine ran, on what master, which Spark."""
    try:
        return {
            "name": "spark",
            "master": spark.sparkContext.master,
            "spark_version": spark.version,
        }
    except Exception as exc:  # the JVM is gone (e.g. a driver out of memory): said, not raised
        raise MlgateError(f"engine: Spark stopped answering: {_first_line(exc)}") from None


def read(spark: SparkSession, spec: str, path: Path, where: str) -> DataFrame:
    """A Parquet/CSV/JSON file, folder or glob (local or any URI Spark reads), or `table:NAME`.

    `spec` is the value as configured (shown in messages); `path` is it resolved against the
    config's folder (used for local paths only: URIs and tables go to Spark as written).
    """
    if spec.startswith(TABLE_PREFIX):
        name = spec[len(TABLE_PREFIX) :]
        try:
            return spark.table(name)
        except Exception as exc:
            raise InputError(f"{where}: cannot read table {name!r}: {_first_line(exc)}") from None
    remote = "://" in spec or spec.startswith(("dbfs:", "file:"))
    location = spec if remote else str(path)
    fmt = _format(spec, None if remote else path, where)
    reader = spark.read
    if fmt == "csv":
        reader = reader.option("header", "true").option("inferSchema", "true")
    if fmt == "json" and spec.rstrip("/").lower().endswith(".json"):
        reader = reader.option("multiLine", "true")  # a .json file is one array (as pandas reads)
    try:
        frame = reader.format(fmt).load(location)
    except Exception as exc:
        raise InputError(f"{where}: cannot read {spec} with Spark: {_first_line(exc)}") from None
    return frame


def model_on_spark(ref: Any) -> Any:
    """A model for the Spark engine: a model file loaded here (by the same safe loaders, to
    check it and tell the task; the workers load the broadcast bytes again), or a predictions
    file left to Spark, which reads it and joins it on data.id."""
    from mlgate.load import models

    if ref.format != "predictions":
        return models.load(ref)
    if ref.path is None or not (ref.path.exists() or "://" in ref.source):
        raise InputError(
            f"{ref.where}: predictions file not found: {ref.source}",
            hint="paths are relative to the config file",
        )
    model = models.Model(ref, _prediction_file()(), 0.0)
    return model


def _prediction_file() -> type:
    from mlgate.load.models import PredictionFile

    class SparkPredictions(PredictionFile):
        """A predictions file on Spark: read by Spark and joined on data.id, never by pandas."""

        spark_predictions = True

        def __init__(self) -> None:
            self.classes_ = None

    return SparkPredictions


def _format(spec: str, path: Path | None, where: str) -> str:
    """parquet/csv/json from the name; a local folder by the files in it; else parquet."""
    name = spec.rstrip("/").lower()
    for suffix, fmt in FORMATS.items():
        if name.endswith(suffix) or name.endswith(suffix + "*"):
            return fmt
    if path is not None and "*" not in spec:
        if not path.exists():
            raise InputError(f"{where}: not found: {spec} (paths are relative to the config file)")
        if path.is_dir():
            found = {
                FORMATS[p.suffix.lower()]
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in FORMATS and not p.name.startswith((".", "_"))
            }
            if len(found) > 1:
                raise InputError(
                    f"{where}: {spec} holds {' and '.join(sorted(found))} files; "
                    "point to one format (a glob like folder/*.parquet)"
                )
            if found:
                return found.pop()
            raise InputError(f"{where}: {spec} holds no .parquet, .csv or .json files")
    return "parquet"


def _set(spark: SparkSession, key: str, value: Any, where: str) -> None:
    try:
        spark.conf.set(key, _text(value))
    except Exception as exc:
        raise InputError(
            f"{where}.conf.{key}: the running Spark session refused it: {_first_line(exc)}"
        ) from None


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


# --- frame helpers shared by the gate kinds on Spark ------------------------------------------


def eval_context(frame: DataFrame, path: str) -> dict[str, Any]:
    """`context.eval` on Spark: rows counted and a content fingerprint summed by Spark."""
    from pyspark.sql import functions as F

    try:
        row = one_row(
            frame.agg(
                F.count(F.lit(1)).alias("rows"),
                F.sum(
                    F.xxhash64(*[F.col(quote(c)) for c in frame.columns]).cast("decimal(38,0)")
                ).alias("h"),
            )
        )
    except MlgateError:
        raise
    except Exception as exc:  # a failed job or a JVM that died: the report still gets written
        raise MlgateError(
            f"engine: Spark could not count the eval rows: {_first_line(exc)}"
        ) from None
    return {
        "path": path,
        "rows": int(row["rows"]),
        # order-free: the same rows in any partitioning give the same fingerprint
        "fingerprint": f"spark-xxhash64-sum:{int(row['h'] or 0) % (1 << 64):016x}",
    }


def one_row(frame: DataFrame) -> Any:
    """The single row of an aggregation."""
    row = frame.first()
    if row is None:  # an aggregation without groups always has one row
        raise MlgateError("Spark returned no row for an aggregation")
    return row


def quote(column: str) -> str:
    """A column name as Spark SQL reads it (backticks, doubled inside)."""
    return "`" + column.replace("`", "``") + "`"


def empty_like(frame: DataFrame) -> pd.DataFrame:
    """A zero-row pandas frame with the dtype pandas gives each Spark type (no job runs)."""
    import pandas as pd

    return pd.DataFrame(
        {f.name: pd.Series([], dtype=_dtype(f.dataType)) for f in frame.schema.fields}
    )


def _dtype(kind: Any) -> str:
    from pyspark.sql import types as T

    if isinstance(kind, T.BooleanType):
        return "bool"
    if isinstance(kind, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return "int64"
    if isinstance(kind, (T.FloatType, T.DoubleType, T.DecimalType)):
        return "float64"
    if isinstance(kind, (T.TimestampType, T.TimestampNTZType)):
        return "datetime64[ns]"
    if isinstance(kind, T.DayTimeIntervalType):
        return "timedelta64[ns]"
    return "object"  # strings, dates, binary, nested
