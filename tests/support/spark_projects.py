"""The same eval rows as one Parquet file (pandas engine) or a folder of parts (Spark engine)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute
from mlgate.records import GateResult, Report


def write_eval(root: Path, frame: pd.DataFrame, engine: str, parts: int) -> str:
    """data/eval.parquet for pandas; for Spark, `parts` Parquet files of the rows shuffled by
    `parts` (another row order per layout). Returns data.eval as the config names it."""
    data = root / "data"
    data.mkdir(parents=True)
    if engine == "pandas":
        frame.to_parquet(data / "eval.parquet", index=False)
        return "data/eval.parquet"
    (data / "eval").mkdir()
    shuffled = frame.sample(frac=1.0, random_state=parts)
    bounds = np.linspace(0, len(frame), parts + 1).astype(int)
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        shuffled.iloc[lo:hi].to_parquet(data / "eval" / f"part-{i:05d}.parquet", index=False)
    return "data/eval/"


def run(root: Path) -> Report:
    return execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))


def by_id(report: Report) -> dict[str, GateResult]:
    return {g.id: g for g in report.gates}


def write_config(
    root: Path,
    engine: str,
    data: dict[str, Any],
    models: dict[str, Any],
    gates: list[dict[str, Any]],
    policy: dict[str, Any] | None = None,
) -> Path:
    config = {
        "version": 1,
        "data": data,
        "engine": engine,
        "models": models,
        "gates": {"model": gates},
        "policy": policy or {},
    }
    (root / "mlgate.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def engine_reports(
    factory: Any, project: Callable[..., Path], layouts: tuple[int, int]
) -> dict[str, Report]:
    """The project run on pandas and on Spark in two layouts: {"pandas", "spark<parts>"…}."""
    out = {"pandas": run(project(factory.mktemp("p"), "pandas"))}
    for parts in layouts:
        out[f"spark{parts}"] = run(project(factory.mktemp(f"s{parts}"), "spark", parts=parts))
    return out
