"""`mlgate init --from-reference`: a GX suite profiled from the reference data, on a project
unlike the fixtures (weather stations: text, float, whole-number, nullable and bool columns),
run by the `suite:` data gate with real Great Expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.projects import Project

PROFILE = "gx/reference-profile.json"
SUITE_CONFIG = (
    "version: 1\ndata:\n  eval: {eval}\n  reference: data/reference.csv\n"
    "gates:\n  data:\n    - suite: gx/reference-profile.json\n"
)


def stations(root: Path) -> Project:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 400
    reference = pd.DataFrame(
        {
            "station": rng.choice(["A1", "B7", "C3"], n),
            "temperature_c": rng.normal(18, 4, n).round(2),
            "batch": rng.integers(100, 200, n),
            "humidity": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(20, 80, n).round(1)),
            "ok": rng.random(n) < 0.8,
        }
    )
    (root / "data").mkdir()
    reference.to_csv(root / "data" / "reference.csv", index=False)
    reference.sample(frac=0.5, random_state=1).to_csv(root / "data" / "eval.csv", index=False)
    hot = reference.sample(frac=0.5, random_state=2).copy()
    hot.loc[hot.index[:5], "temperature_c"] = 95.0  # five readings far above the reference
    hot.to_csv(root / "data" / "eval-hot.csv", index=False)
    project = Project(root)
    project.config("version: 1\ndata:\n  eval: data/eval.csv\n  reference: data/reference.csv\n")
    return project


@pytest.mark.slow
def test_profiled_suite_passes_on_the_reference_and_blocks_out_of_range(tmp_path: Path) -> None:
    project = stations(tmp_path)
    done = project.run("init", "--from-reference")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"wrote {PROFILE}: 18 expectations profiled from data/reference.csv (types, ranges "
        "with a 10% margin, allowed sets, null rates) — review them, then commit the file",
        "to run it, add to mlgate.yaml (mlgate init does not edit it):",
        "",
        "gates:",
        "  data:",
        f"    - suite: {PROFILE}   # profiled from data/reference.csv: review it",
        "",
    ]
    suite = json.loads((tmp_path / PROFILE).read_text())
    kinds = {(e["type"], e["kwargs"]["column"]) for e in suite["expectations"]}
    assert ("expect_column_values_to_be_in_set", "station") in kinds
    assert ("expect_column_values_to_be_in_set", "ok") in kinds
    assert ("expect_column_values_to_be_in_set", "temperature_c") not in kinds  # continuous
    between = {
        e["kwargs"]["column"]: e["kwargs"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_between"
    }
    assert set(between) == {"temperature_c", "batch", "humidity"}
    assert float(between["batch"]["min_value"]).is_integer()  # whole numbers: whole bounds
    assert between["batch"]["min_value"] < 100 and between["batch"]["max_value"] > 199
    nulls = {
        e["kwargs"]["column"]: e["kwargs"].get("mostly")
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null"
    }
    assert nulls["station"] is None and 0.9 < nulls["humidity"] < 0.95  # 5% nulls, slack

    project.config(SUITE_CONFIG.format(eval="data/reference.csv"))
    same = project.run("run")
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.startswith("Passed: all 18 blocking gates passed")

    project.config(SUITE_CONFIG.format(eval="data/eval-hot.csv"))
    hot = project.run("run")
    assert hot.returncode == 1, hot.stdout + hot.stderr
    report = project.report()
    failed = [g["id"] for g in report["gates"] if g["status"] == "fail"]
    assert failed == ["data.expect_column_values_to_be_between.temperature_c"]

    again = project.run("init", "--from-reference")
    assert again.returncode == 2
    assert again.stderr.splitlines() == [
        f"mlgate: error: {PROFILE}: already exists; mlgate init never overwrites a file "
        "(review and keep it, or delete it to profile again)"
    ]


def test_from_reference_needs_a_reference(tmp_path: Path) -> None:
    project = Project(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "eval.csv").write_text("a,b\n1,2\n")
    project.config("version: 1\ndata:\n  eval: data/eval.csv\n")
    done = project.run("init", "--from-reference")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: mlgate.yaml: data.reference: not set; --from-reference profiles the "
        "reference data (set data.reference to what production was trained on)"
    ]
    assert not (tmp_path / "gx").exists()


def test_init_refuses_an_existing_config_once_and_names_the_profile_option(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.config("version: 1\n")
    done = project.run("init")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mlgate: error: mlgate.yaml: already exists; mlgate init never overwrites a file "
        "(edit it, pass -c OTHER.yaml, or --from-reference to profile only its data)"
    ]


@pytest.mark.slow
def test_init_from_reference_writes_a_config_that_runs_the_profiled_suite(tmp_path: Path) -> None:
    import pandas as pd
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    project = stations(tmp_path)
    (tmp_path / "mlgate.yaml").unlink()
    (tmp_path / "data" / "eval-hot.csv").unlink()
    frame = pd.read_csv(tmp_path / "data" / "reference.csv")
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["station"]), ("passthrough", ["temperature_c", "batch"])
        ),
        LogisticRegression(max_iter=500),
    ).fit(frame[["station", "temperature_c", "batch"]], frame["ok"])
    (tmp_path / "models").mkdir()
    sio.dump(model, tmp_path / "models" / "model.skops")
    done = project.run("init", "--from-reference", "--ci", "none")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == [
        "eval data: data/eval.csv (of 2 data files); target: ok; task: binary",
        "candidate model: models/model.skops",
        "no git remote: no git:origin/... baseline written (relative gates need one)",
        f"wrote {PROFILE}: 18 expectations profiled from data/reference.csv (types, ranges "
        "with a 10% margin, allowed sets, null rates) — review them, then commit the file",
    ]
    config = (tmp_path / "mlgate.yaml").read_text()
    assert f"gates:\n  data:\n    - suite: {PROFILE}   # profiled from data/reference.csv" in config
    ran = project.run("run")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    ids = [g["id"] for g in project.report()["gates"]]
    assert "data.expect_column_values_to_be_between.temperature_c" in ids
    assert "model.roc_auc" in ids
