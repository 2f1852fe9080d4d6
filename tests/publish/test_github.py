"""The GitHub publisher with real PyGithub talking HTTP to a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.github_fake import ACTIONS_BOT, HEAD_SHA, HUMAN, PR, FakeGitHub

from mlgate.errors import PublishError
from mlgate.publish import PublishOptions, publish
from mlgate.publish.github import PUBLISHER
from mlgate.records import GateResult, Report
from mlgate.report.markdown import MARKER


@pytest.fixture
def gh(httpserver_ipv4: Any) -> FakeGitHub:
    return FakeGitHub(httpserver_ipv4).install()


def gate(
    gid: str, status: str = "pass", *, blocking: bool | None = None, message: str = "", **extra: Any
) -> GateResult:
    blocking = status in ("fail", "error") if blocking is None else blocking
    return GateResult(
        id=gid,
        kind="model",
        status=status,
        blocking=blocking,  # type: ignore[arg-type]
        message=message or f"{gid} {status}",
        name=gid.split(".", 1)[-1],
        **extra,
    )


def failing_report(**context: Any) -> Report:
    gates = (
        gate(
            "model.roc_auc",
            "fail",
            candidate=0.81,
            baseline=0.9,
            delta=-0.09,
            ci=(-0.11, -0.07),
            message="roc_auc dropped 0.090 (95% CI -0.110 … -0.070), allowed 0.005",
        ),
        gate("model.accuracy", "pass", candidate=0.85, baseline=0.86, delta=-0.01),
    )
    return Report(verdict="fail", gates=gates, context={"ci": "github", **context})


def passing_report(**context: Any) -> Report:
    return Report(
        verdict="pass",
        gates=(gate("model.roc_auc", candidate=0.91, baseline=0.9),),
        context={"ci": "github", **context},
    )


def run(
    gh: FakeGitHub, tmp_path: Path, report: Report, comment: str = "always", **env_kw: Any
) -> list[str]:
    env = gh.env(tmp_path, **env_kw)
    options = PublishOptions(comment=comment)  # type: ignore[arg-type]
    return PUBLISHER.publish(report, tmp_path / "mlgate-report", options, env)


def test_two_runs_leave_one_sticky_comment_edited_in_place(gh: FakeGitHub, tmp_path: Path) -> None:
    quoted = gh.add_comment(PR, f"> {MARKER}\n> quoting the bot, I disagree")
    first = run(gh, tmp_path, failing_report())
    assert any(line.startswith("comment: posted") for line in first), first
    second = run(gh, tmp_path, passing_report())
    assert any(line.startswith("comment: updated") for line in second), second

    ours = gh.ours()
    assert len(ours) == 1 and len(gh.comments[PR]) == 2
    assert MARKER in ours[0]["body"] and "Passed" in ours[0]["body"]
    assert "Blocked" not in ours[0]["body"]  # the second (passing) run's text replaced the first
    assert quoted["body"].endswith("I disagree")  # a user's comment quoting the marker: untouched
    assert len(gh.requests("POST", "/comments")) == 1 and len(gh.requests("PATCH")) == 1


def test_finds_our_comment_beyond_the_first_page(gh: FakeGitHub, tmp_path: Path) -> None:
    for i in range(150):
        gh.add_comment(PR, f"chatter {i}" + (f" {MARKER}" if i % 50 == 0 else ""))
    ours = gh.add_comment(PR, f"{MARKER}\nold report", ACTIONS_BOT)
    lines = run(gh, tmp_path, failing_report())
    assert any(line.startswith("comment: updated") for line in lines), lines
    assert ours["body"] != f"{MARKER}\nold report" and len(gh.ours()) == 1
    pages = [s.args.get("page") for s in gh.requests("GET", f"/issues/{PR}/comments")]
    assert pages == [None, "2"]  # followed the Link header to page 2


def test_duplicate_sticky_comments_are_healed(gh: FakeGitHub, tmp_path: Path) -> None:
    first = gh.add_comment(PR, f"{MARKER}\none", ACTIONS_BOT)
    gh.add_comment(PR, f"{MARKER}\ntwo", ACTIONS_BOT)
    run(gh, tmp_path, failing_report())
    assert [c["id"] for c in gh.ours()] == [first["id"]]


def test_personal_token_identifies_itself_through_the_api(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.installation, gh.token = False, "ghp_FAKEpersonalTOKEN0123456789abcdefgh"  # GET /user works
    gh.add_comment(PR, f"{MARKER}\nnot ours", ACTIONS_BOT)
    run(gh, tmp_path, failing_report())
    run(gh, tmp_path, failing_report())
    assert len(gh.ours()) == 1 and gh.ours()[0]["user"]["login"] == "mlgate-bot"
    assert gh.requests("GET", "/user")


def test_check_run_on_the_pr_head_with_annotations(gh: FakeGitHub, tmp_path: Path) -> None:
    config = tmp_path / "mlgate.yaml"
    config.write_text(
        "version: 1\ngates:\n  model:\n    - metric: accuracy\n    - metric: roc_auc\n"
    )
    many = tuple(
        gate(f"model.roc_auc[s={i}]", "fail", message=f"slice {i} dropped") for i in range(60)
    )
    report = Report(verdict="fail", gates=many, context={"config": str(config)})
    # `mlgate run --publish`: the config this process loaded is the one file it may read
    options = PublishOptions(config=config)
    lines = PUBLISHER.publish(report, tmp_path / "mlgate-report", options, gh.env(tmp_path))
    [check] = gh.check_runs
    assert check["head_sha"] == HEAD_SHA  # the PR head, not the merge commit GITHUB_SHA
    assert check["name"] == "mlgate" and check["conclusion"] == "failure"
    assert len(check["output"]["annotations"]) == 50
    first = check["output"]["annotations"][0]
    where = (first["path"], first["start_line"], first["annotation_level"])
    assert where == ("mlgate.yaml", 5, "failure")
    assert len(check["output"]["summary"]) <= 65535
    assert any(line.startswith("check run mlgate: failure") for line in lines)


def test_check_run_forbidden_falls_back_to_a_commit_status(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.checks_allowed = False
    lines = run(gh, tmp_path, failing_report())
    assert gh.check_runs == []
    [status] = gh.statuses
    assert (status["sha"], status["state"], status["context"]) == (HEAD_SHA, "failure", "mlgate")
    assert status["description"].startswith("mlgate blocked: 1 failed, 1 passed")
    assert any("commit status mlgate: failure (no check run: HTTP 403" in line for line in lines)


def test_error_verdict_is_an_error_status(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.checks_allowed = False
    report = Report(verdict="error", gates=(), errors=("data/eval.csv: not found",))
    run(gh, tmp_path, report)
    assert gh.statuses[0]["state"] == "error"


def test_transient_failures_are_retried(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.fail("GET", rf"/issues/{PR}/comments$", 429, headers={"Retry-After": "0"})
    gh.fail("POST", rf"/issues/{PR}/comments$", 502, 503)
    gh.fail(
        "POST",
        r"/check-runs$",
        403,
        message="You have exceeded a secondary rate limit. "
        "Please wait a few minutes before you try again.",
    )
    lines = run(gh, tmp_path, failing_report())
    assert len(gh.ours()) == 1 and len(gh.check_runs) == 1, lines
    assert [s.status for s in gh.requests("POST", "/comments")] == [502, 503, 201]
    assert [s.status for s in gh.requests("POST", "/check-runs")] == [403, 201]


def test_lasting_outage_is_a_warning_and_keeps_runner_outputs(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    gh.fail("POST", r"/issues/\d+/comments$", *[502] * 20)
    env = gh.env(tmp_path)
    with pytest.raises(PublishError) as caught:
        PUBLISHER.publish(failing_report(), tmp_path, PublishOptions(), env)
    assert "comment: HTTP 502" in caught.value.message
    assert "check run mlgate: failure" in caught.value.message  # what did work is said too
    lines = publish(failing_report(), tmp_path, PublishOptions(), env)
    assert lines[0].startswith("warning: publishing to github failed: comment: HTTP 502")
    assert "Blocked" in (tmp_path / "step_summary.md").read_text()
    assert read_outputs(tmp_path / "output.txt")["verdict"] == "fail"


def test_unwritable_outputs_are_a_publish_failure(gh: FakeGitHub, tmp_path: Path) -> None:
    env = gh.env(tmp_path, GITHUB_OUTPUT=str(tmp_path))  # a folder: cannot be appended to
    with pytest.raises(PublishError, match=r"^step outputs: \[Errno 21\] Is a directory"):
        PUBLISHER.publish(failing_report(), tmp_path, PublishOptions(), env)
    assert len(gh.ours()) == 1  # the rest was still posted


def test_required_publish_raises(gh: FakeGitHub, tmp_path: Path) -> None:
    env = gh.env(tmp_path, GITHUB_TOKEN="")
    with pytest.raises(PublishError, match="GITHUB_TOKEN is not set"):
        publish(passing_report(), tmp_path, PublishOptions(require=True), env)


@pytest.mark.parametrize(
    ("mode", "report", "existing", "expected"),
    [
        ("never", failing_report(), False, "comment: not posted (comment: never)"),
        (
            "on-failure",
            passing_report(),
            False,
            "comment: not posted (passed; comment: on-failure)",
        ),
        ("on-failure", failing_report(), False, "comment: posted"),
        ("on-failure", passing_report(), True, "comment: updated"),  # a stale failure is corrected
    ],
)
def test_comment_modes(
    gh: FakeGitHub, tmp_path: Path, mode: str, report: Report, existing: bool, expected: str
) -> None:
    if existing:
        gh.add_comment(PR, f"{MARKER}\nBlocked earlier", ACTIONS_BOT)
    lines = run(gh, tmp_path, report, comment=mode)
    assert any(line.startswith(expected) for line in lines), lines
    assert gh.check_runs  # the check run does not depend on the comment mode


def test_on_change_skips_an_identical_result(gh: FakeGitHub, tmp_path: Path) -> None:
    run(gh, tmp_path, failing_report(commit="a" * 40, duration_s=1.5), comment="on-change")
    lines = run(gh, tmp_path, failing_report(commit="b" * 40, duration_s=2.7), comment="on-change")
    assert any(line.startswith("comment: unchanged") for line in lines), lines
    assert gh.requests("PATCH") == []
    lines = run(gh, tmp_path, passing_report(), comment="on-change")
    assert any(line.startswith("comment: updated") for line in lines), lines


def test_push_event_posts_a_check_but_no_comment(gh: FakeGitHub, tmp_path: Path) -> None:
    event = {"ref": "refs/heads/main", "after": "c" * 40}
    lines = run(gh, tmp_path, failing_report(), event=event, name="push", GITHUB_SHA="c" * 40)
    assert gh.check_runs[0]["head_sha"] == "c" * 40
    assert "comment: skipped (this run is not for a pull request)" in lines
    assert gh.comments == {}


# --- fork-safe publishing -----------------------------------------------------------------------


def test_fork_pull_request_writes_runner_outputs_only(gh: FakeGitHub, tmp_path: Path) -> None:
    lines = run(gh, tmp_path, failing_report(), event=gh.pr_event(fork=True))
    assert any(line.startswith("fork pull request: the token is read-only") for line in lines)
    assert gh.seen == [] and (tmp_path / "step_summary.md").read_text()


def test_workflow_run_posts_a_fork_report_after_checking_its_commit(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    gh.pr_event(fork=True)  # the PR exists, at HEAD_SHA
    report = failing_report(
        pull_request={"number": PR, "head_sha": HEAD_SHA},
        job_url="https://evil.example/phish",
        report_url="https://evil.example/report",
    )
    lines = run(gh, tmp_path, report, event=gh.workflow_run_event(), name="workflow_run")
    assert len(gh.ours()) == 1 and gh.check_runs[0]["head_sha"] == HEAD_SHA, lines
    assert gh.requests("GET", f"/pulls/{PR}")  # the PR number from the report was verified
    # links come from the event, not from the (untrusted) report
    assert gh.check_runs[0]["details_url"] == f"{gh.web_url}/acme/churn/actions/runs/777"
    assert "evil.example" not in gh.ours()[0]["body"]


def test_workflow_run_refuses_a_report_for_another_commit(gh: FakeGitHub, tmp_path: Path) -> None:
    report = failing_report(pull_request={"number": PR, "head_sha": "9" * 40})
    with pytest.raises(
        PublishError,
        match="report is for commit 999999999999 but this run is for "
        "0123456789ab: refusing to post",
    ):
        run(gh, tmp_path, report, event=gh.workflow_run_event(), name="workflow_run")
    assert gh.comments == {} and gh.check_runs == [] and gh.statuses == []


def test_workflow_run_refuses_a_report_without_a_commit(gh: FakeGitHub, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="the report names no commit"):
        run(gh, tmp_path, failing_report(), event=gh.workflow_run_event(), name="workflow_run")


def test_workflow_run_does_not_comment_on_a_pr_that_moved_on(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    gh.pr_event(sha="8" * 40)  # the PR head is a newer commit now (or the number was forged)
    report = failing_report(pull_request={"number": PR, "head_sha": HEAD_SHA})
    lines = run(gh, tmp_path, report, event=gh.workflow_run_event(), name="workflow_run")
    moved = f"comment: skipped (PR #{PR} is now at 888888888888"
    assert any(line.startswith(moved) for line in lines), lines
    assert gh.comments == {} and gh.check_runs[0]["head_sha"] == HEAD_SHA


# --- accepted regressions -----------------------------------------------------------------------


def test_accept_label_is_read_from_the_api_with_who_added_it(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    env = gh.env(tmp_path)
    assert PUBLISHER.accepted("mlgate:accept-regression", env) is None
    gh.add_label(PR, "mlgate:accept-regression", actor="carol")
    reason = PUBLISHER.accepted("mlgate:accept-regression", env)
    assert reason == f"PR label 'mlgate:accept-regression' on #{PR} added by @carol"


def test_accept_label_falls_back_to_the_event_payload(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.fail("GET", r"/labels$", *[500] * 10)
    env = gh.env(tmp_path, event=gh.pr_event(labels=("mlgate:accept-regression",)))
    reason = PUBLISHER.accepted("mlgate:accept-regression", env)
    assert reason == f"PR label 'mlgate:accept-regression' on #{PR} (from the event payload)"
    assert "cannot read the labels" in capsys.readouterr().err


def test_accepted_regression_is_a_neutral_check(gh: FakeGitHub, tmp_path: Path) -> None:
    reason = f"PR label 'mlgate:accept-regression' on #{PR} added by @carol"
    accepted = gate(
        "model.roc_auc", "warn", notes=(f"regression accepted: {reason}",), accepted=True
    )
    run(gh, tmp_path, Report(verdict="pass", gates=(accepted,), context={"accepted": reason}))
    assert gh.check_runs[0]["conclusion"] == "neutral"


def test_a_warning_that_merely_mentions_acceptance_is_not_neutral(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    """The typed `accepted` field decides, not the note text (a warn-level gate may say anything)."""
    warned = gate("model.roc_auc", "warn", notes=("regression accepted: by a note, not by decide",))
    run(gh, tmp_path, Report(verdict="pass", gates=(warned,), context={"accepted": "label"}))
    assert gh.check_runs[0]["conclusion"] == "success"


# --- runner side: outputs, summary, commands ----------------------------------------------------


def read_outputs(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (name=value and name<<DELIM blocks)."""
    lines, found, i = path.read_text().split("\n"), {}, 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            found[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            if "=" in line:
                name, value = line.split("=", 1)
                found[name] = value
            i += 1
    return found


def test_outputs_and_summary(gh: FakeGitHub, tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    out = tmp_path / "mlgate-report"
    run(gh, tmp_path, failing_report())
    outputs = read_outputs(tmp_path / "output.txt")
    assert outputs == {"verdict": "fail", "report-path": str((out / "report.json").resolve())}
    assert "Blocked" in summary.read_text()


def test_summary_stays_within_the_step_limit(gh: FakeGitHub, tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    env = gh.env(tmp_path)
    summary.write_bytes(b"x" * (1024 * 1024 - 3000))  # an earlier tool used most of it
    big = Report(
        verdict="fail",
        gates=tuple(gate(f"data.col{i}", "fail", message="é" * 200) for i in range(400)),
    )
    PUBLISHER.publish(big, tmp_path, PublishOptions(comment="never"), env)
    assert 1024 * 1024 - 3000 < summary.stat().st_size <= 1024 * 1024


def test_error_commands_are_escaped_and_capped(
    gh: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = gate("data.x[col=a,b:c]", "fail", message="50% worse\r\n::set-env name=X::pwned")
    many = tuple(gate(f"model.m{i}", "fail") for i in range(12))
    PUBLISHER.publish(
        Report(verdict="fail", gates=(evil, *many)), tmp_path, PublishOptions(), gh.env(tmp_path)
    )
    commands = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert commands[0] == (
        "::error title=mlgate%3A data.x[col=a%2Cb%3Ac]::50%25 worse%0D%0A::set-env name=X::pwned"
    )
    assert len(commands) == 10
    assert commands[-1] == "::error title=mlgate::4 more gates — see the job summary"


# --- secrets ------------------------------------------------------------------------------------


def test_token_never_shown_in_messages(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.fail("POST", r"/check-runs$", 422, message=f"bad request with {gh.token} echoed back")
    with pytest.raises(PublishError) as caught:
        run(gh, tmp_path, failing_report())
    assert gh.token not in caught.value.message and "[masked]" in caught.value.message
    auth = {s.headers.get("Authorization") for s in gh.requests()}
    assert auth == {f"token {gh.token}"}  # it was sent, to the API only


def test_cli_publish_prints_no_token(gh: FakeGitHub, tmp_path: Path) -> None:
    """`mlgate publish` as a subprocess: stdout, stderr and the files it writes are clean."""
    import subprocess
    import sys

    from mlgate.report import write_reports

    report = failing_report(pull_request={"number": PR, "head_sha": HEAD_SHA})
    write_reports(report, tmp_path / "mlgate-report")
    gh.fail("PATCH", r".*", 422, message=f"echo {gh.token}")
    gh.add_comment(PR, f"{MARKER}\nold", ACTIONS_BOT)
    env = {**gh.env(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "mlgate", "publish", "mlgate-report"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "warning: publishing to github failed" in done.stderr and "[masked]" in done.stderr
    assert gh.token not in done.stdout + done.stderr
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert gh.token not in file.read_text(errors="replace"), file
    done = subprocess.run(
        [sys.executable, "-m", "mlgate", "publish", "mlgate-report", "--require-publish"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr  # the PATCH fault was used up: posted this time
    assert json.loads((tmp_path / "mlgate-report" / "report.json").read_text())["verdict"] == "fail"
    assert re.search(r"comment: updated", done.stderr)
    assert HUMAN["login"] not in {c["user"]["login"] for c in gh.ours()}


def test_a_bad_tuning_knob_is_a_publishing_problem_not_a_config_error() -> None:
    from mlgate.errors import PublishError
    from mlgate.platforms.github import Settings

    with pytest.raises(PublishError) as caught:
        Settings.from_env({"MLGATE_GITHUB_THROTTLE": "-1", "MLGATE_HTTP_TIMEOUT": "soon"})
    assert (
        caught.value.message == "MLGATE_GITHUB_THROTTLE: expected a number of seconds ≥ 0, got '-1'"
    )
