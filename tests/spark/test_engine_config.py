"""engine: config, the Java check, and the pandas path never importing pyspark (no JVM here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from mlgate.config.schema import Config, EngineConfig
from mlgate.measure.data.drift import _binned, column_drift


def test_engine_defaults_to_pandas_and_takes_both_forms() -> None:
    assert Config(data={"eval": "e.csv"}).engine == EngineConfig(name="pandas")
    assert Config(data={"eval": "e.csv"}, engine="spark").engine.name == "spark"
    long = Config(
        data={"eval": "e.csv"},
        engine={"name": "spark", "master": "local[4]", "conf": {"spark.driver.memory": "2g"}},
    ).engine
    assert (long.master, dict(long.conf)) == ("local[4]", {"spark.driver.memory": "2g"})


def test_master_on_the_pandas_engine_is_an_error() -> None:
    with pytest.raises(ValidationError, match="master and conf are settings of engine: spark"):
        Config(data={"eval": "e.csv"}, engine={"name": "pandas", "master": "local[2]"})
    with pytest.raises(ValidationError):
        Config(data={"eval": "e.csv"}, engine="dask")


def write(root: Path, engine: object) -> None:
    frame = pd.DataFrame({"a": np.arange(50.0), "b": ["x", "y"] * 25})
    frame.to_csv(root / "eval.csv", index=False)
    frame.to_parquet(root / "ref.parquet", index=False)
    config = {
        "version": 1,
        "data": {"eval": "eval.csv", "reference": "ref.parquet"},
        "engine": engine,
        "gates": {"data": [{"drift": {"max": 0.2}}, {"schema": True}]},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config))


def test_pandas_path_imports_no_pyspark(tmp_path: Path) -> None:
    write(tmp_path, "pandas")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mlgate.config import load_config\n"
        "from mlgate.pipeline import RunOptions, execute\n"
        "root = Path(sys.argv[1])\n"
        "report = execute(load_config('mlgate.yaml', cwd=root), RunOptions(out_dir=root / 'o', env={}))\n"
        "assert report.verdict == 'pass', report\n"
        "assert 'engine' not in report.context\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("pyspark") is None, reason="pyspark not installed"
)
def test_missing_java_is_one_line_exit_3_with_the_fix(tmp_path: Path) -> None:
    write(tmp_path, "spark")
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_MASTER")}
    env["PATH"] = str(Path(sys.executable).parent)  # python and mlgate, no java
    done = subprocess.run(
        [sys.executable, "-m", "mlgate", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    line = (
        "mlgate.yaml: engine: Spark needs a Java runtime: no `java` on PATH and "
        "JAVA_HOME is not set (install a Java runtime (17 or 21), e.g. `apt-get install "
        "openjdk-17-jre-headless`, or set JAVA_HOME)"
    )
    assert line in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_unseen_values_are_counted_once_in_by_value_bins() -> None:
    """A value new in eval data has its own bin; it is not also counted as missing."""
    reference = pd.Series([0, 1, 2] * 100)
    current = pd.Series([0, 1, 2] * 90 + [7] * 30)
    drift = column_drift(reference, current, method="psi")
    expected, _ = _binned(np.array([100, 100, 100, 0, 0]), np.array([90, 90, 90, 0, 30]), "psi")
    assert drift.score == pytest.approx(expected, abs=1e-12)
    assert (drift.unseen, drift.unseen_rows) == (("7",), 30)
