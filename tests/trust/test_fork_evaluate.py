"""The trusted fork evaluation: `mlgate fork-evaluate` in the workflow_run job of a fork PR.

The base branch's checkout (a real git repository) holds the rules, the eval data and the
production model; the fork's artifact (a folder outside the checkout, as download-artifact
leaves it under $RUNNER_TEMP) holds the fork's candidate model and its own report.json. The
verdict posted as the `mlgate` check is the one computed here, whatever the fork's report says.
"""

from __future__ import annotations

import json
import pickle
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import HEAD_SHA, PR, REPO, FakeGitHub
from support.projects import Project

from mlgate.records import GateResult, Report
from trust.gitrepo import git, main_then_branch, rules

pytestmark = pytest.mark.slow

ACCEPT = "mlgate:accept-regression"


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    gh = FakeGitHub(httpserver_ipv4).install()
    gh.pr_event(fork=True)  # PR #12 from mallory/churn:better-model at HEAD_SHA
    return gh


def base_checkout(project: Project, **doc: Any) -> str:
    """main's rules: the production model is both the baseline and main's own candidate."""
    shutil.copy(project.root / "models" / "production.skops", project.root / "models/model.skops")
    base = rules(**doc.pop("policy", {}))
    base["models"]["candidate"] = "models/model.skops"
    base.update(doc)
    main_then_branch(project.root, base)
    git(project.root, "checkout", "-q", "main")
    return git(project.root, "rev-parse", "HEAD")


def forged_report(verdict: str = "pass", number: int = PR, sha: str = HEAD_SHA) -> Report:
    """What the fork's own run uploads: here it lies (a pass, an acceptance)."""
    gate = GateResult(
        id="model.roc_auc",
        kind="model",
        status="warn",
        blocking=False,
        accepted=True,
        message="roc_auc dropped 0.090 (accepted)",
        name="roc_auc",
    )
    return Report(
        verdict=verdict,  # type: ignore[arg-type]
        gates=(gate,),
        context={
            "ci": "github",
            "accepted": "PR label 'mlgate:accept-regression' (forged)",
            "pull_request": {"number": number, "head_sha": sha},
        },
    )


def artifact(
    tmp: Path, project: Project, model: str | None = "regressed", report: Report | None = None
) -> Path:
    """The fork's artifact as download-artifact unpacks it: models/model.skops and its report."""
    folder = tmp / "artifact"
    (folder / "models").mkdir(parents=True, exist_ok=True)
    (folder / "mlgate-report").mkdir(exist_ok=True)
    if model is not None:
        shutil.copy(project.root / "models" / f"{model}.skops", folder / "models" / "model.skops")
    chosen = report if report is not None else forged_report()
    (folder / "mlgate-report" / "report.json").write_text(json.dumps(chosen.to_dict()))
    return folder


def job_env(gh: FakeGitHub, project: Project, base_sha: str, **event: Any) -> dict[str, str]:
    ci = project.root / "ci"  # git-ignored, like the runner's files
    ci.mkdir(exist_ok=True)
    event = {"conclusion": "success", **event}
    env = gh.env(ci, event=gh.workflow_run_event(**event), name="workflow_run", GITHUB_SHA=base_sha)
    env["GITHUB_WORKSPACE"] = str(project.root)
    return env


def errors(done: Any) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("mlgate: error:")]


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner-temp")  # $RUNNER_TEMP: outside the checkout


def test_a_regressed_fork_is_blocked_although_its_report_says_pass(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project)
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 1, done.stderr
    assert [(c["name"], c["head_sha"], c["conclusion"]) for c in gh.check_runs] == [
        ("mlgate", HEAD_SHA, "failure")
    ]
    body = str(gh.ours()[0]["body"])
    assert body.startswith("**❌ Blocked:**"), body
    assert "mlgate: fork-evaluate: PR #12 from mallory/churn:better-model" in done.stderr
    report = project.report()
    assert "accepted" not in report["context"]  # the fork's claimed acceptance is ignored
    facts = report["context"]["fork_evaluation"]
    assert facts["fork_report_verdict"] == "pass"
    assert (facts["head_repository"], facts["head_branch"], facts["head_sha"]) == (
        "mallory/churn",
        "better-model",
        HEAD_SHA,
    )
    assert facts["base_commit"] == base and facts["candidate"] == "models/model.skops"
    assert report["context"]["pull_request"] == {"head_sha": HEAD_SHA, "number": PR}


