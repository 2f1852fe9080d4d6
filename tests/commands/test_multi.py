"""Several configs in one run (`-c a -c b`, globs), their names, and `--changed` in real git repos."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support.projects import Project, base_config

pytestmark = pytest.mark.slow

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    import os

    done = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def model_folder(project: Project, name: str, model: str) -> None:
    """name/mlgate.yaml reading its own name/model.skops and the shared data/holdout.parquet."""
    folder = project.root / name
    folder.mkdir()
    shutil.copy(project.root / "models" / model, folder / "model.skops")
    config = base_config("model.skops")
    config["data"]["eval"] = "../data/holdout.parquet"
    config["models"]["baseline"] = "../models/production.skops"
    project.config({"name": name, **config}, f"{name}/mlgate.yaml")


@pytest.fixture
def repo(project: Project) -> Project:
    """A git repo on main with churn/ and fraud/, then a feature branch checked out."""
    model_folder(project, "churn", "retrain.skops")
    model_folder(project, "fraud", "retrain.skops")
    (project.root / ".gitignore").write_text("mlgate-report/\n")
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "two models")
    git(project.root, "checkout", "-q", "-b", "feature")
    return project


def test_changed_runs_the_touched_model_and_skips_the_other(repo: Project) -> None:
    shutil.copy(repo.root / "models" / "regressed.skops", repo.root / "churn" / "model.skops")
    git(repo.root, "commit", "-q", "-am", "retrain churn")
    base = git(repo.root, "merge-base", "HEAD", "main").strip()[:12]

    done = repo.run("run", "--changed", "-c", "*/mlgate.yaml")
    assert done.returncode == 1, done.stderr  # churn ran, and is blocked
    lines = [line for line in done.stderr.splitlines() if "--changed" in line]
    assert lines == [
        f"mlgate: --changed: compared with main (merge-base {base}, from the default branch): "
        "1 changed file(s)",
        "mlgate: --changed: running churn (churn/mlgate.yaml): churn/model.skops changed",
        "mlgate: --changed: skipped fraud (fraud/mlgate.yaml): none of its 4 inputs changed",
    ]
    assert repo.report("churn/mlgate-report/churn")["verdict"] == "fail"
    assert not (repo.root / "fraud" / "mlgate-report").exists()

    # the PR's base comes from the CI; nothing of fraud changed: nothing to gate
    done = repo.run("run", "--changed", "-c", "fraud/mlgate.yaml", env={"GITHUB_BASE_REF": "main"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"mlgate: --changed: compared with main (merge-base {base}, from GITHUB_BASE_REF): "
        "1 changed file(s)",
        "mlgate: --changed: skipped fraud (fraud/mlgate.yaml): none of its 4 inputs changed",
        "mlgate: --changed: no config's inputs changed; nothing to gate",
    ]

    # a shared input (the eval data both read) runs every config that reads it
    import pandas as pd

    data = repo.root / "data" / "holdout.parquet"
    frame = pd.read_parquet(data)
    pd.concat([frame, frame.iloc[:1]]).to_parquet(data, index=False)
    done = repo.run("run", "--changed", "-c", "churn/mlgate.yaml", "-c", "fraud/mlgate.yaml")
    assert (
        "mlgate: --changed: running churn (churn/mlgate.yaml): churn/model.skops changed "
        "and 1 more" in done.stderr
    )
    assert (
        "mlgate: --changed: running fraud (fraud/mlgate.yaml): data/holdout.parquet changed"
        in done.stderr
    )
    assert repo.report("fraud/mlgate-report/fraud")["context"]["name"] == "fraud"


def test_changed_without_a_base_runs_every_config_and_says_so(project: Project) -> None:
    model_folder(project, "churn", "retrain.skops")
    git(project.root, "init", "-q", "-b", "dev")  # no main, master nor origin
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "one model")
    done = project.run("run", "--changed", "-c", "churn/mlgate.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        "mlgate: --changed: cannot tell what changed (no base branch was found "
        "(no origin/HEAD, main or master)); running every config"
    )
    assert project.report("churn/mlgate-report/churn")["verdict"] == "pass"


def test_the_exit_code_is_the_worst_and_each_report_has_its_folder(project: Project) -> None:
    model_folder(project, "churn", "retrain.skops")
    model_folder(project, "fraud", "regressed.skops")
    broken = {"name": "broken", **base_config("model.skops")}
    broken["data"]["eval"] = "../data/holdout.parquet"
    (project.root / "broken").mkdir()
    # a model that cannot be read: the run cannot evaluate (exit 3; a missing file is exit 2)
    (project.root / "broken" / "model.skops").write_bytes(b"not a zip archive")
    project.config(broken, "broken/mlgate.yaml")
    done = project.run("run", "-c", "churn/mlgate.yaml", "-c", "fraud/mlgate.yaml", "--out", "out")
    assert done.returncode == 1, done.stderr  # fail > pass
    assert project.report("out/churn")["verdict"] == "pass"
    assert project.report("out/fraud")["verdict"] == "fail"
    done = project.run("run", "-c", "*/mlgate.yaml", "-q")
    assert done.returncode == 3, done.stderr  # error > fail > pass
    assert project.report("broken/mlgate-report/broken")["verdict"] == "error"
    assert project.report("fraud/mlgate-report/fraud")["verdict"] == "fail"


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        (
            {"a.yaml": None, "b.yaml": None},
            "mlgate: error: a.yaml and b.yaml: several configs in one run need a name each, "
            "these have none (add a top-level `name:` such as churn to each config)",
        ),
        (
            {"a.yaml": "churn", "b.yaml": None},
            "mlgate: error: b.yaml: several configs in one run need a name each, this one has "
            "none (add a top-level `name:` such as churn to each config)",
        ),
        (
            {"a.yaml": "churn", "b.yaml": "churn"},
            "mlgate: error: a.yaml and b.yaml: both are named 'churn'; the names of the configs "
            "of one run must differ (give each config its own `name:`)",
        ),
    ],
)
def test_several_configs_need_distinct_names(
    project: Project, configs: dict[str, str | None], message: str
) -> None:
    for file, name in configs.items():
        project.config({**({"name": name} if name else {}), **base_config()}, file)
    for command in ("run", "check"):
        done = project.run(command, "-c", "a.yaml", "-c", "b.yaml")
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines()[0] == message


def test_a_glob_matching_nothing_is_a_usage_error(project: Project) -> None:
    done = project.run("run", "-c", "models/*/mlgate.yaml")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        "mlgate: error: -c models/*/mlgate.yaml: no file matches this pattern (quote the "
        "pattern so the shell leaves it to mlgate, and check the path)"
    )
