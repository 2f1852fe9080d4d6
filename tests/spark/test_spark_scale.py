"""The whole gate on Spark with a 1 GB driver, on eval data whose pandas form needs GBs.

Opt-in (MLGATE_SPARK_SCALE=1): 24 million rows take about 25 minutes on a loaded 2-core
machine. Its one full-size run here did not complete (the mlgate process wrote no report; the
cause was not captured, the assertions now show its stderr); at 2 million rows
(MLGATE_SPARK_SCALE_ROWS=2000000) it passed with a peak RSS of 345 MB. See docs/spark.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("MLGATE_SPARK_SCALE"),
        reason="opt-in: MLGATE_SPARK_SCALE=1 (24M rows, ~25 min; its one full-size run did not "
        "complete, issue 14)",
    ),
]

ROWS = int(os.environ.get("MLGATE_SPARK_SCALE_ROWS", "24000000"))
FEATURES = [f"x{j}" for j in range(10)]
PANDAS_BYTES = ROWS * (len(FEATURES) + 2) * 8  # float64/int64 columns: 2.3 GB at 24M rows
PEAK = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            print('PEAK_KB', int(line.split()[1]), file=sys.stderr)\n"
    "atexit.register(_peak)\n"
    "from mlgate.cli import main\n"
    "raise SystemExit(main(['run']))\n"
)


def features(frame: Any, F: Any) -> list[Any]:
    """Uniform [0, 1) features from a hash of the row id (the same in Spark and numpy-free)."""
    return [
        (F.abs(F.xxhash64("id", F.lit(j))) % 1_000_000 / 1_000_000.0).alias(f"x{j}")
        for j in range(len(FEATURES))
    ]


def test_whole_gate_with_1g_driver_keeps_the_mlgate_process_small(
    spark: Any, tmp_path: Path
) -> None:
    import skops.io as sio
    from pyspark.sql import functions as F
    from sklearn.linear_model import LogisticRegression

    rows = spark.range(0, ROWS, numPartitions=16)
    rows = rows.select("id", *features(rows, F))
    noise = F.abs(F.xxhash64("id", F.lit(99))) % 1_000_000 / 1_000_000.0
    label = ((F.col("x0") + F.col("x1") + noise) > 1.5).cast("long").alias("label")
    rows.select("*", label).write.parquet(str(tmp_path / "eval"))
    train = rows.limit(20_000).select("*", label).toPandas()  # 20k rows: to fit the models
    X, y = train[FEATURES], train["label"]
    sio.dump(LogisticRegression().fit(X, y), tmp_path / "candidate.skops")
    sio.dump(LogisticRegression(C=0.001).fit(X[:500], y[:500]), tmp_path / "baseline.skops")
    config = {
        "version": 1,
        "engine": {"name": "spark", "master": "local[2]", "conf": {"spark.driver.memory": "1g"}},
        "data": {"eval": "eval/", "target": "label", "id": "id", "features": FEATURES},
        "models": {"candidate": "candidate.skops", "baseline": "baseline.skops"},
        "gates": {
            "data": [{"expect": "expect_column_values_to_not_be_null", "column": "x0"}],
            "model": [
                {"metric": "accuracy", "max_drop": 0.01},
                {"metric": "log_loss", "max_increase": 0.01},
            ],
        },
        "report": {"dir": "out"},
    }
    (tmp_path / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        [sys.executable, "-c", PEAK], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["context"]["eval"]["rows"] == ROWS
    assert [(g["id"], g["status"]) for g in report["gates"]] == [
        ("data.expect_column_values_to_not_be_null.x0", "pass"),
        ("model.accuracy", "pass"),
        ("model.log_loss", "pass"),
    ]
    peak_mb = [int(x.split()[1]) for x in done.stderr.splitlines() if x.startswith("PEAK_KB")]
    assert peak_mb, done.stderr[-3000:]
    peak = peak_mb[-1] * 1024
    # the mlgate process (plans and aggregates) stays far below the eval rows' pandas form
    assert peak < 1.0e9, f"peak RSS {peak / 1e6:.0f} MB (pandas form {PANDAS_BYTES / 1e9:.1f} GB)"
    assert np.isfinite(report["gates"][1]["ci"][0])