def test_a_better_fork_gets_a_success_check_named_mlgate(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project, model="retrain", report=forged_report("fail"))
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 0, done.stderr
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "success")]
    assert project.report()["context"]["fork_evaluation"]["fork_report_verdict"] == "fail"


def test_the_accept_label_is_read_through_the_api(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    gh.add_label(PR, ACCEPT, actor="carol")
    base = base_checkout(project)
    done = project.run(
        "fork-evaluate", str(artifact(outside, project)), env=job_env(gh, project, base)
    )
    assert done.returncode == 0, done.stderr
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "neutral")]
    assert project.report()["context"]["accepted"] == (
        "PR label 'mlgate:accept-regression' on #12 added by @carol"
    )


class Planted:
    """A pickle that creates a file when it is unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_a_pickle_in_the_artifact_is_refused_and_never_unpickled(
    gh: FakeGitHub, project: Project, outside: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project, model=None)
    marker = tmp_path_factory.mktemp("marker") / "unpickled"
    payload = pickle.dumps(Planted(marker), protocol=4)
    pickle.loads(payload)  # the control: the payload is live
    assert marker.exists()
    marker.unlink()
    (folder / "models" / "model.skops").write_bytes(payload)
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        f"mlgate: error: {folder}: models/model.skops in the fork's artifact is a pickle, not a "
        "skops file: refused (a fork's model is never unpickled) (save the candidate with "
        "skops (or export it to ONNX) in the pull_request job)"
    ]
    assert not marker.exists()
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "failure")]
    assert project.report()["verdict"] == "error"


def test_a_pickle_candidate_is_refused_even_when_the_base_config_trusts_it(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(
        project,
        models={
            "candidate": {"path": "models/model.pkl", "trust": True},
            "baseline": "models/production.skops",
        },
    )
    folder = artifact(outside, project)
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 2, done.stderr
    assert errors(done) == [
        "mlgate: error: mlgate.yaml: models.candidate: models/model.pkl is a pickle file: "
        "fork-evaluate never unpickles a fork's model, even with trust: true (save the "
        "candidate with skops (or export it to ONNX) in the pull_request job)"
    ]
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "failure")]


def test_a_factory_candidate_is_refused(gh: FakeGitHub, project: Project, outside: Path) -> None:
    base = base_checkout(
        project,
        models={"candidate": {"factory": "train:build"}, "baseline": "models/production.skops"},
    )
    done = project.run(
        "fork-evaluate", str(artifact(outside, project)), env=job_env(gh, project, base)
    )
    assert done.returncode == 2, done.stderr
    assert errors(done) == [
        "mlgate: error: mlgate.yaml: models.candidate.factory: fork-evaluate never runs a "
        "factory: the fork's model must be a file in its artifact (name the model file under "
        "models.candidate (.skops, .onnx, a booster file, or predictions:))"
    ]


def test_a_missing_artifact_or_candidate_is_refused(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    env = job_env(gh, project, base)
    gone = outside / "never-downloaded"
    done = project.run("fork-evaluate", str(gone), env=env)
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        f"mlgate: error: {gone}: the fork's artifact is not there (download the artifact of "
        "the triggering run under $RUNNER_TEMP (actions/download-artifact with run-id: "
        "github.event.workflow_run.id))"
    ]
    empty = artifact(outside, project, model=None)
    done = project.run("fork-evaluate", str(empty), env=env)
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        f"mlgate: error: {empty}: the fork's artifact holds no models/model.skops "
        "(models.candidate of the base config) (upload models/model.skops in the pull_request "
        "job (upload-artifact path:))"
    ]
    assert all(c["conclusion"] == "failure" for c in gh.check_runs) and len(gh.check_runs) == 2


def test_an_artifact_inside_the_checkout_is_refused(gh: FakeGitHub, project: Project) -> None:
    base = base_checkout(project)
    folder = artifact(project.root / "ci", project)  # unpacked into the workspace
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 2, done.stderr
    [line] = errors(done)
    assert line.startswith(f"mlgate: error: {folder}: the fork's artifact is inside the checkout")


def test_a_pointer_to_a_pr_from_another_head_is_refused(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    gh.pr_event(number=13)  # acme/churn:better-model, not the fork's branch
    base = base_checkout(project)
    folder = artifact(outside, project, report=forged_report(number=13))
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        "mlgate: error: PR #13 comes from acme/churn:better-model, but the triggering run "
        "from mallory/churn:better-model: refusing to evaluate for it (the fork's report.json "
        "names another PR; the PR is bound to workflow_run.head_repository and head_branch)"
    ]
    assert gh.comments == {}
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "failure")]


def test_a_run_for_another_head_repository_binds_no_pr(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    """The event says eve/churn:x; the report's PR #12 comes from mallory: refused."""
    base = base_checkout(project)
    env = job_env(gh, project, base, head_repository="eve/churn", head_branch="x")
    done = project.run("fork-evaluate", str(artifact(outside, project)), env=env)
    assert done.returncode == 3, done.stderr
    assert errors(done)[0].startswith(
        "mlgate: error: PR #12 comes from mallory/churn:better-model, but the triggering run "
        "from eve/churn:x: refusing to evaluate for it"
    )
    assert gh.comments == {}


