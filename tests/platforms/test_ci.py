"""mlgate.platforms.ci: which CI this is, and the run's facts (a real git repo when local)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.sourcekit import commit_files, git

from mlgate.platforms.ci import ci_context, detect_platform


@pytest.mark.parametrize(
    ("env", "platform"),
    [
        ({"GITHUB_ACTIONS": "true"}, "github"),
        ({"GITHUB_ACTIONS": "false"}, None),
        ({"GITLAB_CI": "true"}, "gitlab"),
        ({}, None),
    ],
)
def test_detect_platform(env: dict[str, str], platform: str | None) -> None:
    assert detect_platform(env) == platform


def test_gitlab_context_links_the_report_in_the_configured_folder(tmp_path: Path) -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_COMMIT_SHA": "abc",
        "CI_COMMIT_REF_NAME": "feature",
        "CI_JOB_URL": "https://gitlab.example.com/p/-/jobs/7",
        "MLGATE_REPORT_DIR": "out",
    }
    assert ci_context(env, tmp_path) == {
        "ci": "gitlab",
        "commit": "abc",
        "ref": "feature",
        "job_url": "https://gitlab.example.com/p/-/jobs/7",
        "report_url": "https://gitlab.example.com/p/-/jobs/7/artifacts/file/out/report.html",
    }


def test_github_context_names_the_run(tmp_path: Path) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SHA": "abc",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "9",
    }
    assert ci_context(env, tmp_path) == {
        "ci": "github",
        "commit": "abc",
        "ref": "refs/heads/main",
        "job_url": "https://github.com/o/r/actions/runs/9",
    }


def test_local_context_comes_from_git(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    git(tmp_path, "init", "-q", "-b", "trunk")
    sha = commit_files(tmp_path, {"a.txt": "a"}, "first")
    assert ci_context({}, tmp_path) == {"ci": "local", "commit": sha, "ref": "trunk"}
    outside = tmp_path_factory.mktemp("plain")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(outside.parent))
    assert ci_context({}, outside) == {"ci": "local"}  # not a repository: no commit, no ref
