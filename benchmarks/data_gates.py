"""Data gates at scale: 1M rows x 20 columns, 12 typical expectations plus drift on all 20 columns.

Prints mlgate's time, the same 12 expectations through Great Expectations alone, and the same
drift through Evidently's DataDriftPreset (installed in its own venv, never a dependency), with
ratios. Targets (issue 3): mlgate's expectations <= 1.5x GX alone; drift >= 20x faster than
Evidently. Timings are best of --repeat runs, data already in memory, GX already imported.

    .venv/bin/python benchmarks/data_gates.py [--rows 1000000] [--repeat 3] [--no-evidently]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

EVIDENTLY_VENV = Path(os.environ.get("MLGATE_EVIDENTLY_VENV", "/tmp/evidently-venv"))
# Evidently 0.7 breaks with pandas 3 and scikit-learn >= 1.8: pinned in its own venv only
EVIDENTLY_PINS = ["evidently==0.7.*", "pandas<3", "scikit-learn<1.8", "pyarrow"]
EVIDENTLY_KNOWN = 106.0  # s, Evidently 0.7.23 drift preset on 1M x 20 here (notes), if no venv
NUMERIC = [f"num{i}" for i in range(14)]
CATEGORICAL = [f"cat{i}" for i in range(6)]

EXPECTATIONS: list[dict[str, Any]] = [
    {"expect": "expect_column_values_to_not_be_null", "column": "num0"},
    {"expect": "expect_column_values_to_not_be_null", "column": "num3", "mostly": 0.95},
    {"expect": "expect_column_values_to_not_be_null", "column": "cat0"},
    {
        "expect": "expect_column_values_to_be_between",
        "column": "num0",
        "min_value": -10,
        "max_value": 10,
    },
    {
        "expect": "expect_column_values_to_be_between",
        "column": "num4",
        "min_value": 18,
        "max_value": 90,
    },
    {
        "expect": "expect_column_values_to_be_between",
        "column": "num3",
        "min_value": -100,
        "max_value": 100,
    },
    {"expect": "expect_column_values_to_be_in_set", "column": "cat0", "value_set": ["a", "b", "c"]},
    {
        "expect": "expect_column_values_to_be_in_set",
        "column": "cat1",
        "value_set": [f"k{i}" for i in range(10)],
    },
    {
        "expect": "expect_column_mean_to_be_between",
        "column": "num1",
        "min_value": 90,
        "max_value": 110,
    },
    {
        "expect": "expect_column_stdev_to_be_between",
        "column": "num2",
        "min_value": 0.5,
        "max_value": 2,
    },
    {"expect": "expect_column_max_to_be_between", "column": "num5", "max_value": 1000},
    {"expect": "expect_table_row_count_to_be_between", "min_value": 1000},
]
PSI_ALL = {"drift": {"columns": "*", "method": "psi", "max": 0.2}}
# What Evidently's preset computes on > 1000 rows: normed Wasserstein (numeric), JS (categorical)
LIKE_EVIDENTLY = [
    {"drift": {"columns": NUMERIC, "method": "wasserstein", "max": 0.1}},
    {"drift": {"columns": CATEGORICAL, "method": "js", "max": 0.1}},
]


def frame(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """14 numeric columns (floats, ints, some nulls) and 6 categorical ones (some nulls)."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for i, name in enumerate(NUMERIC):
        kind = i % 4
        if kind == 0:
            data[name] = rng.normal(shift * (i == 0), 1.0, rows)
        elif kind == 1:
            data[name] = rng.normal(100, 15, rows)
        elif kind == 2:
            data[name] = rng.exponential(2.0, rows)
        else:
            data[name] = rng.integers(18, 91, rows)
    data["num2"] = rng.normal(0, 1, rows)
    data["num3"] = np.where(rng.random(rows) < 0.01, np.nan, rng.normal(0, 10, rows))
    for i, name in enumerate(CATEGORICAL):
        levels = np.array(
            ["a", "b", "c"] if i == 0 else [f"k{j}" for j in range(10 * i)], dtype=object
        )
        values = levels[rng.integers(0, len(levels), rows)]
        if i == 5:
            values[rng.random(rows) < 0.02] = None
        data[name] = values
    return pd.DataFrame(data)


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def mlgate_measure(root: Path, gates: list[dict[str, Any]], repeat: int) -> float:
    """KIND.measure on in-memory frames (files read before the clock starts)."""
    from mlgate.config import load_config
    from mlgate.load.inputs import Inputs
    from mlgate.measure.data.gate import KIND

    config = {
        "version": 1,
        "gates": {"data": gates},
        "data": {"eval": "eval.parquet", "reference": "reference.parquet"},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    loaded = load_config(root / "mlgate.yaml")
    problems = KIND.validate(loaded)
    assert not problems, problems
    times = []
    for _ in range(repeat):
        inputs = Inputs(loaded, cache_dir=root / "cache")
        inputs.eval, inputs.reference  # noqa: B018 - load outside the timing
        start = time.perf_counter()
        measured = KIND.measure(inputs)
        times.append(time.perf_counter() - start)
        errors = [m.error for m in measured if m.error]
        assert not errors, errors
    return min(times)


def gx_alone(current: pd.DataFrame, repeat: int, columns: list[str] | None = None) -> float:
    """The 12 expectations the way a GX user runs them: one suite, one validate call."""
    import warnings

    with warnings.catch_warnings():
        import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    data = current if columns is None else current[columns]

    def run() -> None:
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        )
        context = gx.get_context(mode="ephemeral", project_config=config)
        batch = (
            context.data_sources.add_pandas("bench")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": data})
        )
        suite = gx.ExpectationSuite(
            name="bench",
            expectations=[
                {"type": e["expect"], "kwargs": {k: v for k, v in e.items() if k != "expect"}}
                for e in EXPECTATIONS
            ],
        )
        result = batch.validate(suite, result_format="BASIC")
        assert len(result.results) == len(EXPECTATIONS)

    return best(run, repeat)


