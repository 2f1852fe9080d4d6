"""Drift and schema gates against the reference data: clean passes, shifts and renames block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.frames import holdout, reference, write_project

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute
from mlgate.records import GateResult, Report

PSI = {"drift": {"columns": "*", "method": "psi", "max": 0.2}}
FEATURES = ["age", "income", "tenure", "country", "plan", "score"]  # not label, not customer_id


def run(root: Path, gates: list[dict[str, Any]], **kwargs: Any) -> Report:
    write_project(root, gates, **kwargs)
    return execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))


def gates_of(report: Report) -> dict[str, GateResult]:
    return {g.id: g for g in report.gates}


def test_clean_data_has_no_drift(tmp_path: Path) -> None:
    report = run(tmp_path, [PSI])
    assert [g.id for g in report.gates] == [f"data.drift.{c}" for c in FEATURES]
    assert report.verdict == "pass", [g.message for g in report.gates]
    for gate in report.gates:
        assert gate.threshold == {"max": 0.2}
        assert gate.candidate is not None and 0 <= gate.candidate < 0.05
        assert gate.details["score"] == gate.candidate
        assert gate.details["method"] == "psi"
    assert gates_of(report)["data.drift.country"].details["unseen"] == []
    assert set(report.diagnostics["drift"]) == set(FEATURES)
    assert report.diagnostics["drift"]["age"] == gates_of(report)["data.drift.age"].candidate


def test_shifted_column_blocks_with_its_score(tmp_path: Path) -> None:
    frame = holdout()
    frame["income"] = frame["income"] + 9_000  # three quarters of a standard deviation
    report = run(tmp_path, [PSI], eval_frame=frame)
    failing = [g for g in report.gates if g.status == "fail"]
    assert [g.id for g in failing] == ["data.drift.income"]
    gate = failing[0]
    assert gate.candidate > 0.2
    # the bound as the threshold cell shows it ("≤ 0.2"), the value as the candidate cell
    assert gate.message == f"psi(income) {gate.candidate:.3f} is above the maximum 0.2"
    assert gate.blocking and report.verdict == "fail"


def test_unknown_categories_are_named(tmp_path: Path) -> None:
    frame = holdout()
    frame.loc[frame.index[:300], "country"] = "XX"
    frame.loc[frame.index[300:302], "country"] = "ZZ"
    report = run(tmp_path, [PSI], eval_frame=frame)
    gate = gates_of(report)["data.drift.country"]
    assert gate.status == "fail"
    assert gate.details["unseen"] == ["XX", "ZZ"]
    assert gate.details["unseen_rows"] == 302
    assert (
        gate.notes[0]
        == "country: 2 categories unseen in the reference (302 of 1,000 eval rows): 'XX', 'ZZ'"
    )


def test_methods_and_per_column_thresholds(tmp_path: Path) -> None:
    frame = holdout()
    frame["tenure"] = frame["tenure"] * 1.5
    gates = [
        {
            "drift": {
                "columns": ["tenure", "age"],
                "method": "ks",
                "max": 0.5,
                "thresholds": {"tenure": 0.05},
            }
        },
        {"drift": {"columns": ["country"], "method": "chi2", "max": 0.1}, "id": "data.chi2"},
    ]
    report = run(tmp_path, gates, eval_frame=frame)
    gates = gates_of(report)
    tenure, age = gates["data.drift.tenure"], gates["data.drift.age"]
    assert (tenure.status, tenure.threshold) == ("fail", {"max": 0.05})
    assert (age.status, age.threshold) == ("pass", {"max": 0.5})
    assert 0 <= tenure.details["p_value"] < 1e-6
    country = gates["data.chi2.country"]
    assert country.status == "pass" and 0 < country.details["p_value"] <= 1


def test_numeric_method_on_every_column_skips_categories(tmp_path: Path) -> None:
    report = run(tmp_path, [{"drift": {"columns": "*", "method": "wasserstein", "max": 0.1}}])
    gates = gates_of(report)
    assert gates["data.drift.country"].status == "skipped"
    assert gates["data.drift.country"].message == (
        "country: wasserstein needs a numeric column; use psi, js or chi2 for categories"
    )
    assert gates["data.drift.income"].status == "pass"
    explicit = run(tmp_path, [{"drift": {"columns": ["plan"], "method": "ks", "max": 0.1}}])
    assert explicit.gates[0].status == "error"  # asked for by name: never silently skipped


def test_drift_column_missing_is_an_error_naming_the_file(tmp_path: Path) -> None:
    ref = reference().rename(columns={"tenure": "tenure_years"})
    gates = [{"drift": {"columns": ["incme", "tenure"], "max": 0.2}}]
    report = run(tmp_path, gates, reference_frame=ref)
    missing_eval, missing_ref = report.gates
    assert missing_eval.message == (
        "mlgate.yaml: gates.data[0].drift: column 'incme' is not in data/eval.csv; "
        "did you mean 'income'?"
    )
    assert missing_ref.message == (
        "mlgate.yaml: gates.data[0].drift: column 'tenure' is not in data/reference.parquet; "
        "did you mean 'tenure_years'?"
    )
    assert report.verdict == "error"


def test_unreadable_reference_errors_drift_but_expectations_still_run(tmp_path: Path) -> None:
    gates = [PSI, {"expect": "expect_column_values_to_not_be_null", "column": "age"}]
    write_project(tmp_path, gates)
    (tmp_path / "data" / "reference.parquet").write_text("not parquet")
    report = execute(
        load_config("mlgate.yaml", cwd=tmp_path), RunOptions(out_dir=tmp_path / "out", env={})
    )
    drift, nulls = report.gates
    assert drift.status == "error" and drift.message.startswith(
        "mlgate.yaml: data.reference: cannot read "
    )
    assert nulls.status == "pass"
    assert report.verdict == "error"


def test_schema_matches_on_clean_data(tmp_path: Path) -> None:
    (gate,) = run(tmp_path, [{"schema": True}]).gates
    assert (gate.id, gate.status) == ("data.schema", "pass")
    assert gate.message == "schema: 8 columns match the reference"
    assert gate.details == {"added": [], "removed": [], "changed": [], "missing": []}


def test_schema_change_blocks_and_says_what_changed(tmp_path: Path) -> None:
    frame = holdout().rename(columns={"income": "incme"})
    frame["age"] = frame["age"].astype(str) + " years"
    frame["score"] = frame["score"].astype("float32")  # same kind of values: not a change
    (gate,) = run(tmp_path, [{"schema": True}], eval_frame=frame).gates
    assert gate.status == "fail"
    assert gate.message == (
        "schema: 1 column removed: income (renamed to incme?); type changed: age (int64 → str); "
        "1 column added: incme"
    )
    assert gate.details["changed"] == [{"column": "age", "reference": "int64", "eval": "str"}]
    assert (gate.details["added"], gate.details["removed"]) == (["incme"], ["income"])


def test_schema_allow_added_and_declared_columns(tmp_path: Path) -> None:
    frame = holdout()
    frame["new_feature"] = 1.0
    (gate,) = run(tmp_path, [{"schema": {"allow_added": True}}], eval_frame=frame).gates
    assert gate.status == "pass"
    assert (
        gate.message
        == "schema: 9 columns match the reference (1 column added, allowed: new_feature)"
    )
    frame = holdout().drop(columns=["label"])
    (gate,) = run(
        tmp_path,
        [{"schema": True}],
        eval_frame=frame,
        reference_frame=reference().drop(columns=["label"]),
        data={"target": "labl"},
    ).gates
    assert gate.status == "fail"
    assert gate.message == "schema: data.target 'labl' is not in data/eval.csv"


@pytest.mark.parametrize("method", ["psi", "js", "chi2"])
def test_binned_methods_flag_a_column_that_arrives_empty(tmp_path: Path, method: str) -> None:
    frame = holdout()
    frame.loc[frame.index[:600], "score"] = np.nan
    limit = {"psi": 0.2, "js": 0.1, "chi2": 0.1}[method]
    gates = [{"drift": {"columns": ["score"], "method": method, "max": limit}}]
    (gate,) = run(tmp_path, gates, eval_frame=frame).gates
    assert gate.status == "fail", gate.message
