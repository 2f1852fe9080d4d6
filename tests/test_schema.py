"""`mlgate schema`: the JSON Schemas of mlgate.yaml and report.json, and what they point to."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.projects import Project, base_config
from support.report_fixtures import BUILDERS

REPO = Path(__file__).parents[1]


def schema_output(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "mlgate", "schema", *args], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(schema_output("--report"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def reports_of_real_runs(project: Project) -> dict[str, dict[str, Any]]:
    """report.json of a passing, a failing and an erroring `mlgate run` on one project."""
    gates = {
        "data": [
            {"drift": {"columns": ["x0", "x1"], "method": "psi", "max": 0.2}},
            {"schema": True},
        ],
        "model": [
            {"metric": "roc_auc", "min": 0.7, "max_drop": 0.01},
            {"metric": "accuracy", "slice": "segment", "max_drop": "1%"},
        ],
    }
    runs = {
        "pass": (base_config("models/retrain.skops", **gates), 0),
        "fail": (base_config("models/regressed.skops", **gates), 1),
        "error": (base_config("models/corrupt.skops", **gates), 3),  # unreadable: exit 3
    }
    (project.root / "models" / "corrupt.skops").write_bytes(b"not a zip archive")
    reports = {}
    for name, (config, code) in runs.items():
        config["data"]["reference"] = "data/train.parquet"
        project.config(config)
        result = project.run("run", "--out", name)
        assert result.returncode == code, result.stderr
        reports[name] = project.report(name)
    return reports


@pytest.mark.slow
def test_reports_written_by_the_cli_validate(
    project: Project, validator: jsonschema.protocols.Validator
) -> None:
    reports = reports_of_real_runs(project)
    assert [r["verdict"] for r in reports.values()] == ["pass", "fail", "error"]
    for name, report in reports.items():
        problems = [e.message for e in validator.iter_errors(report)]
        assert problems == [], name
    # the runs cover slices, data gates and a gate that errored
    ids = {g["id"] for r in reports.values() for g in r["gates"]}
    assert "model.accuracy[segment=a]" in ids and "data.drift.x0" in ids
    assert any(g["status"] == "error" for g in reports["error"]["gates"])


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_gold_reports_validate(name: str, validator: jsonschema.protocols.Validator) -> None:
    document = json.loads(json.dumps(BUILDERS[name]().to_dict()))
    assert [e.message for e in validator.iter_errors(document)] == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(verdict="maybe"), "'maybe' is not one of ['pass', 'fail', 'error']"),
        (lambda d: d.update(schema="mlgate.report/v2"), "'mlgate.report/v1' was expected"),
        (lambda d: d["gates"][0].update(status="ok"), "'ok' is not one of"),
        (lambda d: d["gates"][0].pop("blocking"), "'blocking' is a required property"),
        (lambda d: d["summary"].update(passed=-1), "-1 is less than the minimum of 0"),
    ],
)
def test_a_report_with_a_bad_value_does_not_validate(
    change: Any, expected: str, validator: jsonschema.protocols.Validator
) -> None:
    document = json.loads(json.dumps(BUILDERS["blocked"]().to_dict()))
    assert validator.is_valid(document)
    change(document)
    messages = [e.message for e in validator.iter_errors(document)]
    assert any(m.startswith(expected) for m in messages), messages


def test_the_report_schema_follows_the_records() -> None:
    from mlgate.records import STATUSES, GateResult

    schema = json.loads(schema_output("--report"))
    assert schema["title"] == "mlgate.report/v1"
    gate = schema["$defs"]["GateResult"]
    assert gate["properties"]["status"]["enum"] == list(STATUSES)
    fields = fields_of(GateResult)
    assert list(gate["properties"]) == list(fields)
    assert gate["required"] == [name for name, f in fields.items() if not has_default(f)]
    assert {"id", "kind", "status", "blocking", "message"} <= set(gate["required"])


def fields_of(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def has_default(field: dataclasses.Field) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def test_nothing_points_to_the_old_contract_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("mlgate", "docs", "tests")
        for path in sorted((REPO / folder).rglob("*"))
        if path.suffix in (".py", ".md", ".j2", ".yml", ".yaml", ".toml") and path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "DESIGN.md" in line
    ]
    offenders += ["README.md"] if "DESIGN.md" in (REPO / "README.md").read_text() else []
    assert offenders == [], "point to docs/design.md sections instead"


@pytest.mark.parametrize("args", [(), ("--report",)])
def test_schema_points_only_inside_the_repository(args: tuple[str, ...]) -> None:
    text = schema_output(*args)
    assert "DESIGN" not in text
    documents = set(re.findall(r"[\w./-]+\.md\b", text))
    assert documents or args, "the config schema names the docs that explain its keys"
    missing = [d for d in sorted(documents) if not (REPO / d.split("§")[0]).is_file()]
    assert missing == []