EVIDENTLY_SCRIPT = """
import json, re, sys, time, warnings
warnings.simplefilter("ignore")
start = time.perf_counter()
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset
imported = time.perf_counter() - start
import pandas as pd
reference, current = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
start = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current, reference)
ran = time.perf_counter() - start
scores = {}
for metric in snapshot.dict()["metrics"]:
    name = str(metric.get("metric_id") or metric.get("metric_name"))
    found = re.search(r"ValueDrift\(column=([^,]+),", name)
    if found:
        scores[found.group(1)] = float(metric["value"])
print(json.dumps({"import_s": imported, "run_s": ran, "version": evidently.__version__,
                  "scores": scores}))
"""


def evidently_venv() -> tuple[Path | None, str]:
    """The benchmark's own Evidently venv (created on first use), or why there is none."""
    python = EVIDENTLY_VENV / "bin" / "python"
    if python.exists():
        return python, "existing venv"
    uv = Path(sys.executable).parent / "uv"
    try:
        if uv.exists():
            subprocess.run(
                [str(uv), "venv", str(EVIDENTLY_VENV), "--python", sys.executable, "-q"],
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
            subprocess.run(
                [str(uv), "pip", "install", "--python", str(python), "-q", *EVIDENTLY_PINS],
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
        else:
            subprocess.run(
                [sys.executable, "-m", "venv", str(EVIDENTLY_VENV)],
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *EVIDENTLY_PINS],
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = (getattr(exc, "stderr", "") or str(exc)).strip()
        shutil.rmtree(EVIDENTLY_VENV, ignore_errors=True)
        return None, f"could not install Evidently: {detail.splitlines()[-1] if detail else exc}"
    return python, "created"


def evidently(root: Path) -> tuple[float, str, dict[str, float]]:
    """Evidently's run time, how it was obtained, and its per-column drift scores."""
    python, how = evidently_venv()
    if python is None:
        return EVIDENTLY_KNOWN, f"KNOWN FIGURE from notes, not measured now ({how})", {}
    out = subprocess.run(
        [
            str(python),
            "-c",
            EVIDENTLY_SCRIPT,
            str(root / "reference.parquet"),
            str(root / "eval.parquet"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode != 0:
        last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "no output"
        return (
            EVIDENTLY_KNOWN,
            f"KNOWN FIGURE from notes, not measured now (Evidently failed: {last})",
            {},
        )
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    how = f"measured, evidently {doc['version']}, import {doc['import_s']:.1f} s"
    return float(doc["run_s"]), how, doc["scores"]


def agreement(reference: pd.DataFrame, current: pd.DataFrame, theirs: dict[str, float]) -> str:
    """Largest gap between Evidently's per-column scores and mlgate's on the same tests."""
    import math

    from mlgate.measure.data.drift import column_drift

    gaps = []
    for column, score in theirs.items():
        method = "wasserstein" if column in NUMERIC else "js"
        ours = column_drift(reference[column], current[column], method=method).score
        # Evidently's JS distance uses natural logs; mlgate's is base 2 (bounded by 1)
        gaps.append(abs(ours * (math.sqrt(math.log(2)) if method == "js" else 1) - score))
    return (
        f"{len(gaps)} columns compared, largest score difference {max(gaps):.2g}"
        if gaps
        else "none"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-evidently", action="store_true", help="skip the Evidently run")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="mlgate-bench-"))
    reference, current = frame(args.rows, seed=1), frame(args.rows, seed=2, shift=0.3)
    reference.to_parquet(root / "reference.parquet", index=False)
    current.to_parquet(root / "eval.parquet", index=False)
    print(
        f"data: {args.rows:,} rows x {current.shape[1]} columns; best of {args.repeat}; "
        f"{os.cpu_count()} cores"
    )

    start = time.perf_counter()
    from mlgate.measure.data import gx

    gx.load()
    print(f"import great_expectations (once per run)      {time.perf_counter() - start:7.2f} s")

    used = sorted({e["column"] for e in EXPECTATIONS if "column" in e})
    t_gx = gx_alone(current, args.repeat)
    t_gx_used = gx_alone(current, args.repeat, columns=used)
    t_expect = mlgate_measure(root, EXPECTATIONS, args.repeat)
    t_psi = mlgate_measure(root, [PSI_ALL], args.repeat)
    t_like = mlgate_measure(root, LIKE_EVIDENTLY, args.repeat)
    t_all = mlgate_measure(root, [*EXPECTATIONS, PSI_ALL], args.repeat)
    print(f"GX alone, 12 expectations, whole frame        {t_gx:7.2f} s")
    print(f"GX alone, 12 expectations, used columns only  {t_gx_used:7.2f} s")
    print(f"mlgate, 12 expectation gates                  {t_expect:7.2f} s")
    print(f"mlgate, drift psi on 20 columns               {t_psi:7.2f} s")
    print(f"mlgate, drift as Evidently (wass. + JS)       {t_like:7.2f} s")
    print(f"mlgate, all data gates (12 + psi on 20)       {t_all:7.2f} s")

    theirs: dict[str, float] = {}
    if args.no_evidently:
        t_ev, how = EVIDENTLY_KNOWN, "KNOWN FIGURE from notes (--no-evidently)"
    else:
        t_ev, how, theirs = evidently(root)
    print(f"Evidently DataDriftPreset, 20 columns         {t_ev:7.2f} s  [{how}]")
    if theirs:
        print(f"Evidently vs mlgate scores: {agreement(reference, current, theirs)}")
    print()
    print(f"ratio mlgate expectations / GX alone          {t_expect / t_gx:7.2f}x  (target <= 1.5)")
    print(f"ratio mlgate all data gates / GX alone        {t_all / t_gx:7.2f}x")
    print(f"ratio Evidently / mlgate drift (same tests)   {t_ev / t_like:7.1f}x  (target >= 20)")
    print(f"ratio Evidently / mlgate drift (psi)          {t_ev / t_psi:7.1f}x")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
