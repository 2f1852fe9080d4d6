"""`mlgate check` end to end on real git repositories: main holds production, a branch regresses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from support.projects import Project

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
GATES = {
    "model": [
        {"metric": "roc_auc", "min": 0.7, "max_drop": 0.01},
        {"metric": "accuracy", "max_drop": "1%"},
    ]
}
NEEDS_HINT = "(set models.baseline, or pass --baseline SPEC)"


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def config(
    baseline: str | None = None, gates: dict[str, Any] | None = None, prefix: str = ""
) -> dict[str, Any]:
    models: dict[str, Any] = {"candidate": "models/model.skops"}
    if baseline:
        models["baseline"] = baseline
    return {
        "version": 1,
        "data": {"eval": f"{prefix}data/holdout.parquet", "target": "label"},
        "models": models,
        "gates": gates or GATES,
    }


def make_repo(project: Project, doc: dict[str, Any], *, sub: str = "") -> Path:
    """main: production model at <sub>models/model.skops; branch `feature`: the regressed one."""
    root = project.root
    home = root / sub if sub else root
    home.mkdir(exist_ok=True)
    if sub:
        (home / "models").mkdir(exist_ok=True)
        shutil.copytree(root / "data", home / "data")
    (root / ".gitignore").write_text("mlgate-report/\n.cache/\n")
    shutil.copy(root / "models" / "production.skops", home / "models" / "model.skops")
    Project(home).config(doc)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "production model")
    git(root, "checkout", "-q", "-b", "feature")
    shutil.copy(root / "models" / "regressed.skops", home / "models" / "model.skops")
    git(root, "commit", "-q", "-am", "retrain without x0 and x1")
    return home


def statuses(project: Project) -> dict[str, str]:
    return {g["id"]: g["status"] for g in project.report()["gates"]}


def test_regressing_branch_fails_against_git_main_and_main_passes(project: Project) -> None:
    make_repo(project, config("git:main:models/model.skops"))
    failed = project.run("check")
    assert failed.returncode == 1, failed.stderr
    assert statuses(project) == {"model.roc_auc": "fail", "model.accuracy": "fail"}
    context = project.report()["context"]
    assert context["baseline"]["spec"] == "git:main:models/model.skops"
    assert context["baseline"]["paired"] is True

    git(project.root, "checkout", "-q", "main")
    passed = project.run("check")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert statuses(project) == {"model.roc_auc": "pass", "model.accuracy": "pass"}


@pytest.mark.slow
def test_without_a_baseline_the_merge_base_model_is_production(project: Project) -> None:
    make_repo(project, config())
    base = git(project.root, "merge-base", "HEAD", "main")
    failed = project.run("check")
    assert failed.returncode == 1, failed.stderr
    spec = f"git:{base[:12]}:models/model.skops"
    assert (
        f"mlgate check: baseline {spec} (models/model.skops at the merge-base with main)"
        in " ".join(failed.stderr.split())
    )
    assert project.report()["context"]["baseline"]["spec"] == spec

    # main moves on (a new production model): the branch still compares with its merge-base
    git(project.root, "checkout", "-q", "main")
    shutil.copy(project.root / "models" / "retrain.skops", project.root / "models" / "model.skops")
    git(project.root, "commit", "-q", "-am", "new production")
    git(project.root, "checkout", "-q", "feature")
    assert project.run("check").returncode == 1
    assert project.report()["context"]["baseline"]["spec"] == spec

    git(project.root, "checkout", "-q", "main")  # on main: the work tree against HEAD
    assert project.run("check").returncode == 0


@pytest.mark.slow
def test_default_branch_comes_from_origin_head(project: Project, tmp_path_factory: Any) -> None:
    make_repo(project, config())
    git(project.root, "checkout", "-q", "main")  # the origin's HEAD names its default branch
    clone = tmp_path_factory.mktemp("clone") / "repo"
    git(project.root, "clone", "-q", "--branch", "feature", str(project.root), str(clone))
    shutil.copytree(project.root / "data", clone / "data", dirs_exist_ok=True)
    assert git(clone, "symbolic-ref", "refs/remotes/origin/HEAD") == "refs/remotes/origin/main"
    done = Project(clone).run("check")
    assert done.returncode == 1, done.stderr
    assert "at the merge-base with origin/main" in " ".join(done.stderr.split())


def test_config_in_a_subfolder_takes_the_path_from_the_repository_root(project: Project) -> None:
    home = make_repo(project, config(), sub="ml")
    base = git(project.root, "merge-base", "HEAD", "main")
    done = Project(home).run("check")
    assert done.returncode == 1, done.stderr
    report = json.loads((home / "mlgate-report" / "report.json").read_text())
    assert report["context"]["baseline"]["spec"] == f"git:{base[:12]}:ml/models/model.skops"


def test_a_model_new_on_the_branch_blocks_relative_gates(project: Project) -> None:
    make_repo(project, {**config(), "models": {"candidate": "models/new.skops"}})
    shutil.copy(project.root / "models" / "retrain.skops", project.root / "models" / "new.skops")
    base = git(project.root, "merge-base", "HEAD", "main")
    done = project.run("check")
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        f"mlgate: error: mlgate.yaml: models.baseline: not set, and models/new.skops does not "
        f"exist at the merge-base with main ({base[:12]}); the relative gates need a production "
        f"baseline: gates.model[0].max_drop, gates.model[1].max_drop {NEEDS_HINT}"
    ]
    assert project.report()["verdict"] == "error"


def test_a_model_new_on_the_branch_with_absolute_gates_only_runs(project: Project) -> None:
    gates = {"model": [{"metric": "roc_auc", "min": 0.7}]}
    make_repo(project, {**config(gates=gates), "models": {"candidate": "models/new.skops"}})
    shutil.copy(project.root / "models" / "retrain.skops", project.root / "models" / "new.skops")
    done = project.run("check")
    assert done.returncode == 0, done.stderr
    assert (
        "mlgate check: no baseline: models/new.skops does not exist at the merge-base with "
        "main" in " ".join(done.stderr.split())
    )
    assert statuses(project) == {"model.roc_auc": "pass"}


def test_outside_git_with_relative_gates(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.root.parent))
    shutil.copy(
        project.root / "models" / "production.skops", project.root / "models" / "model.skops"
    )
    project.config(config())
    done = project.run("check")
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        f"mlgate: error: mlgate.yaml: models.baseline: not set, and {project.root} is not inside "
        "a git repository; the relative gates need a production baseline: "
        f"gates.model[0].max_drop, gates.model[1].max_drop {NEEDS_HINT}"
    ]


@pytest.mark.slow
def test_shallow_ci_clone_fetches_main(project: Project, tmp_path_factory: Any) -> None:
    make_repo(project, config("git:main:models/model.skops"))
    clone = tmp_path_factory.mktemp("shallow") / "repo"
    git(
        project.root,
        "clone",
        "-q",
        "--depth=1",
        "--branch",
        "feature",
        f"file://{project.root}",
        str(clone),
    )
    shutil.copytree(project.root / "data", clone / "data", dirs_exist_ok=True)
    done = Project(clone).run("check")
    assert done.returncode == 1, done.stderr
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"


def test_check_never_posts(project: Project, httpserver: HTTPServer) -> None:
    make_repo(project, config("git:main:models/model.skops"))
    event = project.root / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "0" * 40}}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": httpserver.url_for("/"),
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
    }
    done = project.run("check", env=env)
    assert done.returncode == 1
    assert not httpserver.log
    assert (
        "t0ken"
        not in done.stdout
        + done.stderr
        + (project.root / "mlgate-report" / "report.json").read_text()
    )


# --- the pre-commit hook --------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def pre_commit(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hook_manifest_is_valid() -> None:
    done = pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_pre_commit_try_repo_runs_the_hook(project: Project, tmp_path_factory: Any) -> None:
    """pre-commit installs mlgate from this repository (its committed HEAD) into a fresh
    virtualenv, as users get it, and runs the hook at both of its stages."""
    make_repo(project, config("git:main:models/model.skops"))
    source = tmp_path_factory.mktemp("hook") / "mlgate"
    git(REPO, "clone", "-q", "--no-hardlinks", str(REPO), str(source))  # clean: no shadow repo
    env = {"PRE_COMMIT_HOME": str(source.parent / "pre-commit-home")}
    args = ("try-repo", str(source), "mlgate", "--all-files")

    failed = pre_commit(*args, "--hook-stage", "pre-push", cwd=project.root, env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "mlgate check" in failed.stdout and "Failed" in failed.stdout
    assert "- exit code: 1" in failed.stdout

    git(project.root, "checkout", "-q", "main")
    passed = pre_commit(*args, "--hook-stage", "manual", cwd=project.root, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
