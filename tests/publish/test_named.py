"""Named gates (`name:` in mlgate.yaml): two models in one PR never touch each other's comment,
check or status — as two jobs, or as one run of both (the CLI as a subprocess, fake APIs)."""

from __future__ import annotations

from typing import Any

import pytest
from support.github_fake import ACTIONS_BOT, PR, FakeGitHub
from support.gitlab_fake import BOT, FakeGitLab
from support.projects import Project, base_config

from mlgate.report.markdown import MARKER
from publish.test_github import read_outputs

pytestmark = pytest.mark.slow

CHURN = "<!-- mlgate:report name=churn -->"
FRAUD = "<!-- mlgate:report name=fraud -->"
BOTH = "<!-- mlgate:report name=churn+fraud -->"


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


@pytest.fixture
def gitlab_api(httpserver_ipv4: Any) -> FakeGitLab:
    return FakeGitLab(httpserver_ipv4).install()


def two_models(project: Project) -> None:
    """churn passes (a retrain), fraud is blocked (a regressed model): one config each."""
    project.config({"name": "churn", **base_config("models/retrain.skops")}, "churn.yaml")
    project.config({"name": "fraud", **base_config("models/regressed.skops")}, "fraud.yaml")


def github_env(gh: FakeGitHub, project: Project) -> dict[str, str]:
    ci = project.root / "ci"
    ci.mkdir(exist_ok=True)
    env = gh.env(ci)
    env["GITHUB_WORKSPACE"] = str(project.root)
    return env


def test_two_named_jobs_twice_keep_two_comments_and_two_checks(
    gh: FakeGitHub, project: Project
) -> None:
    two_models(project)
    unnamed = gh.add_comment(PR, f"{MARKER}\nan unnamed gate's report", ACTIONS_BOT)
    env = github_env(gh, project)
    for _ in range(2):  # each job reruns: it edits only its own comment
        churn = project.run("run", "-c", "churn.yaml", "--publish", env=env)
        fraud = project.run("run", "-c", "fraud.yaml", "--publish", env=env)
        assert (churn.returncode, fraud.returncode) == (0, 1), churn.stderr + fraud.stderr

    bodies = [c["body"] for c in gh.ours()]
    assert len(bodies) == 3 and bodies[0] == unnamed["body"]  # the unnamed one is untouched
    assert CHURN in bodies[1] and FRAUD not in bodies[1] and MARKER not in bodies[1]
    assert FRAUD in bodies[2] and CHURN not in bodies[2]
    assert bodies[1].startswith("**✅ Passed · churn:**")
    assert bodies[2].startswith("**❌ Blocked · fraud:**")
    names = [c["name"] for c in gh.check_runs]
    assert names == ["mlgate / churn", "mlgate / fraud"] * 2
    assert [c["conclusion"] for c in gh.check_runs] == ["success", "failure"] * 2
    assert "check run mlgate / fraud: failure" in fraud.stderr
    # each report in its own default folder, each with its name
    assert project.report("mlgate-report/churn")["context"]["name"] == "churn"
    assert project.report("mlgate-report/fraud")["verdict"] == "fail"
    outputs = read_outputs(project.root / "ci" / "output.txt")
    assert outputs["verdict-churn"] == "pass" and outputs["verdict-fraud"] == "fail"
    summary = (project.root / "ci" / "step_summary.md").read_text()
    assert "### mlgate / churn\n\n**✅ Passed · churn:**" in summary
    assert "### mlgate / fraud\n\n**❌ Blocked · fraud:**" in summary


def test_one_run_of_both_posts_one_combined_comment_and_a_check_each(
    gh: FakeGitHub, project: Project
) -> None:
    two_models(project)
    env = github_env(gh, project)
    for _ in range(2):
        done = project.run("run", "-c", "churn.yaml", "-c", "fraud.yaml", "--publish", env=env)
        assert done.returncode == 1, done.stderr  # the worst of pass and fail

    [body] = [c["body"] for c in gh.ours()]
    lines = body.splitlines()
    assert lines[0].startswith("- **✅ churn — Passed:**")
    assert lines[1].startswith("- **❌ fraud — Blocked:** ")
    assert "<summary>✅ churn: Passed</summary>" in body
    assert "<summary>❌ fraud: Blocked</summary>" in body
    assert BOTH in body and CHURN not in body and FRAUD not in body and MARKER not in body
    assert [c["name"] for c in gh.check_runs] == ["mlgate / churn", "mlgate / fraud"] * 2
    outputs = read_outputs(project.root / "ci" / "output.txt")
    assert outputs["verdict"] == "fail" and outputs["verdict-churn"] == "pass"
    assert "mlgate: churn: check run mlgate / churn: success" in done.stderr
    assert project.report("mlgate-report/fraud")["context"]["name"] == "fraud"

    # a per-model job of churn afterwards leaves the combined comment alone
    alone = project.run("run", "-c", "churn.yaml", "--publish", env=env)
    assert alone.returncode == 0, alone.stderr
    bodies = [c["body"] for c in gh.ours()]
    assert bodies[0] == body and len(bodies) == 2 and CHURN in bodies[1]


