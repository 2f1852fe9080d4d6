"""A regression project unlike the fixtures: blood pressure per clinic, a drifted age column.

The production model sees age and BMI; the candidate lost BMI (a worse fit), and the eval
patients are older than the training ones (age drifts). Real data files, real scikit-learn
models saved with skops.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def patients(n: int, seed: int, older: float = 0.0) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    clinic = rng.choice(["east", "west", "north"], n, p=[0.5, 0.3, 0.2])
    age = rng.normal(55 + older, 12, n).round(0)
    bmi = rng.normal(27, 4, n).round(1)
    noise = rng.normal(0, 8, n)
    sbp = (90 + 0.6 * age + 1.1 * bmi + np.where(clinic == "east", 4, 0) + noise).round(1)
    return pd.DataFrame({"clinic": clinic, "age": age, "bmi": bmi, "sbp": sbp})


def build(root: Path, *, gates: dict[str, Any] | None = None) -> Path:
    """Write data/, models/ and mlgate.yaml under `root`; return the config path."""
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    train, holdout = patients(1500, seed=11), patients(600, seed=12, older=9.0)
    train.to_parquet(root / "data" / "train.parquet")
    holdout.to_parquet(root / "data" / "eval.parquet")
    X, y = train.drop(columns="sbp"), train["sbp"]

    def fitted(numeric: list[str]) -> Any:
        columns = make_column_transformer((OneHotEncoder(), ["clinic"]), ("passthrough", numeric))
        return make_pipeline(columns, Ridge()).fit(X, y)

    sio.dump(fitted(["age", "bmi"]), root / "models" / "production.skops")
    sio.dump(fitted(["age"]), root / "models" / "candidate.skops")
    config = {
        "version": 1,
        "data": {"eval": "data/eval.parquet", "reference": "data/train.parquet", "target": "sbp"},
        "models": {
            "candidate": "models/candidate.skops",
            "baseline": "models/production.skops",
            "task": "regression",
        },
        "gates": gates
        or {
            "data": [{"drift": {"columns": "*", "method": "psi", "max": 0.2}}],
            "model": [
                {"metric": "mae", "max_increase": 0.5},
                {"metric": "mae", "slice": "clinic", "max_increase": 0.5},
            ],
            "performance": [{"model_size_mb": {"max": 5}}],
        },
    }
    path = root / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
