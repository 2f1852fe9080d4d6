"""No silent pass (issue 18), through the CLI on projects unlike the fixtures: a regression on
clinical-like data (CSV) and a multiclass classifier with text labels (Parquet).

Every name in the config resolves or is exit 2 with a did-you-mean; all problems of a config come
in one run, before anything heavy is imported; a slice gate that gated nothing is not a pass;
`baseline save` records every config `run` accepts here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.projects import Project

pytestmark = pytest.mark.slow


# --- the projects ---------------------------------------------------------------------------


def clinical_frame(n: int, seed: int) -> Any:
    """Length of stay (days, a float) from age, BMI, blood pressure and the clinic."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 90, n).round(1)
    bmi = rng.normal(27, 4, n).round(1)
    sbp = rng.normal(130, 15, n).round(0)
    clinic = rng.choice(["east", "west", "north"], size=n, p=[0.5, 0.3, 0.2])
    stay = 2 + 0.06 * age + 0.1 * (bmi - 27) + 0.02 * (sbp - 130) + (clinic == "north") * 1.5
    stay = (stay + rng.normal(0, 1.0, n)).round(2)
    return pd.DataFrame(
        {
            "patient_id": [f"p{seed}-{i:05d}" for i in range(n)],
            "age": age,
            "bmi": bmi,
            "sbp": sbp,
            "clinic": clinic,
            "length_of_stay": stay,
        }
    )


