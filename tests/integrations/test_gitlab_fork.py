# ruff: noqa: F811  (the gitlab-ci-local fixtures are imported from test_gitlab_template)
"""GitLab MRs from forks: the trusted job of examples/gitlab/fork-mr.yml under gitlab-ci-local.

The parent project's repository (a bare git repository, the MR checkout's `origin`) holds the
rules on `main`. The fork's MR branch loosened its own gate and regressed its model, so its own
`mlgate run` passes. The trusted job, in the parent project's MR pipeline
(`CI_MERGE_REQUEST_SOURCE_PROJECT_ID` is not `CI_PROJECT_ID`), evaluates the MR's model file with
the target branch's config in a worktree: the MR note says blocked, the `mlgate` status fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.gitlab_fake import FakeGitLab
from support.projects import Project

from integrations.test_gitlab_template import ROOT, Runner, gitlab_api, node  # noqa: F401

pytestmark = pytest.mark.slow

INSTALL = "python3 -I -m pip install --quiet 'mlgate[gitlab]==0.1.0'"

GIT = [
    "git",
    "-c",
    "user.email=ci@example.com",
    "-c",
    "user.name=ci",
    "-c",
    "init.defaultBranch=main",
]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def rules(max_drop: float) -> dict[str, Any]:
    return {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": {"candidate": "models/model.skops", "baseline": "models/production.skops"},
        "gates": {"model": [{"metric": "roc_auc", "max_drop": max_drop}]},
    }


def fork_mr(tmp: Path, project: Project) -> Path:
    """parent.git (main: the rules) and the MR's checkout of the fork's branch."""
    seed = tmp / "seed"
    seed.mkdir()
    shutil.copytree(project.root / "data", seed / "data")
    (seed / "models").mkdir()
    shutil.copy(project.root / "models" / "production.skops", seed / "models")
    shutil.copy(project.root / "models" / "production.skops", seed / "models" / "model.skops")
    (seed / "mlgate.yaml").write_text(yaml.safe_dump(rules(0.01), sort_keys=False))
    (seed / ".gitignore").write_text("mlgate-report/\n.gitlab-ci-local/\n")
    git(seed, "init", "-q")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "production")
    parent = tmp / "parent.git"
    git(tmp, "clone", "-q", "--bare", str(seed), str(parent))
    checkout = tmp / "mr"
    git(tmp, "clone", "-q", str(parent), str(checkout))
    git(checkout, "checkout", "-q", "-b", "better-model")
    (checkout / "mlgate.yaml").write_text(yaml.safe_dump(rules(0.5), sort_keys=False))
    shutil.copy(project.root / "models" / "regressed.skops", checkout / "models" / "model.skops")
    example = (ROOT / "examples" / "gitlab" / "fork-mr.yml").read_text()
    assert INSTALL in example
    # the one change to the example: this checkout's mlgate is on PATH, nothing is installed
    (checkout / ".gitlab-ci.yml").write_text(example.replace(INSTALL, "echo mlgate is on PATH"))
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "a better model, and a gentler gate")
    return checkout


def variables(api: FakeGitLab, source_project: str = "99") -> list[str]:
    env = api.env()
    names = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_JOB_TOKEN", "MLGATE_GITLAB_TOKEN")
    return [
        *(f"{name}={env[name]}" for name in names),
        "CI_PIPELINE_SOURCE=merge_request_event",
        "CI_MERGE_REQUEST_IID=12",
        f"CI_MERGE_REQUEST_SOURCE_PROJECT_ID={source_project}",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=better-model",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main",
    ]


def test_the_parent_pipeline_blocks_a_fork_mr_whose_own_run_passes(
    tmp_path: Path,
    project: Project,
    node: list[str],
    gitlab_api: FakeGitLab,
) -> None:
    checkout = fork_mr(tmp_path, project)
    own = Project(checkout).run("run", "--quiet")
    assert own.returncode == 0, own.stderr  # the fork's rules let its regression through
    home = tmp_path / "glcl-home"
    home.mkdir()
    done = Runner(checkout, home, node)(*variables(gitlab_api, gitlab_api.project + "0"))
    assert done.returncode != 0, done.stdout
    assert "mlgate-fork-evaluate finished" in done.stdout and "FAIL 1" in done.stdout, done.stdout
    [note] = gitlab_api.notes["12"]
    assert str(note["body"]).startswith("**❌ Blocked:**"), note["body"]
    assert [(s["name"], s["state"]) for s in gitlab_api.statuses] == [("mlgate", "failed")]
    assert gitlab_api.token not in done.stdout


def test_the_job_does_not_run_for_an_mr_from_the_same_project(
    tmp_path: Path,
    project: Project,
    node: list[str],
    gitlab_api: FakeGitLab,
) -> None:
    checkout = fork_mr(tmp_path, project)
    home = tmp_path / "glcl-home"
    home.mkdir()
    done = Runner(checkout, home, node)(*variables(gitlab_api, gitlab_api.project))
    assert "mlgate-fork-evaluate starting" not in done.stdout, done.stdout
    assert gitlab_api.notes == {} and gitlab_api.statuses == []


def test_evaluating_in_the_mr_checkout_itself_is_refused(
    tmp_path: Path,
    project: Project,
    gitlab_api: FakeGitLab,
) -> None:
    """The job forgot the worktree: the config would be the MR's own."""
    checkout = fork_mr(tmp_path, project)
    head = git(checkout, "rev-parse", "HEAD")
    env = gitlab_api.env(CI_COMMIT_SHA=head, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    outside = tmp_path / "artifact"
    outside.mkdir()
    done = Project(checkout).run("fork-evaluate", str(outside), env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"mlgate: error: mlgate.yaml: the checkout is the MR's commit {head[:12]}: "
        "fork-evaluate takes the config from the target branch, never from the MR (run it in "
        "a worktree of origin/main (docs/gitlab.md))"
    )
    assert gitlab_api.notes == {} and gitlab_api.statuses == []
