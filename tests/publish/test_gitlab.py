"""The GitLab publisher, unpatched: python-gitlab talking HTTP to a fake GitLab on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.gitlab_fake import BOT, HUMAN, FakeGitLab

from mlgate.errors import PublishError
from mlgate.publish import PublishOptions, publish
from mlgate.publish.gitlab import PUBLISHER, STATUS_NAME, note_body, plan
from mlgate.records import GateResult, Report
from mlgate.report.markdown import MARKER

NOTES = "/merge_requests/12/notes"


@pytest.fixture
def gitlab_api(httpserver_ipv4: Any) -> FakeGitLab:
    return FakeGitLab(httpserver_ipv4).install()


def gate(
    status: str = "fail", candidate: float = 0.871, gate_id: str = "model.roc_auc"
) -> GateResult:
    return GateResult(
        id=gate_id,
        kind="model",
        status=status,
        blocking=True,
        name="roc_auc",  # type: ignore[arg-type]
        candidate=candidate,
        baseline=0.902,
        delta=candidate - 0.902,
        ci=(-0.041, -0.022),
        threshold={"max_drop": 0.005},
        message=f"roc_auc changed by {candidate - 0.902:+.3f}",
    )


def report(verdict: str = "fail", status: str = "fail", candidate: float = 0.871) -> Report:
    return Report(
        verdict=verdict,
        gates=(gate(status, candidate), gate("pass", 0.95, "model.accuracy")),  # type: ignore[arg-type]
        context={"ci": "gitlab", "commit": "0123456789abcdef"},
    )


def run(
    api: FakeGitLab, rep: Report, comment: str = "always", require: bool = False, **env: str
) -> list[str]:
    return publish(
        rep,
        Path("mlgate-report"),
        PublishOptions(comment=comment, require=require),  # type: ignore[arg-type]
        api.env(**env),
    )


def ours(api: FakeGitLab) -> list[dict]:
    return [n for n in api.notes.get("12", []) if n["author"]["id"] == BOT["id"]]


def test_two_runs_leave_one_sticky_note_edited_in_place(gitlab_api: FakeGitLab) -> None:
    first = run(gitlab_api, report())
    second = run(gitlab_api, report("pass", "pass", 0.91))

    assert len(gitlab_api.notes["12"]) == 1
    note = gitlab_api.notes["12"][0]
    assert MARKER in note["body"] and "Passed" in note["body"]
    assert note["body"] == note_body(report("pass", "pass", 0.91))
    assert len(gitlab_api.requests("POST", NOTES)) == 1
    assert len(gitlab_api.requests("PUT", NOTES)) == 1
    assert first[0].startswith("MR !12 note created: ") and f"#note_{note['id']}" in first[0]
    assert second[0].startswith("MR !12 note updated: ")


def test_same_report_twice_does_not_rewrite_the_note(gitlab_api: FakeGitLab) -> None:
    run(gitlab_api, report())
    lines = run(gitlab_api, report())
    assert len(gitlab_api.notes["12"]) == 1
    assert gitlab_api.requests("PUT", NOTES) == []
    assert lines[0].startswith("MR !12 note: unchanged")


def test_a_users_note_quoting_the_marker_is_never_edited(gitlab_api: FakeGitLab) -> None:
    quoted = gitlab_api.add_note("12", f"look at this:\n{MARKER}\nold report", HUMAN)
    run(gitlab_api, report())
    assert quoted["body"] == f"look at this:\n{MARKER}\nold report"
    assert len(ours(gitlab_api)) == 1
    assert gitlab_api.requests("PUT") == []


def test_our_note_is_found_across_pages(gitlab_api: FakeGitLab) -> None:
    gitlab_api.max_per_page = 3  # GitLab caps per_page; 8 notes -> 3 pages
    for i in range(7):
        gitlab_api.add_note("12", f"review comment {i}", HUMAN)
    mine = gitlab_api.add_note("12", note_body(report("pass", "pass", 0.91)), BOT)

    lines = run(gitlab_api, report())

    pages = [s.args.get("page", "1") for s in gitlab_api.requests("GET", NOTES)]
    assert pages == ["1", "2", "3"]
    assert gitlab_api.requests("POST", NOTES) == []
    assert len(gitlab_api.notes["12"]) == 8 and mine["body"] == note_body(report())
    assert lines[0].startswith("MR !12 note updated")


def test_failed_status_named_mlgate_on_this_pipeline(gitlab_api: FakeGitLab) -> None:
    lines = run(gitlab_api, report())
    [status] = gitlab_api.statuses
    assert status["state"] == "failed" and status["name"] == STATUS_NAME
    assert status["pipeline_id"] == 5501 and "ref" not in status  # the pipeline's own ref
    assert status["sha"] == "0123456789abcdef0123456789abcdef01234567"
    assert status["target_url"].endswith("/-/jobs/777/artifacts/file/mlgate-report/report.html")
    assert status["description"] == "blocked: 1 failed, 1 passed"
    assert lines[1] == "commit status mlgate: failed on 01234567"


@pytest.mark.parametrize(
    ("verdict", "state"), [("pass", "success"), ("fail", "failed"), ("error", "failed")]
)
def test_status_state_follows_the_verdict(gitlab_api: FakeGitLab, verdict: str, state: str) -> None:
    run(gitlab_api, replace(report(), verdict=verdict))
    assert [s["state"] for s in gitlab_api.statuses] == [state]


def test_allowed_to_fail_job_sets_no_failed_status(gitlab_api: FakeGitLab) -> None:
    lines = run(gitlab_api, report(), MLGATE_ALLOW_FAILURE="true")
    assert gitlab_api.statuses == []
    assert lines[1] == "commit status: not set, the job is allowed to fail (allow-failure)"


def test_job_token_alone_says_so_in_one_line_and_posts_nothing(gitlab_api: FakeGitLab) -> None:
    env = gitlab_api.env()
    del env["MLGATE_GITLAB_TOKEN"]
    lines = publish(report(), Path("r"), PublishOptions(), env)
    assert lines == [
        "warning: publishing to gitlab failed: no MLGATE_GITLAB_TOKEN or GITLAB_TOKEN is set "
        "(CI_JOB_TOKEN cannot post MR notes or commit statuses), so no MR note or commit status "
        "was posted; add a project access token (api scope, Reporter role) as a masked CI/CD "
        "variable MLGATE_GITLAB_TOKEN (the job's exit code still gates the merge)"
    ]
    assert gitlab_api.seen == []
    with pytest.raises(PublishError, match="CI_JOB_TOKEN cannot post MR notes"):
        publish(report(), Path("r"), PublishOptions(require=True), env)


def test_job_token_given_as_the_token_fails_with_a_hint(gitlab_api: FakeGitLab) -> None:
    lines = run(gitlab_api, report(), MLGATE_GITLAB_TOKEN=gitlab_api.job_token)
    assert len(lines) == 1
    assert lines[0].startswith(
        "warning: publishing to gitlab failed: finding the token's user "
        "(GET /user) failed: HTTP 401: 401 Unauthorized (the token is invalid"
    )
    assert gitlab_api.job_token not in lines[0]


def test_gitlab_token_is_the_fallback(gitlab_api: FakeGitLab) -> None:
    env = gitlab_api.env(GITLAB_TOKEN=gitlab_api.token)
    del env["MLGATE_GITLAB_TOKEN"]
    publish(report(), Path("r"), PublishOptions(), env)
    assert len(ours(gitlab_api)) == 1
    assert {s.headers.get("Private-Token") for s in gitlab_api.seen} == {gitlab_api.token}


def test_retries_5xx_and_429_then_succeeds(gitlab_api: FakeGitLab) -> None:
    gitlab_api.fail("GET", NOTES, 429, headers={"Retry-After": "0"})
    gitlab_api.fail("POST", NOTES, 502, 503)
    gitlab_api.fail("POST", "/statuses/", 500)
    lines = run(gitlab_api, report())
    assert [s.status for s in gitlab_api.requests("GET", NOTES)] == [429, 200]
    assert [s.status for s in gitlab_api.requests("POST", NOTES)] == [502, 503, 201]
    assert [s.status for s in gitlab_api.requests("POST", "/statuses/")] == [500, 201]
    assert len(ours(gitlab_api)) == 1 and len(gitlab_api.statuses) == 1
    assert lines[0].startswith("MR !12 note created")


def test_a_failed_step_does_not_stop_the_other_and_names_both(gitlab_api: FakeGitLab) -> None:
    gitlab_api.fail("POST", NOTES, 403, message="403 Forbidden")
    lines = run(gitlab_api, report())
    assert lines == [
        "warning: publishing to gitlab failed: creating the note on MR !12 failed: HTTP 403: "
        "403 Forbidden (the token may not do this: use a project access token with the api "
        "scope and at least the Reporter role); (done: commit status mlgate: failed on 01234567)"
    ]
    assert len(gitlab_api.statuses) == 1


def test_required_publish_raises_on_persistent_5xx(gitlab_api: FakeGitLab) -> None:
    gitlab_api.fail("POST", "/statuses/", *[502] * 6)
    with pytest.raises(
        PublishError, match=r"setting the commit status mlgate on 01234567 failed: HTTP 502"
    ):
        run(gitlab_api, report(), require=True)
    assert len(gitlab_api.requests("POST", "/statuses/")) == 6  # first try + 5 retries
    assert len(ours(gitlab_api)) == 1  # the note was still posted


def test_no_token_in_any_output_even_when_the_server_echoes_it(gitlab_api: FakeGitLab) -> None:
    echo = f"bad token {gitlab_api.token} and {gitlab_api.job_token}"
    gitlab_api.fail("GET", "/user", 401, message=echo)
    lines = run(gitlab_api, report())
    assert gitlab_api.token not in lines[0] and gitlab_api.job_token not in lines[0]
    assert "bad token [masked] and [masked]" in lines[0]
    gitlab_api.fail("POST", "/statuses/", 400, message=echo)
    with pytest.raises(PublishError) as caught:
        run(gitlab_api, report(), require=True)
    assert gitlab_api.token not in str(caught.value) and "[masked]" in str(caught.value)


def test_unreachable_gitlab_is_one_line(gitlab_api: FakeGitLab) -> None:
    lines = run(gitlab_api, report(), CI_API_V4_URL="http://127.0.0.1:9/api/v4")
    assert lines == [  # the status is not tried once GitLab did not answer at all
        "warning: publishing to gitlab failed: finding the token's user (GET /user) failed: "
        "cannot reach GitLab at http://127.0.0.1:9/api/v4: [Errno 111] Connection refused"
    ]


@pytest.mark.parametrize(
    ("mode", "verdict", "existing", "expected"),
    [
        ("always", "pass", False, "create"),
        ("on-failure", "pass", False, "skip"),
        ("on-failure", "fail", False, "create"),
        ("on-failure", "pass", True, "update"),  # never leave a stale failure on the MR
        ("on-change", "fail", False, "create"),
    ],
)
def test_comment_modes(mode: str, verdict: str, existing: bool, expected: str) -> None:
    old = note_body(report("fail")) if existing else None
    rep = report(verdict, verdict)
    assert plan(mode, verdict, old, note_body(rep)) == expected


def test_on_change_edits_only_when_the_results_change(gitlab_api: FakeGitLab) -> None:
    run(gitlab_api, report(), comment="on-change")
    later = replace(report(), context={"ci": "gitlab", "commit": "fedcba9876", "duration_s": 3.2})
    lines = run(gitlab_api, later, comment="on-change")  # a new commit, the same results
    assert lines[0].startswith("MR !12 note: unchanged")
    assert gitlab_api.requests("PUT") == []
    run(gitlab_api, report(candidate=0.86), comment="on-change")  # same statuses, new numbers
    assert len(gitlab_api.requests("PUT")) == 1 and len(ours(gitlab_api)) == 1


def test_a_duplicate_of_our_note_is_removed(gitlab_api: FakeGitLab) -> None:
    first = gitlab_api.add_note("12", note_body(report("pass", "pass", 0.95)), BOT)
    gitlab_api.add_note("12", note_body(report("pass", "pass", 0.95)), BOT)
    run(gitlab_api, report())
    assert ours(gitlab_api) == [first] and first["body"] == note_body(report())


def test_on_failure_posts_nothing_for_a_pass(gitlab_api: FakeGitLab) -> None:
    lines = run(gitlab_api, report("pass", "pass", 0.95), comment="on-failure")
    assert gitlab_api.notes == {} and len(gitlab_api.statuses) == 1
    assert lines[0] == "MR !12 note: not posted, the gate passed (comment: on-failure)"


def test_never_posts_only_the_status(gitlab_api: FakeGitLab) -> None:
    lines = run(gitlab_api, report(), comment="never")
    assert gitlab_api.requests(path=NOTES) == [] and len(gitlab_api.statuses) == 1
    assert lines[0] == "MR note: not posted (comment: never)"


def test_branch_pipeline_posts_the_status_but_no_note(gitlab_api: FakeGitLab) -> None:
    env = gitlab_api.env(CI_PIPELINE_SOURCE="push")
    del env["CI_MERGE_REQUEST_IID"]
    lines = publish(report(), Path("r"), PublishOptions(), env)
    assert gitlab_api.requests(path="/notes") == [] and len(gitlab_api.statuses) == 1
    assert "not a merge-request pipeline" in lines[0]


def test_accept_label_comes_from_the_mr_labels_variable() -> None:
    env = {"CI_MERGE_REQUEST_LABELS": "ml,mlgate:accept-regression"}
    assert (
        PUBLISHER.accepted("mlgate:accept-regression", env) == "MR label mlgate:accept-regression"
    )
    assert PUBLISHER.accepted("mlgate:accept-regression", {"CI_MERGE_REQUEST_LABELS": "ml"}) is None
    assert PUBLISHER.accepted("mlgate:accept-regression", {}) is None


def test_detects_gitlab_ci() -> None:
    assert PUBLISHER.detect({"GITLAB_CI": "true"}) and not PUBLISHER.detect({})