def test_without_a_report_the_pr_is_found_by_its_head(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project)
    (folder / "mlgate-report" / "report.json").unlink()
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 1, done.stderr
    assert gh.requests("GET", f"/repos/{REPO}/pulls")[0].args["head"] == "mallory:better-model"
    assert str(gh.ours()[0]["body"]).startswith("**❌ Blocked:**")


def test_a_report_for_another_commit_is_refused(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project, report=forged_report(sha="f" * 40))
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        f"mlgate: error: {folder / 'mlgate-report' / 'report.json'}: the fork's report is for "
        f"commit ffffffffffff, the triggering run for {HEAD_SHA[:12]}: refusing to evaluate "
        "(download the artifact of the triggering run under $RUNNER_TEMP "
        "(actions/download-artifact with run-id: github.event.workflow_run.id))"
    ]


def test_the_checkout_must_be_the_base_branch(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project, report=forged_report(sha=base))
    env = job_env(gh, project, base, head_sha=base)  # the job checked out the PR's head
    done = project.run("fork-evaluate", str(folder), env=env)
    assert done.returncode == 2, done.stderr
    assert errors(done) == [
        f"mlgate: error: mlgate.yaml: the checkout is the PR's head commit {base[:12]}: "
        "fork-evaluate takes the config and code from the base branch, never from the PR "
        "(check out the base branch: actions/checkout without `ref:` in the trusted job)"
    ]
    env = job_env(gh, project, "e" * 40)
    done = project.run("fork-evaluate", str(artifact(outside, project)), env=env)
    assert done.returncode == 2, done.stderr
    assert errors(done) == [
        f"mlgate: error: mlgate.yaml: the checkout is at {base[:12]}, but this workflow_run "
        "job runs for eeeeeeeeeeee (the default branch) (check out the base branch: "
        "actions/checkout without `ref:` in the trusted job)"
    ]
    assert gh.check_runs == []  # not bound to a run: nothing posted


