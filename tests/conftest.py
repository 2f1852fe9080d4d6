"""Shared fixtures: small real projects (generated data, real scikit-learn models, real files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.projects import Project, fit, make_data

pytest_plugins = ["support.mlflow_server"]  # one real MLflow server per session, when asked for


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data and models shared by the session (training is the slow part): read-only for tests."""
    import skops.io as sio

    root = tmp_path_factory.mktemp("models")
    train, holdout = make_data(4000, seed=11), make_data(3000, seed=12)
    train.to_parquet(root / "train.parquet", index=False)
    holdout.to_parquet(root / "holdout.parquet", index=False)
    holdout.to_csv(root / "holdout.csv", index=False)
    sio.dump(fit(train, seed=0), root / "production.skops")
    sio.dump(fit(train, seed=1), root / "retrain.skops")
    sio.dump(fit(train, seed=0, drop=("x0", "x1")), root / "regressed.skops")
    return root


@pytest.fixture
def project(tmp_path: Path, models_dir: Path) -> Project:
    """A fresh project folder holding copies of the session's data and models."""
    import shutil

    for item in models_dir.iterdir():
        target = (
            tmp_path / ("data" if item.suffix in (".parquet", ".csv") else "models") / item.name
        )
        target.parent.mkdir(exist_ok=True)
        shutil.copy(item, target)
    return Project(tmp_path)
