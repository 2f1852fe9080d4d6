"""Helpers for tests: small real projects (generated data, real scikit-learn models, real files).

Import from here (`from projects import Project`), never `from conftest import`: several
conftest modules exist and their names collide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Each project gets its own data: these parameters are not the demo's, nor tuned to a verdict.
FEATURES = [f"x{i}" for i in range(6)]


@dataclass
class Project:
    """A throwaway user project on disk: data files, models and an mlgate.yaml."""

    root: Path

    def config(self, doc: dict[str, Any] | str, name: str = "mlgate.yaml") -> Path:
        path = self.root / name
        path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
        return path

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the real CLI in a subprocess, in the project folder."""
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))
        }
        full_env.pop("CI", None)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "mlgate", *args],
            cwd=self.root,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def report(self, folder: str = "mlgate-report") -> dict[str, Any]:
        return json.loads((self.root / folder / "report.json").read_text())


def make_data(n: int, seed: int) -> Any:
    """A binary task whose first two features carry most of the signal."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    logits = 2.2 * X[:, 0] - 1.8 * X[:, 1] + 0.6 * X[:, 2] + 0.3 * X[:, 3]
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(int)
    frame = pd.DataFrame(X.round(5), columns=FEATURES)
    frame.insert(0, "segment", rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]))
    frame["label"] = y
    return frame


def fit(frame: Any, *, seed: int, drop: tuple[str, ...] = ()) -> Any:
    """A logistic regression on the numeric features; `drop` zeroes features out of the pipeline."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    keep = [c for c in FEATURES if c not in drop]
    model = Pipeline(
        [
            ("cols", ColumnTransformer([("num", "passthrough", keep)], remainder="drop")),
            ("clf", LogisticRegression(C=1.0, random_state=seed, max_iter=500)),
        ]
    )
    rows = frame.sample(frac=0.9, random_state=seed)
    return model.fit(rows.drop(columns=["label"]), rows["label"])


def base_config(candidate: str = "models/retrain.skops", **gates: Any) -> dict[str, Any]:
    """A typical config: roc_auc and accuracy gates against the production model."""
    return {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": {"candidate": candidate, "baseline": "models/production.skops"},
        "gates": gates
        or {
            "model": [
                {"metric": "roc_auc", "min": 0.7, "max_drop": 0.01},
                {"metric": "accuracy", "max_drop": "1%"},
            ]
        },
    }
