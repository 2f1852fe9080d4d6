"""Attack 5: pick the baseline artifact. Only push/schedule/workflow_dispatch runs produce one.

`workflow_run` and `issue_comment` jobs also run on the default branch, and often handle
untrusted input (a fork's artifact, a comment's text): an artifact they uploaded was taken as
production before issue 13.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import FakeGitHub

from mlgate.errors import BaselineError
from mlgate.load.baseline import github_artifact
from mlgate.load.baseline.common import SourceContext


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model.skops", data)
    return buffer.getvalue()


def context(gh: FakeGitHub, tmp_path: Path, **extra: str) -> SourceContext:
    env = gh.env(tmp_path, event=gh.pr_event(), **extra)
    return SourceContext(
        root=tmp_path, cache=tmp_path / "cache", where="mlgate.yaml: models.baseline", env=env
    )


@pytest.mark.parametrize("event", ["push", "schedule", "workflow_dispatch"])
def test_trusted_events_produce_the_baseline(gh: FakeGitHub, tmp_path: Path, event: str) -> None:
    gh.add_artifact("model", zipped(b"production"), event=event)
    path = github_artifact.fetch("model", context(gh, tmp_path))
    assert path.read_bytes() == b"production"


def test_workflow_run_and_issue_comment_runs_are_refused(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("model", zipped(b"production"), event="push")
    workflow_run = gh.add_artifact("model", zipped(b"forked candidate"), event="workflow_run")
    comment = gh.add_artifact("model", zipped(b"from a comment"), event="issue_comment")
    path = github_artifact.fetch("model", context(gh, tmp_path))
    assert path.read_bytes() == b"production"  # before issue 13: "from a comment"
    assert workflow_run and comment


def test_only_untrusted_runs_is_no_baseline(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("model", zipped(b"forked candidate"), event="workflow_run")
    gh.add_artifact("model", zipped(b"from a comment"), event="issue_comment")
    with pytest.raises(BaselineError) as caught:
        github_artifact.fetch("model", context(gh, tmp_path))
    runs = sorted(gh.runs)
    assert caught.value.message == (
        "no successful run on 'main' has an "
        f"artifact named 'model' (looked at 2); refused runs of untrusted events: run {runs[1]} "
        f"(issue_comment), run {runs[0]} (workflow_run)"
    )


def test_a_named_producing_workflow(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_artifact("model", zipped(b"production"), event="push")
    with pytest.raises(BaselineError) as caught:
        github_artifact.fetch(
            "model", context(gh, tmp_path, MLGATE_BASELINE_WORKFLOW="release.yml")
        )
    assert caught.value.message == (
        "no successful run of the workflow 'release.yml' on 'main' has an artifact named 'model' "
        "(looked at 1)"
    )
