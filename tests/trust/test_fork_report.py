"""Attack 4: forge the fork report. The workflow_run job posted the fork's report.json as it was.

Before issue 13 a report saying `verdict: pass` next to a failing blocking gate gave a green
`mlgate` check run and a "Passed" comment, even when the triggering run concluded `failure`, and
a forged `accepted` gave a neutral check. Now a fork's report is posted as `mlgate (fork
report)`, its verdict recomputed from its gates, never `success` unless the triggering run
concluded success, and the PR is bound to the run's head repository and branch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import HEAD_SHA, PR, FakeGitHub
from support.projects import Project

from mlgate.records import GateResult, Report


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def forged(**gate_kw: Any) -> Report:
    failing = GateResult(
        id="model.roc_auc",
        kind="model",
        status="fail",
        blocking=True,
        message="roc_auc dropped 0.090, allowed 0.005",
        name="roc_auc",
        **gate_kw,
    )
    return Report(
        verdict="pass",  # the lie
        gates=(failing,),
        context={"ci": "github", "pull_request": {"number": PR, "head_sha": HEAD_SHA}},
    )


def publish(gh: FakeGitHub, tmp_path: Path, report: Report, **event: Any) -> Any:
    artifact = tmp_path / "downloaded"
    artifact.mkdir(exist_ok=True)
    (artifact / "report.json").write_text(json.dumps(report.to_dict()))
    trusted = Project(tmp_path / "trusted")
    trusted.root.mkdir(exist_ok=True)
    env = gh.env(trusted.root, event=gh.workflow_run_event(**event), name="workflow_run")
    return trusted.run("publish", str(artifact), env=env)


def test_a_forged_pass_is_published_as_a_fork_report_that_fails(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    gh.pr_event(fork=True)  # the PR exists, from mallory/churn:better-model at HEAD_SHA
    done = publish(gh, tmp_path, forged())
    assert done.returncode == 0, done.stderr
    [check] = gh.check_runs
    assert (check["name"], check["conclusion"]) == ("mlgate (fork report)", "failure")
    assert str(gh.ours()[0]["body"]).startswith("**❌ Blocked:**")


def test_a_pass_of_a_failed_run_is_never_success(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.pr_event(fork=True)
    honest_gates = replace(forged(), gates=())  # no failing gate, but the run failed
    done = publish(gh, tmp_path, honest_gates, conclusion="failure")
    assert done.returncode == 0, done.stderr
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [
        ("mlgate (fork report)", "failure")
    ]


def test_a_forged_acceptance_is_not_honoured(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.pr_event(fork=True)
    report = forged()
    accepted = replace(report.gates[0], status="warn", blocking=False, accepted=True)
    report = replace(report, gates=(accepted,), context={**report.context, "accepted": "forged"})
    done = publish(gh, tmp_path, report, conclusion="success")
    assert done.returncode == 0, done.stderr
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [
        ("mlgate (fork report)", "failure")
    ]


def test_the_pr_must_come_from_the_runs_head_repository_and_branch(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    gh.pr_event(fork=True)  # PR #12 comes from mallory/churn:better-model
    done = publish(gh, tmp_path, forged(), head_repository="eve/churn", head_branch="x")
    assert done.returncode == 0, done.stderr
    assert (
        f"comment: skipped (PR #{PR} comes from mallory/churn:better-model, the run from "
        "eve/churn:x)"
    ) in done.stderr
    assert gh.comments == {}


def test_only_a_success_run_with_passing_gates_is_success_and_still_not_mlgate(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    gh.pr_event(fork=True)
    passing = replace(
        forged(), gates=(replace(forged().gates[0], status="pass", blocking=True, message="ok"),)
    )
    done = publish(gh, tmp_path, passing, conclusion="success")
    assert done.returncode == 0, done.stderr
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [
        ("mlgate (fork report)", "success")
    ]
    assert all(c["name"] != "mlgate" for c in gh.check_runs)
