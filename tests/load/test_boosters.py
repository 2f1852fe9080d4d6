"""XGBoost, LightGBM and CatBoost model files gate like scikit-learn ones (tiny real models).

Each library trains a production model, a harmless retrain (another seed) and a regressed one
(the two strongest features zeroed out) on the projects' data, saved in its native data-only
format; the CLI gates them as a subprocess.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support.projects import FEATURES, Project

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("catboost")

SUFFIX = {"xgboost": ".json", "xgboost-ubj": ".ubj", "lightgbm": ".txt", "catboost": ".cbm"}


def train(lib: str, X: pd.DataFrame, y: Any, *, seed: int, task: str = "binary") -> Any:
    """A small model of `lib` (a scikit-learn-API estimator, as users train them)."""
    if lib.startswith("xgboost"):
        import xgboost

        cls = xgboost.XGBRegressor if task == "regression" else xgboost.XGBClassifier
        return cls(n_estimators=30, max_depth=3, random_state=seed, subsample=0.8, n_jobs=1).fit(
            X, y
        )
    if lib == "lightgbm":
        import lightgbm

        cls = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
        return cls(
            n_estimators=30,
            num_leaves=8,
            subsample=0.8,
            subsample_freq=1,
            random_state=seed,
            n_jobs=1,
            verbose=-1,
        ).fit(X, y)
    import catboost

    cls = catboost.CatBoostRegressor if task == "regression" else catboost.CatBoostClassifier
    return cls(
        iterations=30,
        depth=3,
        random_seed=seed,
        verbose=0,
        thread_count=1,
        allow_writing_files=False,
    ).fit(X, y)


def save(lib: str, model: Any, path: Path) -> Path:
    if lib == "lightgbm":
        model.booster_.save_model(str(path))
    else:
        model.save_model(str(path))
    return path


@pytest.fixture(scope="module")
def boosters(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Path:
    """production / retrain / regressed models of each library, trained once for the module."""
    root = tmp_path_factory.mktemp("boosters")
    train_rows = pd.read_parquet(models_dir / "train.parquet")
    X, y = train_rows[FEATURES], train_rows["label"]
    weak = X.assign(x0=0.0, x1=0.0)
    for lib, suffix in SUFFIX.items():
        save(lib, train(lib, X, y, seed=0), root / f"production-{lib}{suffix}")
        save(lib, train(lib, X, y, seed=1), root / f"retrain-{lib}{suffix}")
        save(lib, train(lib, weak, y, seed=0), root / f"regressed-{lib}{suffix}")
    return root


def setup(project: Project, boosters: Path, lib: str, candidate: str, **extra: Any) -> Path:
    for item in boosters.iterdir():
        shutil.copy(item, project.root / "models" / item.name)
    suffix = SUFFIX[lib]
    doc: dict[str, Any] = {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label", "features": FEATURES},
        "models": {
            "candidate": f"models/{candidate}-{lib}{suffix}",
            "baseline": f"models/production-{lib}{suffix}",
        },
        "gates": {
            "model": [
                {"metric": "roc_auc", "min": 0.7, "max_drop": 0.02},
                {"metric": "accuracy", "max_drop": "2%"},
            ]
        },
        **extra,
    }
    return project.config(doc)


@pytest.mark.parametrize("lib", list(SUFFIX))
def test_a_harmless_retrain_passes_against_the_production_booster(
    project: Project, boosters: Path, lib: str
) -> None:
    setup(project, boosters, lib, "retrain")
    done = project.run("run", "-q")
    assert done.returncode == 0, done.stderr
    report = project.report()
    assert report["context"]["baseline"]["kind"] == "model"
    assert report["context"]["baseline"]["paired"] is True
    auc = next(g for g in report["gates"] if g["id"] == "model.roc_auc")
    assert auc["status"] == "pass" and auc["candidate"] > 0.8 and auc["baseline"] > 0.8


@pytest.mark.parametrize("lib", list(SUFFIX))
def test_a_regressed_booster_is_blocked(project: Project, boosters: Path, lib: str) -> None:
    setup(project, boosters, lib, "regressed")
    done = project.run("run", "-q")
    assert done.returncode == 1, done.stderr
    auc = next(g for g in project.report()["gates"] if g["id"] == "model.roc_auc")
    assert auc["status"] == "fail" and auc["candidate"] < auc["baseline"]


@pytest.mark.parametrize(
    ("lib", "labels", "task"),
    [
        ("xgboost", "int", "multiclass"),
        ("lightgbm", "int", "multiclass"),
        ("catboost", "str", "multiclass"),
        ("xgboost", "float", "regression"),
        ("lightgbm", "float", "regression"),
        ("catboost", "float", "regression"),
    ],
)
def test_the_task_is_inferred_as_for_scikit_learn(
    project: Project, lib: str, labels: str, task: str
) -> None:
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    score = X["a"] * 2 + X["b"]
    if labels == "float":
        y: Any = score + rng.normal(scale=0.1, size=len(X))
    else:
        y = pd.cut(score, [-np.inf, -1, 1, np.inf], labels=False)
        if labels == "str":
            y = y.map({0: "low", 1: "mid", 2: "high"})
    frame = X.assign(y=y)
    frame.to_csv(project.root / "data" / "multi.csv", index=False)
    path = save(
        lib, train(lib, X, y, seed=0, task=task), project.root / "models" / f"m{SUFFIX[lib]}"
    )
    metric = (
        {"metric": "r2", "min": 0.5} if task == "regression" else {"metric": "accuracy", "min": 0.8}
    )
    project.config(
        {
            "version": 1,
            "data": {"eval": "data/multi.csv", "target": "y"},
            "models": {"candidate": f"models/{path.name}"},
            "gates": {"model": [metric]},
        }
    )
    report = execute(
        load_config("mlgate.yaml", cwd=project.root),
        RunOptions(out_dir=project.root / "out", env={}),
    )
    gate = report.gates[0]
    assert gate.status == "pass", gate.message
    assert report.diagnostics["task"] == task


def test_boosters_are_timed_and_probed_in_performance_budgets(
    project: Project, boosters: Path
) -> None:
    setup(project, boosters, "lightgbm", "retrain")
    doc = json.loads(
        json.dumps(__import__("yaml").safe_load((project.root / "mlgate.yaml").read_text()))
    )
    doc["gates"] = {
        "performance": [
            {"model_size_mb": {"max": 100}},
            {"peak_memory_mb": {"max_increase": "900%"}},
            {"latency_p95_ms": {"max": 60_000}},
        ]
    }
    doc["models"]["baseline"] = "models/production-xgboost-ubj.ubj"
    doc["policy"] = {"performance": {"time_budget_s": 30}}  # a ceiling: under load 3 s fit too few
    project.config(doc)
    report = execute(
        load_config("mlgate.yaml", cwd=project.root),
        RunOptions(out_dir=project.root / "out", env={}),
    )
    found = {g.id: g for g in report.gates}
    assert found["perf.model_size_mb"].status == "pass"
    assert (
        found["perf.model_size_mb"].candidate
        == (project.root / "models" / "retrain-lightgbm.txt").stat().st_size / 1e6
    )
    memory = found["perf.peak_memory_mb"]
    assert memory.status == "pass", memory.message
    assert memory.candidate is not None and memory.baseline is not None
    assert found["perf.latency_p95_ms"].status == "pass", found["perf.latency_p95_ms"].message


def test_a_baseline_json_that_is_an_xgboost_model_is_a_model_not_a_report(
    project: Project, boosters: Path
) -> None:
    setup(project, boosters, "xgboost", "retrain")
    done = project.run("run", "-q")
    assert done.returncode == 0, done.stderr
    assert project.report()["context"]["baseline"]["kind"] == "model"


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        (
            "model.txt",
            "not a model\n",
            "mlgate: error: model could not be evaluated: mlgate.yaml: models.candidate: models/model.txt is not a LightGBM model dump (no 'tree' header)",
        ),
        (
            "model.ubj",
            "garbage",
            "mlgate: error: model could not be evaluated: mlgate.yaml: models.candidate: models/model.ubj is not a readable XGBoost model: XGBoostError: ",
        ),
        (
            "model.cbm",
            "garbage",
            "mlgate: error: model could not be evaluated: mlgate.yaml: models.candidate: models/model.cbm is not a readable CatBoost model: CatBoostError: ",
        ),
    ],
)
def test_an_unreadable_booster_file_is_exit_3_in_one_line(
    project: Project, name: str, content: str, line: str
) -> None:
    (project.root / "models" / name).write_text(content)
    project.config(
        {
            "version": 1,
            "data": {"eval": "data/holdout.parquet", "target": "label", "features": FEATURES},
            "models": {"candidate": f"models/{name}"},
            "gates": {"model": [{"metric": "accuracy", "min": 0.5}]},
        }
    )
    done = project.run("run", "-q")
    assert done.returncode == 3, done.stderr
    errors = [x for x in done.stderr.splitlines() if x.startswith("mlgate: error")]
    assert len(errors) == 1 and errors[0].startswith(line), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("lib", "module", "extra", "name"),
    [
        ("xgboost", "xgboost", "xgboost", "XGBoost"),
        ("lightgbm", "lightgbm", "lightgbm", "LightGBM"),
        ("catboost", "catboost", "catboost", "CatBoost"),
    ],
)
def test_a_missing_library_names_the_pip_install(
    project: Project, boosters: Path, lib: str, module: str, extra: str, name: str
) -> None:
    # the library is absent in the child: a None entry in sys.modules is what find_spec honours
    site = project.root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import sys\nsys.modules[{module!r}] = None\n")
    setup(project, boosters, lib, "retrain")
    done = project.run("run", "-q", env={"PYTHONPATH": str(site)})
    assert done.returncode == 3, done.stderr
    assert (
        "mlgate: error: model could not be evaluated: "
        f"mlgate.yaml: models.candidate: the {name} model retrain-{lib}{SUFFIX[lib]} needs "
        f"the Python package '{module}', which is not installed (run: pip install 'mlgate[{extra}]')"
    ) in done.stderr.splitlines()
