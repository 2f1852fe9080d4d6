"""`github-artifact:NAME` baselines: real PyGithub and requests against the fake GitHub API."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import FakeGitHub

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline import github_artifact
from mlgate.load.baseline.resolver import SourceContext, resolve


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def context(gh: FakeGitHub, tmp_path: Path) -> SourceContext:
    env = gh.env(tmp_path, event=gh.pr_event())
    return SourceContext(
        root=tmp_path, cache=tmp_path / "cache", where="mlgate.yaml: models.baseline", env=env
    )


def test_latest_successful_default_branch_artifact(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("model", zipped({"model.skops": b"old production"}))
    gh.add_artifact("model", zipped({"model.skops": b"production"}))
    # newer, but none of these is production:
    gh.add_artifact("model", zipped({"model.skops": b"failed run"}), conclusion="failure")
    gh.add_artifact("model", zipped({"model.skops": b"feature"}), branch="feature")
    gh.add_artifact("model", zipped({"model.skops": b"fork's main"}), fork=True)
    gh.add_artifact("model", zipped({"model.skops": b"pr run"}), event="pull_request")
    gh.add_artifact("model", zipped({"model.skops": b"expired"}), expired=True)
    gh.add_artifact("other", zipped({"model.skops": b"other name"}))
    path = github_artifact.fetch("model", context(gh, tmp_path))
    assert path.name == "model.skops" and path.read_bytes() == b"production"
    blob = gh.requests("GET", "/blob/")
    assert len(blob) == 1 and "Authorization" not in blob[0].headers  # token stayed on the API host


def test_saved_baseline_folder_and_cache(gh: FakeGitHub, tmp_path: Path) -> None:
    manifest = {"schema": "mlgate.baseline/v1", "model": "model.skops", "report": "report.json"}
    gh.add_artifact(
        "mlgate-baseline",
        zipped(
            {
                "baseline.json": json.dumps(manifest),
                "model.skops": b"m",
                "report.json": json.dumps(
                    {"schema": "mlgate.report/v1", "verdict": "pass", "gates": []}
                ),
            }
        ),
    )
    ctx = context(gh, tmp_path)
    folder = github_artifact.fetch("mlgate-baseline", ctx)
    assert (folder / "baseline.json").is_file()
    assert github_artifact.fetch("mlgate-baseline", ctx) == folder
    assert len(gh.requests("GET", "/zip")) == 1  # the second run of the job used the cache


def test_resolves_as_a_baseline_model(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("bundle", zipped({"models/model.skops": b"m", "README.md": "hi"}))
    resolved = resolve("github-artifact:bundle:models/model.skops", context(gh, tmp_path))
    assert resolved.kind == "model" and resolved.path is not None
    assert resolved.path.read_bytes() == b"m"


def test_several_files_need_a_path(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("bundle", zipped({"a.skops": b"a", "b.skops": b"b"}))
    with pytest.raises(BaselineError, match=r"holds several files and no baseline.json") as caught:
        github_artifact.fetch("bundle", context(gh, tmp_path))
    assert caught.value.hint == "name one: github-artifact:bundle:PATH (it holds: a.skops, b.skops)"


def test_path_traversal_is_refused(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("evil", zipped({"../../escaped.txt": b"x"}))
    with pytest.raises(BaselineError, match=r"holds a path outside the archive"):
        github_artifact.fetch("evil", context(gh, tmp_path))
    assert not list(tmp_path.rglob("escaped.txt"))
    with pytest.raises(ConfigError, match="must stay inside the artifact"):
        gh.add_artifact("fine", zipped({"m.skops": b"m"}))
        github_artifact.fetch("fine:../m.skops", context(gh, tmp_path))


def test_missing_artifact_says_what_to_do(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("model", zipped({"m": b"m"}), branch="feature")
    with pytest.raises(BaselineError) as caught:
        github_artifact.fetch("model", context(gh, tmp_path))
    assert caught.value.message == (
        "no successful run on 'main' has an artifact named 'model' (looked at 1)"
    )


def test_api_errors_and_missing_token_are_baseline_errors(gh: FakeGitHub, tmp_path: Path) -> None:
    ctx = context(gh, tmp_path)
    gh.fail("GET", r"/actions/artifacts$", *[500] * 10)
    with pytest.raises(BaselineError, match=r"github-artifact:model: HTTP 500") as caught:
        github_artifact.fetch("model", ctx)
    assert gh.token not in str(caught.value)
    no_token = SourceContext(
        root=tmp_path, cache=tmp_path, where="w", env={**ctx.env, "GITHUB_TOKEN": ""}
    )
    with pytest.raises(BaselineError, match="GITHUB_TOKEN is not set"):
        github_artifact.fetch("model", no_token)
