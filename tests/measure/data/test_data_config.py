"""Bad data-gate config: every problem is one exact, located line (exit 2), all collected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.frames import write_project

from mlgate.config import load_config
from mlgate.errors import ConfigError, ExitCode
from mlgate.pipeline import RunOptions, execute


def problems(root: Path, gates: list[dict[str, Any]], **kwargs: Any) -> list[str]:
    write_project(root, gates, **kwargs)
    with pytest.raises(ConfigError) as caught:
        execute(load_config("mlgate.yaml", cwd=root), RunOptions(out_dir=root / "out", env={}))
    assert caught.value.exit_code == ExitCode.USAGE
    return caught.value.problems


def test_unknown_expectation_type_lists_close_matches(tmp_path: Path) -> None:
    assert problems(
        tmp_path, [{"expect": "expect_column_values_to_not_be_nul", "column": "age"}]
    ) == [
        "mlgate.yaml: gates.data[0].expect: unknown expectation type "
        '"expect_column_values_to_not_be_nul"; did you mean "expect_column_values_to_not_be_null", '
        '"expect_column_values_to_be_null" or "expect_column_values_to_not_be_outliers"?'
    ]


def test_invalid_arguments_come_from_gx_own_model(tmp_path: Path) -> None:
    gates = [
        {"expect": "expect_column_values_to_be_between", "column": "age", "min_valu": 0},
        {"expect": "expect_column_values_to_be_between", "column": "age", "min_value": "abc"},
        {"expect": "expect_column_values_to_be_in_set", "column": "country"},
        {"expect": "expect_column_values_to_not_be_null", "column": "age", "mostly": 2},
        {
            "expect": "expect_column_values_to_not_be_null",
            "column": "age",
            "result_format": "COMPLETE",
        },
        {
            "expect": "expect_column_values_to_be_between",
            "column": "age",
            "min_value": 0,
            "max_value": 9,
        },
    ]
    assert problems(tmp_path, gates) == [
        "mlgate.yaml: gates.data[0].min_valu: not an argument of "
        "expect_column_values_to_be_between; "
        'did you mean "min_value"?',
        'mlgate.yaml: gates.data[1].min_value: value is not a valid float, got "abc"',
        "mlgate.yaml: gates.data[2].value_set: "
        "expect_column_values_to_be_in_set needs this argument",
        "mlgate.yaml: gates.data[3].mostly: ensure this value is less than or equal to 1.0, got 2",
        "mlgate.yaml: gates.data[4].result_format: mlgate sets the result format; remove it",
    ]


def test_drift_without_reference(tmp_path: Path) -> None:
    gates = [
        {"expect": "expect_column_values_to_not_be_null", "column": "age"},
        {"schema": True},
        {"drift": {"columns": "*", "method": "psi", "max": 0.2}},
        {"expect": "expect_column_values_to_not_be_null", "column": "age", "on": "reference"},
    ]
    assert problems(tmp_path, gates, with_reference=False) == [
        "mlgate.yaml: gates.data[2].drift: needs data.reference",
        'mlgate.yaml: gates.data[3].on: "reference" needs data.reference',
    ]


def test_drift_thresholds_must_name_drift_columns(tmp_path: Path) -> None:
    gates = [
        {"drift": {"columns": ["age", "income"], "thresholds": {"age": 0.1, "tenure": 0.3}}},
    ]
    assert problems(tmp_path, gates) == [
        "mlgate.yaml: gates.data[0].drift.thresholds.tenure: "
        "not one of the drift columns (age, income)",
        "mlgate.yaml: gates.data[0].drift: no threshold for income; add max or thresholds.income",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"name": "x",\n "expectations": [}\n', "gx/s.json:2:19: not valid JSON: Expecting value"),
        (
            "[1, 2]",
            "gx/s.json: not a GX 1.x expectation suite: expected a JSON object with a list "
            '"expectations"',
        ),
        (
            '{"expectation_suite_name": "x", "expectations": []}',
            "gx/s.json: a GX 0.x suite (expectation_suite_name); re-save it with "
            'great_expectations>=1.0, which names it "name" and each expectation_type "type"',
        ),
        (
            '{"name": "x", "expectations": [{"expectation_type": "expect_column_to_exist", '
            '"kwargs": {"column": "age"}}]}',
            'gx/s.json: expectations[0].expectation_type: GX 0.x format; GX 1.x names it "type"',
        ),
        (
            '{"name": "x", "expectatons": []}',
            "gx/s.json: not a GX 1.x expectation suite: "
            'expected a JSON object with a list "expectations"',
        ),
        (
            '{"name": "x", "expectations": [], "owner": "me"}',
            "gx/s.json: owner: unknown key; expected one of name, id, expectations, meta, notes, "
            "suite_parameters",
        ),
        (
            '{"name": "x", "expectations": [{"type": "expect_column_values_to_be_betwen", '
            '"kwargs": {"column": "age", "min_value": 0}}]}',
            "gx/s.json: expectations[0].type: unknown expectation type "
            '"expect_column_values_to_be_betwen"; did you mean '
            '"expect_column_values_to_be_between", "expect_column_value_lengths_to_be_between" '
            'or "expect_column_values_to_be_in_set"?',
        ),
        (
            '{"name": "x", "expectations": [{"type": "expect_column_values_to_be_between", '
            '"kwargs": {"column": "age", "maxvalue": 3}}]}',
            "gx/s.json: expectations[0].kwargs.maxvalue: not an argument of "
            'expect_column_values_to_be_between; did you mean "max_value"?',
        ),
        (
            '{"name": "x", "expectations": [{"type": "expect_column_values_to_not_be_null", '
            '"kwargs": {"column": "age"}, "severity": "fatal"}]}',
            "gx/s.json: expectations[0]: expect_column_values_to_not_be_null: Invalid severity "
            "'fatal'. Must be one of: critical, warning, info",
        ),
    ],
)
def test_suite_file_that_is_not_valid_gx_json(tmp_path: Path, text: str, line: str) -> None:
    (tmp_path / "gx").mkdir()
    (tmp_path / "gx" / "s.json").write_text(text)
    assert problems(tmp_path, [{"suite": "gx/s.json"}]) == [line]


def test_missing_suite_file(tmp_path: Path) -> None:
    assert problems(tmp_path, [{"suite": "gx/nowhere.json"}]) == [
        "mlgate.yaml: gates.data[0].suite: file not found: gx/nowhere.json "
        "(paths are relative to the config file)"
    ]


def test_every_problem_is_collected(tmp_path: Path) -> None:
    (tmp_path / "gx").mkdir()
    (tmp_path / "gx" / "bad.json").write_text("{")
    gates = [
        {"expect": "expect_colum_to_exist", "column": "age"},
        {"suite": "gx/bad.json"},
        {"drift": {"max": 0.2}},
        {"expect": "expect_column_values_to_be_unique", "colum": "age"},
    ]
    lines = problems(tmp_path, gates, with_reference=False)
    assert [line.split(":")[1].strip() for line in lines] == [
        "gates.data[0].expect",
        "1",
        "gates.data[2].drift",
        "gates.data[3].column",
        "gates.data[3].colum",
    ]


def test_yaml_on_key_is_the_option_not_a_boolean(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `on:` as true; it must still mean "check the reference"
    write_project(tmp_path, [])
    (tmp_path / "mlgate.yaml").write_text(
        "version: 1\n"
        "data: {eval: data/eval.csv, reference: data/reference.parquet}\n"
        "gates:\n"
        "  data:\n"
        "    - expect: expect_column_values_to_not_be_null\n"
        "      column: age\n"
        "      on: reference\n"
    )
    report = execute(
        load_config("mlgate.yaml", cwd=tmp_path), RunOptions(out_dir=tmp_path / "out", env={})
    )
    assert [g.id for g in report.gates] == [
        "data.expect_column_values_to_not_be_null.age[reference]"
    ]
    assert report.gates[0].message == "age: none of 3,000 values are null"