def fit_regressor(frame: Any, alpha: float) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    features = ColumnTransformer(
        [
            ("num", "passthrough", ["age", "bmi", "sbp"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["clinic"]),
        ]
    )
    model = Pipeline([("features", features), ("ridge", Ridge(alpha=alpha))])
    return model.fit(frame[["age", "bmi", "sbp", "clinic"]], frame["length_of_stay"])


def grade_frame(n: int, seed: int) -> Any:
    """Three text grades from four measurements, plus a region."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    score = 1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + rng.normal(0, 0.7, n)
    grade = np.where(score < -0.6, "low", np.where(score < 0.6, "mid", "high"))
    frame = pd.DataFrame(X.round(4), columns=["m1", "m2", "m3", "m4"])
    frame["region"] = rng.choice(["alpine", "coast", "plain"], size=n)
    frame["grade"] = grade
    return frame


def fit_classifier(frame: Any, c: float) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    model = Pipeline(
        [
            ("cols", ColumnTransformer([("num", "passthrough", ["m1", "m2", "m3", "m4"])])),
            ("clf", LogisticRegression(C=c, max_iter=500)),
        ]
    )
    return model.fit(frame.drop(columns=["grade"]), frame["grade"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import skops.io as sio

    root = tmp_path_factory.mktemp("projects")
    clinic = root / "clinic"
    (clinic / "data").mkdir(parents=True)
    (clinic / "models").mkdir()
    train = clinical_frame(2000, seed=31)
    clinical_frame(1200, seed=32).to_csv(clinic / "data" / "visits.csv", index=False)
    sio.dump(fit_regressor(train, alpha=1.0), clinic / "models" / "stay_prod.skops")
    sio.dump(
        fit_regressor(train.sample(frac=0.8, random_state=3), 3.0),
        clinic / "models" / "stay_new.skops",
    )
    grades = root / "grades"
    (grades / "data").mkdir(parents=True)
    (grades / "models").mkdir()
    train = grade_frame(3000, seed=41)
    grade_frame(1500, seed=42).to_parquet(grades / "data" / "eval.parquet", index=False)
    sio.dump(fit_classifier(train, 1.0), grades / "models" / "prod.skops")
    sio.dump(
        fit_classifier(train.sample(frac=0.8, random_state=4), 0.5), grades / "models" / "new.skops"
    )
    return root


@pytest.fixture
def clinic(built: Path, tmp_path: Path) -> Project:
    shutil.copytree(built / "clinic", tmp_path / "clinic")
    return Project(tmp_path / "clinic")


@pytest.fixture
def grades(built: Path, tmp_path: Path) -> Project:
    shutil.copytree(built / "grades", tmp_path / "grades")
    return Project(tmp_path / "grades")


def clinic_config(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "data": {"eval": "data/visits.csv", "target": "length_of_stay", "id": "patient_id"},
        "models": {"candidate": "models/stay_new.skops", "baseline": "models/stay_prod.skops"},
        "gates": {
            "model": [
                {"metric": "mae", "max_increase": 0.5},
                {"metric": "rmse", "max": 5.0},
            ]
        },
    }
    doc.update(changes)
    return doc


def grades_config(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "data": {"eval": "data/eval.parquet", "target": "grade"},
        "models": {"candidate": "models/new.skops", "baseline": "models/prod.skops"},
        "gates": {"model": [{"metric": "accuracy", "min": 0.5, "max_drop": 0.05}]},
    }
    doc.update(changes)
    return doc


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return [line.removeprefix("mlgate: error: ") for line in done.stderr.splitlines()]


# --- 1. every reference resolves -------------------------------------------------------------


def test_a_typo_in_data_id_is_exit_2_not_a_feature(clinic: Project) -> None:
    doc = clinic_config()
    doc["data"]["id"] = "patientid"
    clinic.config(doc)
    assert errors(clinic.run("run")) == [
        "mlgate.yaml: data.id: column 'patientid' is not in data/visits.csv; did you mean "
        "'patient_id'?"
    ]


def test_data_features_must_name_columns(clinic: Project) -> None:
    doc = clinic_config()
    doc["data"]["features"] = ["age", "bmii", "sbp", "clinic"]
    clinic.config(doc)
    assert errors(clinic.run("run")) == [
        "mlgate.yaml: data.features[1]: column 'bmii' is not in data/visits.csv; did you mean "
        "'bmi'?"
    ]


def test_warn_only_and_waivers_naming_no_gate_are_errors(clinic: Project) -> None:
    doc = clinic_config(
        policy={"warn_only": ["model.rsme", "model.mae"]},
        waivers=[
            {
                "gate": "perf.latency",
                "reason": "known slow",
                "owner": "@me",
                "expires": "2999-01-01",
            }
        ],
    )
    clinic.config(doc)
    assert errors(clinic.run("run")) == [
        'mlgate.yaml: policy.warn_only[0]: "model.rsme" matches no gate of this config; did you '
        'mean "model.rmse"?',
        'mlgate.yaml: waivers[0].gate: "perf.latency" matches no gate of this config; the gates '
        "are model.mae, model.rmse",
    ]


def test_slice_ids_resolve_by_prefix_and_glob_after_the_header(clinic: Project) -> None:
    doc = clinic_config()
    doc["gates"]["model"].append({"metric": "mae", "slice": "clinic", "max_increase": 0.5})
    doc["policy"] = {"warn_only": ["model.mae#2[clinic=north]", "model.mae#2[*]"]}
    clinic.config(doc)
    done = clinic.run("run")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    doc["policy"] = {"warn_only": ["model.mae#2[clnic=north]"]}
    clinic.config(doc)
    assert errors(clinic.run("run")) == [
        'mlgate.yaml: policy.warn_only[0]: "model.mae#2[clnic=north]" matches no gate of this '
        'config; did you mean "model.mae#2[clinic=…]"?'
    ]


def test_a_suite_path_typo_asks_did_you_mean(clinic: Project) -> None:
    (clinic.root / "gx").mkdir()
    (clinic.root / "gx" / "visits.json").write_text('{"name": "visits", "expectations": []}')
    clinic.config(clinic_config(gates={"data": [{"suite": "gx/visit.json"}]}))
    assert errors(clinic.run("run")) == [
        "mlgate.yaml: gates.data[0].suite: file not found: gx/visit.json; did you mean "
        "gx/visits.json?"
    ]


# --- 2. every problem at once, before heavy work ----------------------------------------------

FOUR_MISTAKES = {
    "version": 1,
    "data": {"eval": "data/visits.csv", "target": "length_of_stay", "id": "patient"},
    "models": {"candidate": "models/stay_new.skops", "baseline": "models/stay_prod.skops"},
    "gates": {
        "model": [
            {"metric": "rmse", "max_drop": 0.1},
            {"metric": "roc_auc", "min": 0.8},
            {"metric": "mae", "slice": "clinc", "max_increase": 0.5},
        ]
    },
}
FOUR_LINES = [
    "mlgate.yaml: data.id: column 'patient' is not in data/visits.csv; did you mean 'patient_id'?",
    "mlgate.yaml: gates.model[0].max_drop: rmse is better when lower, so a regression is an "
    "increase (use max_increase)",
    'mlgate.yaml: gates.model[1].metric: metric "roc_auc" is for classification, but the task is '
    "regression (data.target 'length_of_stay' holds non-integer numbers; use a regression metric "
    "such as mae, rmse or r2, or set models.task)",
    "mlgate.yaml: gates.model[2].slice: column 'clinc' is not in data/visits.csv; did you mean "
    "'clinic'?",
]


def test_four_independent_mistakes_are_reported_in_one_run(clinic: Project) -> None:
    clinic.config(FOUR_MISTAKES)
    done = clinic.run("run")
    assert errors(done) == FOUR_LINES
    report = clinic.report()
    assert report["verdict"] == "error" and report["gates"] == []


def test_an_invalid_config_imports_neither_gx_nor_sklearn(clinic: Project) -> None:
    doc = json.loads(json.dumps(FOUR_MISTAKES))
    doc["gates"]["data"] = [{"drift": {"columns": "*", "max": 0.2}}]  # needs data.reference
    doc["gates"]["performance"] = [{"latency_p95_ms": {"max_increase": "100%"}}]
    clinic.config(doc)
    script = (
        "import sys\n"
        "from mlgate.config import load_config\n"
        "from mlgate.errors import ConfigError\n"
        "from mlgate.pipeline import configured_kinds, validate\n"
        "loaded = load_config('mlgate.yaml')\n"
        "try:\n"
        "    validate(loaded, configured_kinds(loaded))\n"
        "except ConfigError as exc:\n"
        "    print(len(exc.lines()))\n"
        "heavy = [m for m in ('great_expectations', 'sklearn', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy) or 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=clinic.root, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["5", "none"], done.stdout + done.stderr


# --- 3. a gate that evaluated nothing is not a pass -------------------------------------------


def test_a_continuous_slice_column_is_a_config_error_suggesting_bins(clinic: Project) -> None:
    doc = clinic_config()
    doc["gates"]["model"][0]["slice"] = "age"
    clinic.config(doc)
    (line,) = errors(clinic.run("run"))
    assert line.startswith("mlgate.yaml: gates.model[0].slice: column 'age' is numeric with "), line
    assert "cut it into bins: slice: {column: age, bins: [18, " in line
    assert line.endswith("or slice: {column: age, bins: 4} (quartiles)")


def test_binned_slices_have_readable_stable_ids(clinic: Project) -> None:
    doc = clinic_config()
    doc["gates"]["model"] = [
        {
            "metric": "mae",
            "slice": {"column": "age", "bins": [18, 40, 65, 90]},
            "max_increase": 0.5,
        },
        {"metric": "mae", "slice": {"column": "bmi", "bins": 4}, "max": 5},
    ]
    doc["policy"] = {"warn_only": ["model.mae[age=65-90]"]}
    clinic.config(doc)
    done = clinic.run("run")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    ids = [g["id"] for g in clinic.report()["gates"]]
    assert ids == [
        "model.mae[age=18-40]",
        "model.mae[age=40-65]",
        "model.mae[age=65-90]",
        "model.mae#2[bmi=q1]",
        "model.mae#2[bmi=q2]",
        "model.mae#2[bmi=q3]",
        "model.mae#2[bmi=q4]",
    ]
    gate = clinic.report()["gates"][0]
    assert gate["details"]["slice"]["bin"] == [18.0, 40.0]
    assert sum(g["details"]["n"] for g in clinic.report()["gates"][:3]) == 1200


def test_a_slice_gate_whose_every_segment_is_too_small_is_an_error(grades: Project) -> None:
    doc = grades_config()
    doc["gates"]["model"].append(
        {"metric": "recall_macro", "slice": "region", "min_rows": 1000, "max_drop": 0.05}
    )
    grades.config(doc)
    done = grades.run("run")
    assert done.returncode == 3, done.stdout + done.stderr
    gates = {g["id"]: g for g in grades.report()["gates"]}
    assert gates["model.recall_macro"]["status"] == "error"
    assert gates["model.recall_macro"]["message"] == (
        "mlgate.yaml: gates.model[1].slice: every segment of 'region' has fewer than min_rows "
        "(1000) rows (3 segments, the largest "
        f"{max(g['details']['n'] for i, g in gates.items() if '[' in i)} rows), so nothing was "
        "gated; group it into fewer values, or bin a numeric column: slice: {column: region, "
        "bins: 4}, or lower min_rows"
    )
    assert {g["status"] for i, g in gates.items() if "[" in i} == {"skipped"}


def test_a_binary_metric_on_three_text_labels_is_a_config_error(grades: Project) -> None:
    doc = grades_config()
    doc["gates"]["model"].append({"metric": "f1", "max_drop": 0.05})
    grades.config(doc)
    assert errors(grades.run("run")) == [
        'mlgate.yaml: gates.model[1].metric: metric "f1" is for binary classification, but the '
        'task is multiclass; use "f1_macro", "f1_micro" or "f1_weighted" (data.target \'grade\' '
        "holds 3 labels; use a multiclass metric such as accuracy, f1_macro or roc_auc_ovr, or "
        "set models.task)"
    ]


# --- 4. baseline save records every config run accepts ----------------------------------------

ACCEPTED = {
    "clinic": clinic_config(
        gates={
            "model": [
                {"metric": "mae", "max_increase": 0.5},
                {"metric": "mae", "slice": {"column": "age", "bins": [18, 40, 65, 90]}, "max": 5},
            ],
            "performance": [
                {"latency_p95_ms": {"max_increase": "100%"}},
                {"model_size_mb": {"max": 50}},
            ],
        }
    ),
    "grades": grades_config(
        gates={
            "model": [
                {"metric": "accuracy", "max_drop": 0.05},
                {"metric": "f1_macro", "slice": "region", "max_drop": 0.05},
            ],
            "performance": [{"throughput_rows_per_s": {"max_drop": "50%"}}],
        },
        policy={"warn_only": ["model.f1_macro[region=*]"], "performance": {"time_budget_s": 30}},
    ),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_baseline_save_records_every_config_run_accepts(
    name: str, clinic: Project, grades: Project
) -> None:
    project = clinic if name == "clinic" else grades
    project.config(ACCEPTED[name])
    done = project.run("run")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    ran = {g["id"] for g in project.report()["gates"]}
    saved = project.run("baseline", "save")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    report = json.loads((project.root / "mlgate-baseline" / "report.json").read_text())
    recorded = {g["id"]: g for g in report["gates"]}
    assert set(recorded) == ran  # every gate measured and recorded
    for gate in recorded.values():
        assert gate["candidate"] is not None, gate
        assert not set(gate["threshold"]) & {"max_drop", "max_increase"}  # recorded, not gated


# --- 5. messages that name the fix -------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_model_fitted_on_other_features_says_how_many_and_which(clinic: Project) -> None:
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import Ridge

    frame = pd.read_csv(clinic.root / "data" / "visits.csv")
    unnamed = Ridge().fit(frame[["age", "bmi", "sbp"]].to_numpy(), frame["length_of_stay"])
    sio.dump(unnamed, clinic.root / "models" / "unnamed.skops")
    doc = clinic_config()
    doc["models"] = {"candidate": "models/unnamed.skops"}
    doc["gates"] = {"model": [{"metric": "mae", "max": 5}]}
    clinic.config(doc)
    done = clinic.run("run")
    assert done.returncode == 3, done.stdout + done.stderr
    (gate,) = clinic.report()["gates"]
    assert gate["message"] == (
        "mlgate.yaml: models.candidate: the model expects 3 features, the eval data (every column "
        "but data.target and data.id) gives 4: age, bmi, sbp, clinic (set data.features to the "
        "columns the model was fitted on, in that order (the model was fitted without column "
        "names))"
    )
    assert "UserWarning" not in done.stderr and "could not convert" not in done.stderr


def test_task_binary_on_a_regressor_says_so(clinic: Project) -> None:
    doc = clinic_config()
    doc["models"]["task"] = "binary"
    doc["gates"] = {"model": [{"metric": "accuracy", "min": 0.5}]}
    clinic.config(doc)
    done = clinic.run("run")
    assert done.returncode == 3, done.stdout + done.stderr
    (gate,) = clinic.report()["gates"]
    assert gate["message"] == (
        "mlgate.yaml: models.candidate: models.task is binary, but the model is a regressor "
        "(Pipeline, no classes) (set models.task: regression, or point it at a classifier)"
    )


def test_a_trusted_skops_type_whose_module_is_missing_names_the_module(clinic: Project) -> None:
    helper = clinic.root / "stayhelpers.py"
    helper.write_text(
        "class Doubler:\n"
        "    def fit(self, X, y=None):\n"
        "        return self\n"
        "    def predict(self, X):\n"
        "        return X['age'].to_numpy() * 0.0 + 5.0\n"
    )
    script = (
        "import sys; sys.path.insert(0, '.')\n"
        "import skops.io as sio, stayhelpers\n"
        "sio.dump(stayhelpers.Doubler(), 'models/custom.skops')\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=clinic.root, check=True)
    helper.unlink()
    doc = clinic_config()
    doc["models"] = {"candidate": {"path": "models/custom.skops", "trust": ["stayhelpers.Doubler"]}}
    doc["gates"] = {"model": [{"metric": "mae", "max": 5}]}
    clinic.config(doc)
    done = clinic.run("run")
    assert done.returncode == 3, done.stdout + done.stderr
    (gate,) = clinic.report()["gates"]
    assert gate["message"] == (
        "mlgate.yaml: models.candidate: models/custom.skops holds stayhelpers.Doubler, and the "
        "module 'stayhelpers' is not importable here (install the package that provides "
        "'stayhelpers' in this environment (the one the model was trained with), or add its "
        "folder to PYTHONPATH)"
    )


def test_a_typo_in_a_git_ref_asks_did_you_mean(clinic: Project) -> None:
    git(clinic.root, "init", "-q", "-b", "main")
    git(clinic.root, "add", "-A")
    git(clinic.root, "commit", "-qm", "production")
    doc = clinic_config()
    doc["models"]["baseline"] = "git:mian:models/stay_prod.skops"
    clinic.config(doc)
    assert errors(clinic.run("run")) == [
        "mlgate.yaml: models.baseline: git:mian:models/stay_prod.skops: git ref 'mian' does not "
        "exist here or on origin; did you mean 'main'?"
    ]


def test_init_without_a_remote_writes_a_config_that_runs(clinic: Project) -> None:
    git(clinic.root, "init", "-q", "-b", "main")
    done = clinic.run("init", "--ci", "none")
    assert done.returncode == 0, done.stderr
    text = (clinic.root / "mlgate.yaml").read_text()
    assert "git:origin" not in text.replace("# baseline: git:origin", "")
    assert done.stdout.splitlines()[:3] == [
        "eval data: data/visits.csv; target: length_of_stay; task: regression",
        "candidate model: models/stay_new.skops",
        "no git remote: no git:origin/... baseline written (relative gates need one)",
    ]
    ran = clinic.run("run")
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr


def test_init_with_a_remote_compares_with_the_default_branch(
    grades: Project, tmp_path: Path
) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(grades.root, "init", "-q", "-b", "main")
    git(grades.root, "remote", "add", "origin", str(origin))
    git(grades.root, "add", "-A")
    git(grades.root, "commit", "-qm", "production")
    git(grades.root, "push", "-q", "origin", "main")
    git(grades.root, "fetch", "-q", "origin")
    done = grades.run("init", "--ci", "none")
    assert done.returncode == 0, done.stderr
    config = (grades.root / "mlgate.yaml").read_text()
    assert "  baseline: git:origin/main:models/new.skops" in config
    assert "  task: multiclass" in config
    ran = grades.run("run")
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    assert {g["id"] for g in grades.report()["gates"]} == {"model.accuracy"}


# --- 7d. a slice's stated detectable worsening holds at its Holm-adjusted level ------------------


def slice_family(deltas: list[float], se: float, tol: float = 0.02) -> list[Any]:
    from mlgate.config import Tolerance
    from mlgate.records import Estimate, Measurement

    return [
        Measurement(
            id=f"model.recall[site={i}]",
            kind="model",
            name="recall",
            thresholds={"max_drop": Tolerance(tol)},
            candidate=0.8 + d,
            baseline=0.8,
            estimate=Estimate(delta=d, method="normal", n=300, se=se),
            family="model.recall",
        )
        for i, d in enumerate(deltas)
    ]


def test_a_slice_worse_by_its_stated_detectable_amount_is_blocked_at_the_stated_power() -> None:
    """Five slices, one worse by exactly the amount its gate states it detects with 80% power:
    simulated eval sets (seeded, normal sampling of each slice's delta) block it 80% of the time.
    Stated at the unadjusted alpha instead of the slice's Holm level, the same amount is blocked
    only ~59% of the time here (34-43% with the bootstrap, issue 18 (d))."""
    import numpy as np

    from mlgate.compare import Policy, compare_all

    k, se, policy = 5, 0.01, Policy(alpha=0.05)
    worst = compare_all(slice_family([-0.2] + [0.0] * (k - 1), se), policy)[0]
    stated = worst.result.details["detectable"]
    rng = np.random.default_rng(18)
    trials, blocked = 4000, 0
    for _ in range(trials):
        deltas = [-stated + rng.normal(0, se), *rng.normal(0, se, k - 1).tolist()]
        blocked += compare_all(slice_family(deltas, se), policy)[0].result.status == "fail"
    assert 0.77 <= blocked / trials <= 0.83, (stated, blocked / trials)
