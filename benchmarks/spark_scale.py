"""Cost of the same gate on `engine: spark` vs the pandas engine, and this process's memory.

For each size, generated Parquet folders (eval and reference, 20 columns: 16 numbers, 4
categories, plus an id and a label) are gated three ways, each in a fresh subprocess that
reports its own peak RSS (VmHWM in /proc/self/status, the Python process only; Spark's JVM is
separate):

- `mlgate run` with `engine: {name: spark, master: local[2]}`: drift (psi) on every column,
  three expectations through GX's Spark datasource, the schema gate, and model gates of a
  candidate vs a baseline logistic regression (accuracy, log_loss, roc_auc, f1: predictions
  by mapInPandas, paired statistics aggregated in Spark);
- the bare Spark work the same answers need: start a session, reference quantiles by
  approxQuantile, bin counts of every column of both frames in one aggregation each, the three
  expectations as plain aggregations;
- `mlgate run` with the pandas engine on the same config and rows (one Parquet file each): where
  it runs out of memory (killed, or a MemoryError) the line says so.

Prints wall time, peak RSS, the ratio mlgate-on-Spark / bare Spark per size (the bare work is
the data gates' only), and how each grows from the smallest size to the largest.

    python benchmarks/spark_scale.py [--rows 1000000 3000000 10000000] [--no-pandas]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

NUMBERS = [f"x{i}" for i in range(16)]
CATEGORIES = [f"c{i}" for i in range(4)]
PEAK = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            print('PEAK_KB', int(line.split()[1]), file=sys.stderr)\n"
    "atexit.register(_peak)\n"
)
RUN = PEAK + "from mlgate.cli import main\nraise SystemExit(main(['run']))\n"
BARE = PEAK + textwrap.dedent(
    """\
    import numpy as np
    from pyspark.sql import SparkSession, functions as F
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    ref, cur = spark.read.parquet("data/reference"), spark.read.parquet("data/eval")
    numbers = [c for c in ref.columns if c.startswith("x")]
    edges = ref.approxQuantile(numbers, list(np.linspace(0, 1, 11)[1:-1]), 1e-4)
    def counts(frame):
        exprs = []
        for c, e in zip(numbers, edges):
            b = F.when(F.col(c).isNull(), 99)
            for i, edge in enumerate(e):
                b = b.when(F.col(c) < edge, i)
            b = b.otherwise(len(e))
            exprs += [F.count(F.when(b == k, 1)) for k in range(len(e) + 1)]
        return frame.agg(*exprs).first()
    counts(ref), counts(cur)
    for c in [c for c in ref.columns if c.startswith("c")]:
        ref.groupBy(c).count().collect(), cur.groupBy(c).count().collect()
    cur.agg(F.count(F.when(F.col("x0").isNull(), 1)), F.min("x1"), F.max("x1"),
            F.count(F.when(~F.col("c0").isin("a", "b", "c", "d"), 1))).first()
    """
)
GATES = [
    {"drift": {"columns": [*NUMBERS, *CATEGORIES], "method": "psi", "max": 0.2}},
    {"expect": "expect_column_values_to_not_be_null", "column": "x0"},
    {"expect": "expect_column_values_to_be_between", "column": "x1", "min_value": -10},
    {"expect": "expect_column_values_to_be_in_set", "column": "c0", "value_set": list("abcd")},
    {"schema": True},
]
MODEL_GATES = [
    {"metric": "accuracy", "max_drop": 0.01},
    {"metric": "log_loss", "max_increase": 0.01},
    {"metric": "roc_auc", "max_drop": 0.01},
    {"metric": "f1", "max_drop": 0.02},
]


def generate(root: Path, rows: int, seed: int, name: str, parts: int = 4) -> None:
    """rows × 20 columns as `parts` Parquet files in data/NAME/, and one file data/NAME.parquet."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = root / "data" / name
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    writer = pq.ParquetWriter(root / "data" / f"{name}.parquet", _schema())
    step = -(-rows // parts)
    for i in range(parts):
        n = min(step, rows - i * step)
        frame = pd.DataFrame({c: rng.normal(0, 1, n) for c in NUMBERS})
        for c in CATEGORIES:
            frame[c] = rng.choice(list("abcd"), n)
        frame["id"] = np.arange(i * step, i * step + n, dtype=np.int64) + seed * 10**10
        signal = frame["x0"] + 0.5 * frame["x1"] - 0.25 * frame["x2"]
        frame["label"] = (signal + rng.normal(0, 1, n) > 0).astype(np.int64)
        table = pa.Table.from_pandas(frame, schema=_schema(), preserve_index=False)
        pq.write_table(table, folder / f"part-{i:05d}.parquet")
        writer.write_table(table)
    writer.close()


def _schema() -> object:
    import pyarrow as pa

    return pa.schema(
        [(c, pa.float64()) for c in NUMBERS]
        + [(c, pa.string()) for c in CATEGORIES]
        + [("id", pa.int64()), ("label", pa.int64())]
    )


def models(root: Path) -> None:
    """A candidate (all 16 numbers) and a baseline (fewer training rows, stronger penalty)."""
    import numpy as np
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(9)
    X = pd.DataFrame({c: rng.normal(0, 1, 20_000) for c in NUMBERS})
    y = (X["x0"] + 0.5 * X["x1"] - 0.25 * X["x2"] + rng.normal(0, 1, len(X)) > 0).astype(int)
    sio.dump(LogisticRegression().fit(X, y), root / "candidate.skops")
    sio.dump(LogisticRegression(C=0.001).fit(X[:2000], y[:2000]), root / "baseline.skops")


def config(root: Path, engine: object, suffix: str) -> None:
    import yaml

    doc = {
        "version": 1,
        "data": {
            "eval": f"data/eval{suffix}",
            "reference": f"data/reference{suffix}",
            "target": "label",
            "id": "id",
            "features": NUMBERS,
        },
        "engine": engine,
        "models": {"candidate": "candidate.skops", "baseline": "baseline.skops"},
        "gates": {"data": GATES, "model": MODEL_GATES},
        "report": {"dir": "out"},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


OOM = "out of memory"


def timed(code: str, cwd: Path) -> tuple[float, float, int | str]:
    """(wall seconds, peak RSS in MB of the Python process, exit code or OOM) of `python -c`."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=3600
    )
    wall = time.perf_counter() - started
    peak = [int(x.split()[1]) for x in done.stderr.splitlines() if x.startswith("PEAK_KB")]
    killed = done.returncode in (-9, 137) or "MemoryError" in done.stderr
    if not peak and not killed:
        print(done.stderr[-2000:], file=sys.stderr)
    return wall, (peak[-1] / 1024 if peak else float("nan")), OOM if killed else done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    parser.add_argument("--no-pandas", action="store_true")
    args = parser.parse_args()
    results = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            parts = max(4, rows // 1_000_000)
            generate(root, rows, 1, "reference", parts)
            generate(root, rows, 2, "eval", parts)
            models(root)
            config(root, {"name": "spark", "master": "local[2]"}, "/")
            spark_s, spark_mb, rc = timed(RUN, root)
            report = json.loads((root / "out" / "report.json").read_text())
            verdict = report["verdict"]
            errored = [g["id"] for g in report["gates"] if g["status"] == "error"]
            if errored:
                print(f"  errored gates on Spark: {errored}", flush=True)
            bare_s, bare_mb, bare_rc = timed(BARE, root)
            row = {
                "rows": rows,
                "spark_s": spark_s,
                "spark_rss_mb": spark_mb,
                "verdict": verdict,
                "exit": rc,
                "bare_s": bare_s,
                "bare_rss_mb": bare_mb,
                "bare_exit": bare_rc,
            }
            if not args.no_pandas:
                config(root, "pandas", ".parquet")
                row["pandas_s"], row["pandas_rss_mb"], row["pandas_exit"] = timed(RUN, root)
                if row["pandas_exit"] == OOM:
                    row["pandas_note"] = "pandas engine: OUT OF MEMORY"
            results.append(row)
            print(
                f"{rows:>10,} rows: mlgate on Spark {spark_s:6.1f} s (RSS {spark_mb:5.0f} MB, "
                f"{verdict}, exit {rc}) | bare Spark {bare_s:6.1f} s (RSS {bare_mb:5.0f} MB) | "
                f"ratio {spark_s / bare_s:4.2f}x"
                + (
                    f" | pandas engine {row['pandas_s']:6.1f} s "
                    f"(RSS {row['pandas_rss_mb']:5.0f} MB, exit {row['pandas_exit']})"
                    if "pandas_s" in row
                    else ""
                ),
                flush=True,
            )
    if len(results) > 1:
        first, last = results[0], results[-1]
        grow = last["rows"] / first["rows"]
        line = (
            f"growth x{grow:g} rows: mlgate on Spark time x{last['spark_s'] / first['spark_s']:.2f}"
            f", RSS x{last['spark_rss_mb'] / first['spark_rss_mb']:.2f}; bare Spark time "
            f"x{last['bare_s'] / first['bare_s']:.2f}"
        )
        if "pandas_s" in last and last["pandas_exit"] == OOM:
            line += "; pandas engine ran out of memory at the largest size"
        elif "pandas_s" in last:
            line += (
                f"; pandas engine time x{last['pandas_s'] / first['pandas_s']:.2f}, "
                f"RSS x{last['pandas_rss_mb'] / first['pandas_rss_mb']:.2f}"
            )
        print(line)


if __name__ == "__main__":
    main()
