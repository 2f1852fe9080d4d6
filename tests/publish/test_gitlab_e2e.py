"""`mlgate run --publish` as a subprocess in a simulated GitLab merge-request pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.gitlab_fake import BOT, FakeGitLab
from support.projects import Project, base_config

pytestmark = pytest.mark.slow


@pytest.fixture
def gitlab_api(httpserver_ipv4: Any) -> FakeGitLab:
    return FakeGitLab(httpserver_ipv4).install()


def leaks(root: Path, *secrets: str) -> list[Path]:
    """Text files under `root` that contain a secret."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix not in (".parquet", ".skops")
        and any(s in p.read_text(errors="replace") for s in secrets)
    ]


def test_regression_blocks_with_one_note_a_failed_status_and_reports(
    gitlab_api: FakeGitLab, project: Project
) -> None:
    project.config(base_config("models/regressed.skops"))
    env = gitlab_api.env()
    for _ in range(2):  # a re-run of the job (or a new push) edits the same note
        done = project.run("run", "--publish", env=env)
        assert done.returncode == 1, done.stderr

    [note] = gitlab_api.notes["12"]
    assert note["author"]["id"] == BOT["id"]
    assert "Blocked" in note["body"] and r"roc\_auc" in note["body"]  # Markdown-escaped
    assert [s["state"] for s in gitlab_api.statuses] == ["failed", "failed"]
    assert {s["name"] for s in gitlab_api.statuses} == {"mlgate"}
    # the second run found its own note: edited, or left as is when byte-identical
    assert "mlgate: MR !12 note updated: " in done.stderr or "MR !12 note: unchanged" in done.stderr
    assert "mlgate: commit status mlgate: failed on 01234567" in done.stderr
    out = project.root / "mlgate-report"
    assert "<testsuite" in (out / "junit.xml").read_text()
    assert "mlgate_" in (out / "metrics.txt").read_text()
    report = project.report()
    assert report["context"]["ci"] == "gitlab"
    assert report["context"]["commit"] == env["CI_COMMIT_SHA"]
    secrets = (gitlab_api.token, gitlab_api.job_token)
    assert leaks(project.root, *secrets) == []
    assert not any(s in done.stdout + done.stderr for s in secrets)


def test_api_outage_does_not_change_the_verdict(gitlab_api: FakeGitLab, project: Project) -> None:
    project.config(base_config("models/retrain.skops"))
    gitlab_api.fail("GET", "/user", *[503] * 40)
    done = project.run("run", "--publish", env=gitlab_api.env())
    assert done.returncode == 0, done.stderr
    assert (
        "mlgate: warning: publishing to gitlab failed: finding the token's user (GET /user) "
        "failed: HTTP 503"
    ) in done.stderr
    assert project.report()["verdict"] == "pass"
    done = project.run("run", "--publish", "--require-publish", env=gitlab_api.env())
    assert done.returncode == 3, done.stderr
    assert (project.root / "mlgate-report" / "report.json").is_file()


def test_job_token_only_still_gates(gitlab_api: FakeGitLab, project: Project) -> None:
    project.config(base_config("models/regressed.skops"))
    env = gitlab_api.env()
    del env["MLGATE_GITLAB_TOKEN"]
    done = project.run("run", "--publish", env=env)
    assert done.returncode == 1, done.stderr
    [line] = [x for x in done.stderr.splitlines() if "publishing to gitlab failed" in x]
    assert "CI_JOB_TOKEN cannot post MR notes" in line
    assert gitlab_api.seen == []


def test_accept_label_turns_the_regression_into_an_audited_warning(
    gitlab_api: FakeGitLab, project: Project
) -> None:
    project.config(base_config("models/regressed.skops"))
    env = gitlab_api.env(CI_MERGE_REQUEST_LABELS="model,mlgate:accept-regression")
    done = project.run("run", "--publish", env=env)
    assert done.returncode == 0, done.stderr
    report = project.report()
    assert report["context"]["accepted"] == "MR label mlgate:accept-regression"
    assert [s["state"] for s in gitlab_api.statuses] == ["success"]


def test_baseline_from_the_default_branch_artifact(
    gitlab_api: FakeGitLab, project: Project
) -> None:
    """`baseline save` on main, its folder served as the job's artifact, read by the MR run."""
    project.config(base_config("models/production.skops"))
    saved = project.run("baseline", "save", "--to", "mlgate-baseline")
    assert saved.returncode == 0, saved.stderr
    for path in (project.root / "mlgate-baseline").iterdir():
        gitlab_api.artifacts["main", "mlgate", f"mlgate-baseline/{path.name}"] = path.read_bytes()

    config = base_config("models/regressed.skops")
    config["models"]["baseline"] = "gitlab-artifact:mlgate:mlgate-baseline"
    project.config(config)
    done = project.run("run", env=gitlab_api.env())
    assert done.returncode == 1, done.stderr
    baseline = project.report()["context"]["baseline"]
    assert baseline["spec"] == "gitlab-artifact:mlgate:mlgate-baseline"
    assert baseline["kind"] == "model" and baseline["paired"] is True
    fetched = {s.path for s in gitlab_api.requests("GET", "/jobs/artifacts/")}
    assert "/projects/7/jobs/artifacts/main/raw/mlgate-baseline/baseline.json" in fetched
    assert all(s.headers.get("Job-Token") == gitlab_api.job_token for s in gitlab_api.seen)
