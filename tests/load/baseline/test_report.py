"""`report:` specs, the saved-baseline manifest, and the helpers gates use to read saved reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from support.sourcekit import WHERE, commit_files

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.report import fingerprint_of, saved_metric
from mlgate.load.baseline.resolver import SourceContext, resolve

Ctx = Callable[..., SourceContext]
REPORT: dict[str, Any] = {
    "schema": "mlgate.report/v1",
    "verdict": "pass",
    "context": {"eval": {"path": "data/eval.csv", "rows": 10, "fingerprint": "sha256:abc"}},
    "gates": [
        {"id": "model.roc_auc", "kind": "model", "status": "pass", "candidate": 0.91},
        {"id": "model.accuracy[segment=a]", "kind": "model", "status": "pass", "candidate": 1},
        {"id": "model.f1", "kind": "model", "status": "error", "candidate": None},
        {"id": "model.bool", "kind": "model", "status": "pass", "candidate": True},
    ],
}


def saved_folder(root: Path, *, model: str | None = "model.skops", **extra: Any) -> Path:
    """What `mlgate baseline save` writes (a minimal version)."""
    folder = root / "mlgate-baseline"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(REPORT))
    if model:
        (folder / model).write_bytes(b"model")
    manifest = {
        "schema": "mlgate.baseline/v1",
        "model": model,
        "report": "report.json",
        "commit": "0123456789abcdef0123",
        "created_at": "2026-01-02T03:04:05Z",
        **extra,
    }
    (folder / "baseline.json").write_text(json.dumps(manifest))
    return folder


def test_report_path_reads_metrics_only(tmp_path: Path, make_ctx: Ctx) -> None:
    saved_folder(tmp_path)
    for spec in ("report:mlgate-baseline/report.json", "report:mlgate-baseline"):
        resolved = resolve(spec, make_ctx())
        assert (resolved.kind, resolved.paired, resolved.path) == ("report", False, None)
        assert resolved.report == REPORT


def test_plain_folder_reads_the_saved_model_and_its_report(tmp_path: Path, make_ctx: Ctx) -> None:
    folder = saved_folder(tmp_path)
    resolved = resolve("mlgate-baseline", make_ctx())
    assert (resolved.kind, resolved.path, resolved.report) == (
        "model",
        folder / "model.skops",
        REPORT,
    )
    assert (
        resolved.note == "saved by `mlgate baseline save` at 0123456789ab on 2026-01-02T03:04:05Z"
    )


def test_saved_predictions_are_read_as_predictions(tmp_path: Path, make_ctx: Ctx) -> None:
    folder = saved_folder(tmp_path, model="predictions.csv", model_format="predictions")
    resolved = resolve("mlgate-baseline", make_ctx())
    assert (resolved.kind, resolved.path) == ("predictions", folder / "predictions.csv")


def test_a_folder_without_a_model_is_a_report(tmp_path: Path, make_ctx: Ctx) -> None:
    saved_folder(tmp_path, model=None)
    resolved = resolve("mlgate-baseline", make_ctx())
    assert resolved.kind == "report" and resolved.note.endswith("; metrics only")


def test_report_from_a_url_without_an_extension(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/latest").respond_with_json(REPORT)
    resolved = resolve(f"report:{server.url_for('/latest')}", make_ctx())
    assert resolved.kind == "report" and resolved.report == REPORT


def test_report_at_a_git_ref(tmp_path: Path, repo: Path, make_ctx: Ctx) -> None:
    commit_files(repo, {"mlgate-baseline/report.json": json.dumps(REPORT)}, "save")
    resolved = resolve("report:git:feature:mlgate-baseline/report.json", make_ctx(repo))
    assert resolved.kind == "report" and resolved.report == REPORT


@pytest.mark.parametrize(
    ("setup", "spec", "error", "line"),
    [
        (
            None,
            "report:nowhere/report.json",
            BaselineError,
            "{where}: saved report not found: {root}/nowhere/report.json (paths are relative to "
            "the "
            "config file; `mlgate baseline save` writes DIR/report.json)",
        ),
        (
            "empty",
            "report:empty",
            BaselineError,
            "{where}: report:empty is a folder without report.json (point at what `mlgate baseline "
            "save` wrote)",
        ),
        (
            "other",
            "report:other.json",
            BaselineError,
            "{where}: {root}/other.json is not an mlgate.report/v1 report",
        ),
        (
            "broken",
            "report:broken.json",
            BaselineError,
            "{where}: cannot read saved report {root}/broken.json: Expecting value: line 1 "
            "column 1 "
            "(char 0)",
        ),
        (
            None,
            "report:report:x.json",
            ConfigError,
            "{where}: report:report:x.json names report: twice",
        ),
        (
            None,
            "report: ",
            ConfigError,
            "{where}: report: needs a path or URL (e.g. report:mlgate-baseline/report.json)",
        ),
        (
            "manifest",
            "saved",
            BaselineError,
            "{where}: {root}/saved/baseline.json is not an mlgate.baseline/v1 manifest (schema: "
            "'mlgate.baseline/v9') (write it with `mlgate baseline save`, or upgrade mlgate if a "
            "newer one wrote it)",
        ),
        (
            "no-model",
            "saved",
            BaselineError,
            "{where}: {root}/saved/baseline.json names the model 'model.skops', which is not in "
            "the "
            "folder (save the whole folder `mlgate baseline save` wrote)",
        ),
    ],
)
def test_errors(
    setup: str | None, spec: str, error: type[Exception], line: str, tmp_path: Path, make_ctx: Ctx
) -> None:
    if setup == "empty":
        (tmp_path / "empty").mkdir()
    elif setup == "other":
        (tmp_path / "other.json").write_text('{"hello": 1}')
    elif setup == "broken":
        (tmp_path / "broken.json").write_text("")
    elif setup in ("manifest", "no-model"):
        (tmp_path / "saved").mkdir()
        schema = "mlgate.baseline/v9" if setup == "manifest" else "mlgate.baseline/v1"
        (tmp_path / "saved" / "baseline.json").write_text(
            json.dumps({"schema": schema, "model": "model.skops"})
        )
    with pytest.raises(error) as info:
        resolve(spec, make_ctx())
    assert info.value.lines() == [line.format(where=WHERE, root=tmp_path)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("gate_id", "value"),
    [
        ("model.roc_auc", 0.91),
        ("model.accuracy[segment=a]", 1.0),
        ("model.f1", None),  # errored then: no value
        ("model.bool", None),  # not a number
        ("model.unknown", None),
    ],
)
def test_saved_metric(gate_id: str, value: float | None) -> None:
    assert saved_metric(REPORT, gate_id) == value


@pytest.mark.parametrize(
    ("doc", "fingerprint"),
    [
        (REPORT, "sha256:abc"),
        ({"context": {"eval": {"path": "x"}}}, None),
        ({"context": {"eval": None}}, None),
        ({}, None),
    ],
)
def test_fingerprint_of(doc: dict[str, Any], fingerprint: str | None) -> None:
    assert fingerprint_of(doc) == fingerprint
