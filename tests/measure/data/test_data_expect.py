"""Expectation gates on real Great Expectations: clean data passes, each defect blocks by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.frames import EXPECTATIONS, holdout, write_project

from mlgate.config import load_config
from mlgate.pipeline import RunOptions, execute
from mlgate.records import GateResult, Report


def run(root: Path, gates: list[dict[str, Any]], **kwargs: Any) -> Report:
    write_project(root, gates, **kwargs)
    return execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))


def gates_of(report: Report) -> dict[str, GateResult]:
    return {g.id: g for g in report.gates}


def test_clean_data_passes_twelve_expectations(tmp_path: Path) -> None:
    report = run(tmp_path, EXPECTATIONS)
    assert report.verdict == "pass", [g.message for g in report.gates if g.status != "pass"]
    assert len(report.gates) == 12
    assert {g.kind for g in report.gates} == {"data"}
    gate = gates_of(report)["data.expect_column_values_to_not_be_null.age"]
    assert gate.message == "age: none of 1,000 values are null"
    assert gate.details["unexpected_count"] == 0


def test_injected_nulls_block_naming_column_and_count(tmp_path: Path) -> None:
    frame = holdout()
    frame["age"] = frame["age"].astype(float)
    frame.loc[frame.index[:37], "age"] = np.nan
    report = run(tmp_path, EXPECTATIONS, eval_frame=frame)
    gate = gates_of(report)["data.expect_column_values_to_not_be_null.age"]
    assert (gate.status, gate.blocking) == ("fail", True)
    assert gate.message == "age: 37 of 1,000 values (3.7%) are null; expected none"
    assert gate.details["column"] == "age"
    assert gate.details["unexpected_count"] == 37
    assert gate.details["unexpected_percent"] == pytest.approx(3.7)
    assert gate.details["examples"] == []  # every example of a null check would be "null"
    assert report.verdict == "fail"
    others = [g for g in report.gates if g.status != "pass"]
    assert [g.id for g in others] == ["data.expect_column_values_to_not_be_null.age"]


def test_out_of_range_values_block_with_examples(tmp_path: Path) -> None:
    frame = holdout()
    frame.loc[frame.index[100], "age"] = -4
    frame.loc[frame.index[200:212], "age"] = 150
    report = run(tmp_path, EXPECTATIONS, eval_frame=frame)
    gate = gates_of(report)["data.expect_column_values_to_be_between.age"]
    assert gate.status == "fail"
    assert (
        gate.message
        == "age: 13 of 1,000 non-null values (1.3%) are outside [18, 90]; expected none"
    )
    assert gate.details["unexpected_count"] == 13
    assert gate.details["examples"] == ["-4", "150"]  # distinct, in the order met


def test_mostly_allows_a_share_of_unexpected_values(tmp_path: Path) -> None:
    frame = holdout()
    frame.loc[frame.index[:20], "age"] = 150  # 2%
    gates = [
        {
            "expect": "expect_column_values_to_be_between",
            "column": "age",
            "min_value": 18,
            "max_value": 90,
            "mostly": 0.97,
        },
        {
            "expect": "expect_column_values_to_be_between",
            "column": "age",
            "min_value": 18,
            "max_value": 90,
            "mostly": 0.99,
        },
    ]
    report = run(tmp_path, gates, eval_frame=frame)
    loose, strict = report.gates
    assert (loose.id, strict.id) == (
        "data.expect_column_values_to_be_between.age",
        "data.expect_column_values_to_be_between.age#2",
    )
    assert loose.status == "pass"
    assert (
        loose.message
        == "age: 20 of 1,000 non-null values (2%) are outside [18, 90]; at most 3% allowed"
    )
    assert strict.status == "fail"


def test_unknown_categories_block_with_the_values(tmp_path: Path) -> None:
    frame = holdout()
    frame.loc[frame.index[:2], "country"] = "<script>alert(1)</script>" + "x" * 100
    frame.loc[frame.index[2:27], "country"] = "XX"
    report = run(tmp_path, EXPECTATIONS, eval_frame=frame)
    gate = gates_of(report)["data.expect_column_values_to_be_in_set.country"]
    assert gate.status == "fail"
    assert gate.message.startswith(
        "country: 27 of 1,000 non-null values (2.7%) are not in the allowed set"
    )
    long, short = gate.details["examples"]  # distinct values only
    assert short == "XX"
    assert long.startswith("<script>alert(1)</script>xxx") and len(long) == 80  # raw, truncated


def test_aggregate_expectation_reports_the_observed_value(tmp_path: Path) -> None:
    frame = holdout()
    frame["income"] = frame["income"] * 2
    report = run(tmp_path, EXPECTATIONS, eval_frame=frame)
    gate = gates_of(report)["data.expect_column_mean_to_be_between.income"]
    mean = float(frame["income"].mean())
    assert gate.status == "fail"
    assert gate.candidate == pytest.approx(mean)
    assert gate.details["observed"] == pytest.approx(mean)
    assert gate.message == f"income mean: {mean:,.0f}; expected between 45,000 and 55,000"


def test_level_warn_reports_without_blocking(tmp_path: Path) -> None:
    frame = holdout()
    frame.loc[frame.index[:5], "plan"] = "gold"
    gates = [
        {
            "expect": "expect_column_values_to_be_in_set",
            "column": "plan",
            "value_set": ["basic", "pro"],
            "level": "warn",
            "id": "data.plans",
        }
    ]
    report = run(tmp_path, gates, eval_frame=frame)
    (gate,) = report.gates
    assert (gate.id, gate.status, gate.blocking) == ("data.plans", "warn", False)
    assert report.verdict == "pass"


def test_on_reference_checks_the_reference_frame(tmp_path: Path) -> None:
    from support.frames import reference

    ref = reference()
    ref.loc[ref.index[:3], "income"] = np.nan
    gates = [
        {"expect": "expect_column_values_to_not_be_null", "column": "income", "on": "reference"},
        {"expect": "expect_column_values_to_not_be_null", "column": "income"},
    ]
    report = run(tmp_path, gates, reference_frame=ref)
    on_ref, on_eval = report.gates
    assert on_ref.id == "data.expect_column_values_to_not_be_null.income[reference]"
    assert on_ref.message == "income: 3 of 3,000 values (0.1%) are null; expected none"
    assert (on_ref.status, on_eval.status) == ("fail", "pass")


def test_column_missing_from_data_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    gates = [
        {"expect": "expect_column_values_to_not_be_null", "column": "incme"},
        {"expect": "expect_column_values_to_not_be_null", "column": "age"},
    ]
    report = run(tmp_path, gates)
    missing, present = report.gates
    assert (missing.status, missing.blocking) == ("error", True)
    assert missing.message == (
        "mlgate.yaml: gates.data[0].column: column 'incme' is not in data/eval.csv; "
        "did you mean 'income'?"
    )
    assert present.status == "pass"  # the other expectation still ran
    assert report.verdict == "error"


def test_gx_runtime_error_is_an_error_not_a_failure(tmp_path: Path) -> None:
    gates = [
        {"expect": "expect_column_values_to_match_regex", "column": "country", "regex": "(unclosed"}
    ]
    report = run(tmp_path, gates)
    (gate,) = report.gates
    assert gate.status == "error"
    assert gate.message.startswith(
        "mlgate.yaml: gates.data[0]: expect_column_values_to_match_regex: "
    )
    assert "regular expression" in gate.message.lower()


def test_table_expectation_sees_every_column(tmp_path: Path) -> None:
    # GX is handed only the columns a suite uses, except where a check is about the table's columns
    gates = [
        {
            "expect": "expect_table_columns_to_match_set",
            "column_set": [
                "customer_id",
                "age",
                "income",
                "tenure",
                "country",
                "plan",
                "score",
                "label",
            ],
        },
        {"expect": "expect_column_values_to_not_be_null", "column": "age"},
    ]
    report = run(tmp_path, gates)
    assert [g.status for g in report.gates] == ["pass", "pass"]
    frame = holdout().drop(columns=["plan"])
    report = run(tmp_path, gates, eval_frame=frame)
    gate = report.gates[0]
    assert gate.status == "fail"
    assert "missing plan" in gate.message


# A suite exactly as GX 1.24 writes it (context.suites.add(...); suite.save()):
# ids, severities, meta.
SUITE_JSON = """{
  "expectations": [
    {
      "id": "5f1c1a8e-3d5e-4f0a-9a63-2d4c8b0e7f11",
      "kwargs": {
        "column": "age",
        "mostly": 0.99
      },
      "meta": {},
      "severity": "critical",
      "type": "expect_column_values_to_not_be_null"
    },
    {
      "id": "a2b9e0c4-77d1-4c2e-8f5a-6b1e9d3c0a22",
      "kwargs": {
        "column": "income",
        "max_value": 500000.0,
        "min_value": 0.0
      },
      "meta": {"owner": "data-eng"},
      "severity": "critical",
      "type": "expect_column_values_to_be_between"
    },
    {
      "id": "c3d0f1e5-88e2-4d3f-9a6b-7c2f0e4d1b33",
      "kwargs": {
        "column": "plan",
        "value_set": ["basic", "pro"]
      },
      "meta": {},
      "severity": "warning",
      "type": "expect_column_values_to_be_in_set"
    }
  ],
  "id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
  "meta": {
    "great_expectations_version": "1.24.1"
  },
  "name": "holdout",
  "notes": null
}
"""


def test_gx_suite_file_is_honoured_as_written(tmp_path: Path) -> None:
    (tmp_path / "gx").mkdir()
    (tmp_path / "gx" / "holdout.json").write_text(SUITE_JSON)
    frame = holdout()
    frame["age"] = frame["age"].astype(float)
    frame.loc[frame.index[:15], "age"] = np.nan  # 1.5% > the suite's 1%
    frame.loc[frame.index[:4], "plan"] = "gold"  # the suite marks this check "warning"
    report = run(tmp_path, [{"suite": "gx/holdout.json"}], eval_frame=frame)
    gates = gates_of(report)
    assert list(gates) == [
        "data.expect_column_values_to_not_be_null.age",
        "data.expect_column_values_to_be_between.income",
        "data.expect_column_values_to_be_in_set.plan",
    ]
    nulls = gates["data.expect_column_values_to_not_be_null.age"]
    assert nulls.status == "fail"
    assert nulls.message == "age: 15 of 1,000 values (1.5%) are null; at most 1% allowed"
    assert nulls.details["gx_id"] == "5f1c1a8e-3d5e-4f0a-9a63-2d4c8b0e7f11"
    assert nulls.details["source"] == "gx/holdout.json: expectations[0]"
    assert gates["data.expect_column_values_to_be_between.income"].status == "pass"
    plan = gates["data.expect_column_values_to_be_in_set.plan"]
    assert (plan.status, plan.blocking) == ("warn", False)


def test_suite_saved_by_gx_itself_is_read(tmp_path: Path) -> None:
    """Round trip through GX's own file context: whatever GX writes, mlgate reads."""
    from mlgate.measure.data import gx as engine

    gx = engine.load()
    context = gx.get_context(mode="file", project_root_dir=str(tmp_path / "gxproject"))
    suite = context.suites.add(gx.ExpectationSuite(name="saved"))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeInSet(column="country", value_set=["FR", "DE"])
    )
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    suite.save()
    (saved,) = (tmp_path / "gxproject").rglob("saved.json")
    doc = json.loads(saved.read_text())
    assert all("id" in e and "type" in e for e in doc["expectations"])
    report = run(tmp_path, [{"suite": str(saved), "id": "gx"}])
    gates = gates_of(report)
    assert set(gates) == {
        "gx.expect_column_values_to_be_in_set.country",
        "gx.expect_table_row_count_to_be_between",
    }
    assert gates["gx.expect_column_values_to_be_in_set.country"].status == "fail"  # US and ES
    assert gates["gx.expect_table_row_count_to_be_between"].status == "pass"