def test_only_a_workflow_run_job_may_evaluate_a_fork(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    env = {**job_env(gh, project, base), "GITHUB_EVENT_NAME": "pull_request_target"}
    done = project.run("fork-evaluate", str(artifact(outside, project)), env=env)
    assert done.returncode == 2, done.stderr
    assert errors(done) == [
        "mlgate: error: fork-evaluate: this job runs on the pull_request_target event, not "
        "workflow_run (run it in the workflow_run job that follows the pull_request workflow "
        "(examples/github/mlgate-fork-evaluate.yml))"
    ]


def test_a_forged_fork_report_never_gives_a_success_check_named_mlgate(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    """Both ways of posting in the trusted job, on one forged artifact of a successful run:
    publishing the fork's report gives `mlgate (fork report)`; evaluating gives `mlgate`
    failure. No `success` check named `mlgate`."""
    base = base_checkout(project)
    lie = forged_report()
    failing = replace(lie.gates[0], status="pass", blocking=True, accepted=False, message="ok")
    lie = replace(lie, gates=(failing,))  # a passing report, consistent with itself
    folder = artifact(outside, project, report=lie)
    env = job_env(gh, project, base)
    published = project.run("publish", str(folder / "mlgate-report"), env=env)
    assert published.returncode == 0, published.stderr
    evaluated = project.run("fork-evaluate", str(folder), env=env)
    assert evaluated.returncode == 1, evaluated.stderr
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [
        ("mlgate (fork report)", "success"),
        ("mlgate", "failure"),
    ]
    assert ("mlgate", "success") not in [(c["name"], c["conclusion"]) for c in gh.check_runs]


def zipped(folder: Path) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_from_run_downloads_the_triggering_runs_artifact_only(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    regressed = artifact(outside, project)
    better = artifact(outside / "other", project, model="retrain")
    mine = gh.add_artifact("mlgate-candidate", zipped(regressed), branch="better-model")
    gh.add_artifact("mlgate-candidate", zipped(better), branch="better-model")  # another run's
    for item in gh.artifacts:
        if item["id"] == mine:
            item["workflow_run"]["id"] = 777  # the triggering run of the event
    dest = outside / "downloaded"
    done = project.run(
        "fork-evaluate", "--from-run", "mlgate-candidate", str(dest),
        env=job_env(gh, project, base),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the regressed model of run 777, not the newer one
    assert (dest / "models" / "model.skops").is_file()
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "failure")]
    assert gh.requests("GET", f"/repos/{REPO}/actions/artifacts")[0].args["name"] == (
        "mlgate-candidate"
    )


def test_from_run_without_such_an_artifact_is_refused(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    gh.add_artifact("mlgate-candidate", b"PK\x05\x06" + b"\0" * 18, branch="better-model")
    done = project.run(
        "fork-evaluate", "--from-run", "mlgate-candidate", str(outside / "dl"),
        env=job_env(gh, project, base),
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        "mlgate: error: --from-run mlgate-candidate: the triggering run 777 has no artifact "
        "named 'mlgate-candidate' (upload it in the pull_request job (actions/upload-artifact, "
        "name: mlgate-candidate))"
    ]
    assert [(c["name"], c["conclusion"]) for c in gh.check_runs] == [("mlgate", "failure")]


def test_outside_ci_it_evaluates_and_posts_nothing(project: Project, outside: Path) -> None:
    base_checkout(project)
    done = project.run("fork-evaluate", str(artifact(outside, project)))
    assert done.returncode == 1, done.stderr
    assert (
        "mlgate: fork-evaluate: not in a GitHub workflow_run job or a GitLab MR pipeline: "
        "evaluated, nothing posted"
    ) in done.stderr.splitlines()
    assert project.report()["verdict"] == "fail"


def test_a_candidate_linking_out_of_the_artifact_is_refused(
    gh: FakeGitHub, project: Project, outside: Path
) -> None:
    base = base_checkout(project)
    folder = artifact(outside, project, model=None)
    (folder / "models" / "model.skops").symlink_to(project.root / "models" / "retrain.skops")
    done = project.run("fork-evaluate", str(folder), env=job_env(gh, project, base))
    assert done.returncode == 3, done.stderr
    assert errors(done) == [
        f"mlgate: error: {folder}: models/model.skops in the fork's artifact points outside it: "
        "refused"
    ]
