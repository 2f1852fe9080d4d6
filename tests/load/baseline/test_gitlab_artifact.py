"""`gitlab-artifact:JOB:PATH` baselines, read by python-gitlab from a fake GitLab on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.gitlab_fake import FakeGitLab

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.resolver import SourceContext, resolve
from mlgate.records import Report

REPORT = json.dumps(Report(verdict="pass", gates=()).to_dict()).encode()
MODEL = b"not really a model, but bytes that must arrive unchanged \x00\xff" * 1000


@pytest.fixture
def gitlab_api(httpserver_ipv4: Any) -> FakeGitLab:
    return FakeGitLab(httpserver_ipv4).install()


def context(tmp_path: Path, env: dict[str, str]) -> SourceContext:
    return SourceContext(
        root=tmp_path, cache=tmp_path / ".cache", where="mlgate.yaml: models.baseline", env=env
    )


def test_a_model_file_is_read_with_the_job_token(gitlab_api: FakeGitLab, tmp_path: Path) -> None:
    gitlab_api.artifacts["main", "mlgate", "models/model.skops"] = MODEL
    resolved = resolve(
        "gitlab-artifact:mlgate:models/model.skops", context(tmp_path, gitlab_api.env())
    )
    assert resolved.kind == "model" and resolved.path is not None
    assert resolved.path.read_bytes() == MODEL
    [seen] = gitlab_api.seen
    assert seen.path == "/projects/7/jobs/artifacts/main/raw/models/model.skops"
    assert seen.args == {"job": "mlgate"}
    assert seen.headers.get("Job-Token") == gitlab_api.job_token
    assert "Private-Token" not in seen.headers  # least privilege: the job token is enough


def test_a_baseline_folder_brings_its_manifest_report_and_model(
    gitlab_api: FakeGitLab, tmp_path: Path
) -> None:
    manifest = {
        "schema": "mlgate.baseline/v1",
        "model": "model.skops",
        "report": "report.json",
        "files": ["model.skops", "report.json", "baseline.json"],
    }
    gitlab_api.artifacts["main", "mlgate", "mlgate-baseline/baseline.json"] = json.dumps(
        manifest
    ).encode()
    gitlab_api.artifacts["main", "mlgate", "mlgate-baseline/report.json"] = REPORT
    gitlab_api.artifacts["main", "mlgate", "mlgate-baseline/model.skops"] = MODEL

    resolved = resolve(
        "gitlab-artifact:mlgate:mlgate-baseline", context(tmp_path, gitlab_api.env())
    )

    assert resolved.kind == "model" and resolved.paired
    assert resolved.path is not None and resolved.path.read_bytes() == MODEL
    assert resolved.report is not None and resolved.report["verdict"] == "pass"


def test_a_saved_report_alone_is_a_metrics_only_baseline(
    gitlab_api: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_api.artifacts["main", "mlgate", "mlgate-report/report.json"] = REPORT
    resolved = resolve(
        "gitlab-artifact:mlgate:mlgate-report/report.json", context(tmp_path, gitlab_api.env())
    )
    assert resolved.kind == "report" and not resolved.paired


def test_no_artifact_yet_says_what_to_do(gitlab_api: FakeGitLab, tmp_path: Path) -> None:
    with pytest.raises(BaselineError) as caught:
        resolve("gitlab-artifact:mlgate:mlgate-baseline", context(tmp_path, gitlab_api.env()))
    assert caught.value.lines() == [
        "mlgate.yaml: models.baseline: no successful pipeline on main has an artifact "
        "mlgate-baseline/baseline.json from a job named 'mlgate' yet (merge once so the "
        "default-branch job saves it (`mlgate baseline save`), or check the job name and the "
        "path inside its artifacts)"
    ]
    assert not list((tmp_path / ".cache").rglob("*.json"))  # nothing half-written is left


def test_a_manifest_naming_a_missing_model_fails_closed(
    gitlab_api: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_api.artifacts["main", "mlgate", "b/baseline.json"] = (
        b'{"schema": "mlgate.baseline/v1", "model": "model.skops"}'
    )
    with pytest.raises(BaselineError, match=r"artifact b/model\.skops from a job named 'mlgate'"):
        resolve("gitlab-artifact:mlgate:b", context(tmp_path, gitlab_api.env()))


def test_default_branch_with_a_slash_is_one_path_segment(
    gitlab_api: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_api.artifacts["release/v2", "gate job", "m.onnx"] = MODEL
    env = gitlab_api.env(CI_DEFAULT_BRANCH="release/v2")
    resolve("gitlab-artifact:gate job:m.onnx", context(tmp_path, env))
    [seen] = gitlab_api.seen
    assert seen.args == {"job": "gate job"}


def test_a_private_token_works_when_there_is_no_job_token(
    gitlab_api: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_api.artifacts["main", "mlgate", "m.skops"] = MODEL
    env = gitlab_api.env()
    del env["CI_JOB_TOKEN"]
    resolve("gitlab-artifact:mlgate:m.skops", context(tmp_path, env))
    assert gitlab_api.seen[0].headers.get("Private-Token") == gitlab_api.token


def test_retries_transient_errors(gitlab_api: FakeGitLab, tmp_path: Path) -> None:
    gitlab_api.artifacts["main", "mlgate", "m.skops"] = MODEL
    gitlab_api.fail("GET", "/jobs/artifacts/", 502, 429, headers={"Retry-After": "0"})
    resolved = resolve("gitlab-artifact:mlgate:m.skops", context(tmp_path, gitlab_api.env()))
    assert resolved.path is not None and resolved.path.read_bytes() == MODEL
    assert [s.status for s in gitlab_api.seen] == [502, 429, 200]


def test_a_refused_token_is_a_baseline_error_without_the_token(
    gitlab_api: FakeGitLab, tmp_path: Path
) -> None:
    gitlab_api.fail("GET", "/jobs/artifacts/", 403, message=f"token {gitlab_api.job_token} refused")
    with pytest.raises(BaselineError) as caught:
        resolve("gitlab-artifact:mlgate:m.skops", context(tmp_path, gitlab_api.env()))
    message = caught.value.lines()[0]
    assert message.startswith(
        "mlgate.yaml: models.baseline: downloading artifact m.skops of job "
        "'mlgate' failed: HTTP 403: token [masked] refused"
    )
    assert gitlab_api.job_token not in message


@pytest.mark.parametrize("rest", ["mlgate", "mlgate:", ":path/m.skops"])
def test_a_malformed_spec_is_a_config_error(tmp_path: Path, rest: str) -> None:
    with pytest.raises(ConfigError, match="expected gitlab-artifact:JOB:PATH"):
        resolve(f"gitlab-artifact:{rest}", context(tmp_path, {}))


def test_a_path_leaving_the_artifacts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must stay inside the artifacts"):
        resolve("gitlab-artifact:mlgate:../../etc/passwd", context(tmp_path, {}))


def test_outside_gitlab_ci_says_how_to_run_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "CI_API_V4_URL",
        "CI_SERVER_URL",
        "CI_PROJECT_ID",
        "CI_PROJECT_PATH",
        "CI_DEFAULT_BRANCH",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(BaselineError) as caught:
        resolve("gitlab-artifact:mlgate:m.skops", context(tmp_path, {}))
    assert caught.value.lines() == [
        "mlgate.yaml: models.baseline: gitlab-artifact: baselines are read inside GitLab CI "
        "(CI_API_V4_URL, CI_PROJECT_ID and CI_DEFAULT_BRANCH are not all set) (locally, pass "
        "--baseline git:origin/main:PATH or a file)"
    ]
