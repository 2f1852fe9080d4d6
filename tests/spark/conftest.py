"""Spark tests: one local[2] SparkSession for the whole session (a JVM start costs seconds).

The gate finds it as the ambient session (engine: spark without a master), as it would under
spark-submit. Skipped with the reason when pyspark or Java is missing (`make test` installs both).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from mlgate.load.spark import java_problem


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (pip install 'mlgate[spark]')")
    problem = java_problem()
    if problem is not None:
        pytest.skip(f"Spark needs Java: {problem}")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers: this venv's Python

    session = (
        SparkSession.builder.master("local[2]")
        .appName("mlgate-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
