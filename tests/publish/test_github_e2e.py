"""`mlgate run --publish` as a subprocess in a simulated GitHub Actions pull_request job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import HEAD_SHA, PR, FakeGitHub
from support.projects import Project, base_config

from publish.test_github import read_outputs

pytestmark = pytest.mark.slow


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def job_env(gh: FakeGitHub, project: Project, **extra: str) -> dict[str, str]:
    ci = project.root / "ci"
    ci.mkdir(exist_ok=True)
    env = gh.env(ci, **extra)
    env["GITHUB_WORKSPACE"] = str(project.root)
    return env


def test_regression_blocks_and_explains_on_the_pr(gh: FakeGitHub, project: Project) -> None:
    project.config(base_config("models/regressed.skops"))
    env = job_env(gh, project)
    for _ in range(2):  # a re-run of the job (or a new push) edits the same comment
        done = project.run("run", "--publish", env=env)
        assert done.returncode == 1, done.stderr

    assert len(gh.ours()) == 1 and len(gh.comments[PR]) == 1
    body = gh.ours()[0]["body"]
    assert "Blocked" in body and "roc" in body
    assert [c["conclusion"] for c in gh.check_runs] == ["failure", "failure"]
    assert {c["head_sha"] for c in gh.check_runs} == {HEAD_SHA}
    annotation = gh.check_runs[0]["output"]["annotations"][0]
    assert annotation["path"] == "mlgate.yaml" and annotation["annotation_level"] == "failure"
    ci = project.root / "ci"
    assert read_outputs(ci / "output.txt")["verdict"] == "fail"
    assert "Blocked" in (ci / "step_summary.md").read_text()
    assert "::error title=mlgate%3A model.roc_auc" in done.stdout

    report = project.report()
    assert report["context"]["pull_request"] == {"number": PR, "head_sha": HEAD_SHA}
    leaked = [
        p
        for p in project.root.rglob("*")
        if p.is_file() and gh.token in p.read_text(errors="replace")
    ]
    assert leaked == [] and gh.token not in done.stdout + done.stderr


def test_api_outage_does_not_change_the_verdict(gh: FakeGitHub, project: Project) -> None:
    project.config(base_config("models/retrain.skops"))
    gh.fail("POST", r".*", *[502] * 40)
    env = job_env(gh, project)
    done = project.run("run", "--publish", env=env)
    assert done.returncode == 0, done.stderr
    assert "mlgate: warning: publishing to github failed: check run: HTTP 502" in done.stderr
    assert project.report()["verdict"] == "pass"
    done = project.run("run", "--publish", "--require-publish", env=env)
    assert done.returncode == 3, done.stderr
    assert (project.root / "mlgate-report" / "report.json").is_file()


def test_accept_label_turns_the_regression_into_an_audited_warning(
    gh: FakeGitHub, project: Project
) -> None:
    project.config(base_config("models/regressed.skops"))
    gh.add_label(PR, "mlgate:accept-regression", actor="carol")
    done = project.run("run", "--publish", env=job_env(gh, project))
    assert done.returncode == 0, done.stderr
    report = project.report()
    reason = f"PR label 'mlgate:accept-regression' on #{PR} added by @carol"
    assert report["context"]["accepted"] == reason
    assert any(
        f"regression accepted: {reason}" in note
        for gate in report["gates"]
        for note in gate["notes"]
    )
    assert gh.check_runs[0]["conclusion"] == "neutral"
    assert "carol" in gh.ours()[0]["body"]


def test_fork_safe_two_workflows(gh: FakeGitHub, project: Project, tmp_path: Path) -> None:
    """pull_request job on a fork computes; a workflow_run job posts with `mlgate publish`."""
    project.config(base_config("models/regressed.skops"))
    untrusted = job_env(gh, project, event=gh.pr_event(fork=True))
    done = project.run("run", "--publish", env=untrusted)
    assert done.returncode == 1 and "fork pull request" in done.stderr, done.stderr
    assert [s.method for s in gh.seen if s.method != "GET"] == []  # only the labels were read
    artifact = tmp_path / "downloaded"
    artifact.mkdir()
    written = project.root / "mlgate-report" / "report.json"
    (artifact / "report.json").write_text(written.read_text())

    trusted = Project(tmp_path / "trusted")  # no checkout: an empty folder, no config, no model
    trusted.root.mkdir()
    env = gh.env(trusted.root, event=gh.workflow_run_event(), name="workflow_run")
    done = trusted.run("publish", str(artifact), env=env)
    assert done.returncode == 0, done.stderr
    assert len(gh.ours()) == 1 and gh.check_runs[0]["conclusion"] == "failure"

    doc = json.loads((artifact / "report.json").read_text())
    doc["context"]["pull_request"]["head_sha"] = "9" * 40  # a tampered report
    (artifact / "report.json").write_text(json.dumps(doc))
    done = trusted.run("publish", str(artifact), "--require-publish", env=env)
    assert done.returncode == 3 and "refusing to post" in done.stderr