def test_per_model_comments_in_one_run(gh: FakeGitHub, project: Project) -> None:
    two_models(project)
    done = project.run(
        "run", "-c", "*.yaml", "--publish", "--comment", "per-model", env=github_env(gh, project)
    )
    assert done.returncode == 1, done.stderr
    bodies = [c["body"] for c in gh.ours()]
    assert len(bodies) == 2 and CHURN in bodies[0] and FRAUD in bodies[1]
    assert not any(BOTH in b for b in bodies)


def test_gitlab_two_jobs_and_one_combined_run(gitlab_api: FakeGitLab, project: Project) -> None:
    two_models(project)
    env = gitlab_api.env()
    for _ in range(2):
        churn = project.run("run", "-c", "churn.yaml", "--publish", env=env)
        fraud = project.run("run", "-c", "fraud.yaml", "--publish", env=env)
        assert (churn.returncode, fraud.returncode) == (0, 1), churn.stderr + fraud.stderr
    notes = gitlab_api.notes["12"]
    assert len(notes) == 2 and all(n["author"]["id"] == BOT["id"] for n in notes)
    assert CHURN in notes[0]["body"] and FRAUD in notes[1]["body"]
    assert [s["name"] for s in gitlab_api.statuses] == ["mlgate / churn", "mlgate / fraud"] * 2
    assert "mlgate: commit status mlgate / fraud: failed on 01234567" in fraud.stderr

    before = [dict(note) for note in notes]
    for _ in range(2):
        both = project.run("run", "-c", "churn.yaml", "-c", "fraud.yaml", "--publish", env=env)
        assert both.returncode == 1, both.stderr
    notes = gitlab_api.notes["12"]
    assert len(notes) == 3 and notes[:2] == before  # the per-model notes are left alone
    assert BOTH in notes[2]["body"] and "<summary>❌ fraud: Blocked</summary>" in notes[2]["body"]
    assert CHURN in notes[0]["body"] and FRAUD in notes[1]["body"]  # untouched
    assert [s["name"] for s in gitlab_api.statuses[4:]] == ["mlgate / churn", "mlgate / fraud"] * 2


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('"churn model"', "'churn model'"),
        ('"a/b"', "'a/b'"),
        ('".."', "'..'"),
    ],
)
def test_a_name_that_is_no_slug_is_a_located_config_error(
    project: Project, value: str, shown: str
) -> None:
    config = "version: 1\nname: " + value + "\ndata: {eval: data/holdout.parquet}\n"
    project.config(config)
    done = project.run("run")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        "mlgate: error: mlgate.yaml: name: expected letters, digits, -, _ or . (1 to 64), "
        f"e.g. churn, got {shown}"
    )


# --- in-process: the names and the combined comment ---------------------------------------------


@pytest.mark.parametrize("name", ["x -->", "a+b", "", "..", "ü", 7])
def test_a_report_name_that_is_no_slug_is_no_name(name: object) -> None:
    from mlgate.records import Report
    from mlgate.report.markdown import marker_for

    report = Report(verdict="pass", gates=(), context={"name": name})
    assert report.name is None and marker_for(report.name) == MARKER


def test_duplicate_named_comments_are_healed_and_others_left_alone(
    gh: FakeGitHub, tmp_path: Any
) -> None:
    from mlgate.publish import PublishOptions
    from mlgate.publish.github import PUBLISHER
    from publish.test_github import failing_report

    first = gh.add_comment(PR, f"{CHURN}\none", ACTIONS_BOT)
    gh.add_comment(PR, f"{CHURN}\ntwo", ACTIONS_BOT)
    fraud = gh.add_comment(PR, f"{FRAUD}\nfraud's", ACTIONS_BOT)
    both = gh.add_comment(PR, f"{BOTH}\nboth", ACTIONS_BOT)
    PUBLISHER.publish(failing_report(name="churn"), tmp_path, PublishOptions(), gh.env(tmp_path))
    bodies = {c["id"]: c["body"] for c in gh.comments[PR]}
    assert list(bodies) == [first["id"], fraud["id"], both["id"]]
    assert bodies[first["id"]].startswith("**❌ Blocked · churn:**")
    assert bodies[fraud["id"]] == fraud["body"] and bodies[both["id"]] == both["body"]
    assert [c["name"] for c in gh.check_runs] == ["mlgate / churn"]


def test_the_combined_comment_fits_the_limit_and_keeps_every_verdict_line() -> None:
    from support.report_fixtures import build_blocked

    from mlgate.publish.comment import combined

    big = build_blocked()
    reports = [
        type(big)(**{**big.__dict__, "context": {**big.context, "name": f"m{i}"}}) for i in range(5)
    ]
    sticky = combined(reports, limit=8000)
    assert len(sticky.text) <= 8000 and sticky.verdict == "fail"
    lines = sticky.text.splitlines()
    assert [line.split(" — ")[0] for line in lines[:5]] == [f"- **❌ m{i}" for i in range(5)]
    assert sticky.text.count("<details>\n<summary>❌ m") == 5
    assert sticky.marker == "<!-- mlgate:report name=m0+m1+m2+m3+m4 -->" in sticky.text
