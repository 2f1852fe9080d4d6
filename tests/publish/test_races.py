"""Concurrent publishers: two runs for the same PR/MR posting at once end with one sticky
comment/note holding the newer report, and a stale run never overrides a newer check run.

Real PyGithub / python-gitlab against the fakes on a *threaded* 127.0.0.1 server. The races
are real (two `mlgate publish` processes, or two threads, started together); where one
interleaving must be reached, the fake holds a request until the other run's request was
answered (events, never sleeps).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from support.github_fake import ACTIONS_BOT, PR, FakeGitHub
from support.gitlab_fake import BOT, FakeGitLab

from mlgate.publish import PublishOptions, publish
from mlgate.publish.comment import run_of
from mlgate.records import GateResult, Report
from mlgate.report.markdown import MARKER

WAIT_S = 60  # a generous bound on each hold: the order comes from events, not from timing


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


@pytest.fixture
def gh(server: HTTPServer) -> FakeGitHub:
    return FakeGitHub(server).install()


@pytest.fixture
def gl(server: HTTPServer) -> FakeGitLab:
    return FakeGitLab(server).install()


def report(verdict: str) -> Report:
    status = "pass" if verdict == "pass" else "fail"
    gate = GateResult(
        id="model.roc_auc",
        kind="model",
        status=status,  # type: ignore[arg-type]
        blocking=status == "fail",
        name="roc_auc",
        candidate=0.91 if status == "pass" else 0.81,
        baseline=0.9,
        message=f"roc_auc {status}",
    )
    return Report(verdict=verdict, gates=(gate,), context={"ci": "github"})  # type: ignore[arg-type]


def github_env(gh: FakeGitHub, tmp: Path, attempt: int, run_id: int = 9001) -> dict[str, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    return gh.env(tmp, GITHUB_RUN_ID=str(run_id), GITHUB_RUN_ATTEMPT=str(attempt))


def gitlab_env(gl: FakeGitLab, pipeline: int, job: int) -> dict[str, str]:
    return gl.env(CI_PIPELINE_ID=str(pipeline), CI_JOB_ID=str(job))


def post(rep: Report, env: dict[str, str]) -> list[str]:
    return publish(rep, Path("mlgate-report"), PublishOptions(require=True), env)


def together(*calls: Callable[[], list[str]]) -> list[list[str]]:
    """Run the calls in threads released at once; their results in order (errors re-raised)."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def call(i: int) -> None:
        start.wait(WAIT_S)
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # re-raised in the test's thread below
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)
    assert not any(thread.is_alive() for thread in threads), "a publisher hung"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def ours_github(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in gh.ours() if MARKER in c["body"]]


def ours_gitlab(gl: FakeGitLab) -> list[dict[str, Any]]:
    return [n for n in gl.notes.get("12", []) if n["author"]["id"] == BOT["id"]]


class Hold:
    """Holds the first request matching `when` until `until` is set (a threaded server only)."""

    def __init__(self, when: Callable[[Any], bool], until: threading.Event) -> None:
        self.when, self.until, self.used = when, until, False
        self.held = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, seen: Any) -> None:
        with self._lock:
            hold = not self.used and self.when(seen)
            self.used = self.used or hold
        if hold:
            self.held.set()
            assert self.until.wait(WAIT_S), "the other run never got there"


def body_of(seen: Any) -> str:
    return str((seen.body or {}).get("body", "")) if isinstance(seen.body, dict) else ""


# --- GitHub: the sticky comment -----------------------------------------------------------------


def test_a_stale_run_never_overwrites_a_newer_comment(gh: FakeGitHub, tmp_path: Path) -> None:
    newer = post(report("pass"), github_env(gh, tmp_path / "b", attempt=2))
    stale = post(report("fail"), github_env(gh, tmp_path / "a", attempt=1))

    [comment] = ours_github(gh)
    assert "Passed" in comment["body"] and run_of(comment["body"]) == (9001, 2)
    assert any(line.startswith("comment: posted") for line in newer), newer
    assert (
        f"comment: not posted, run 9001.2 posted a newer report ({comment['html_url']}); "
        "this is run 9001.1"
    ) in stale
    assert len(gh.requests("PATCH", "/issues/comments/")) == 0


def test_a_newer_run_replaces_an_older_runs_comment(gh: FakeGitHub, tmp_path: Path) -> None:
    post(report("fail"), github_env(gh, tmp_path / "a", attempt=1))
    lines = post(report("pass"), github_env(gh, tmp_path / "b", attempt=1, run_id=9002))
    [comment] = ours_github(gh)
    assert "Passed" in comment["body"] and run_of(comment["body"]) == (9002, 1)
    assert any(line.startswith("comment: updated") for line in lines), lines


def test_two_publish_processes_racing_leave_one_comment_with_the_newer_report(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    """A re-run (attempt 2) while attempt 1 still posts: two `mlgate publish` processes."""
    procs = []
    for attempt, verdict in ((1, "fail"), (2, "pass")):
        folder = tmp_path / f"attempt{attempt}"
        (folder / "report").mkdir(parents=True)
        (folder / "report" / "report.json").write_text(json.dumps(report(verdict).to_dict()))
        env = {**os.environ, **github_env(gh, folder, attempt)}
        cmd = [sys.executable, "-m", "mlgate", "publish", str(folder / "report")]
        procs.append(subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True))
    outputs = [proc.communicate(timeout=WAIT_S * 2)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs

    [comment] = ours_github(gh)
    assert "Passed" in comment["body"] and run_of(comment["body"]) == (9001, 2), outputs
    assert "mlgate: comment: posted (" in outputs[1] or "comment: updated (" in outputs[1]
    # the check GitHub shows is the newer run's: a pass
    assert gh.shown_check()["conclusion"] == "success", outputs


def test_racing_creates_are_settled_on_the_newer_comment(gh: FakeGitHub, tmp_path: Path) -> None:
    """Both runs list no comment, then both post one: each keeps the newer, deletes the other."""
    listed = threading.Event()
    lists = []

    def after(seen: Any) -> None:
        if seen.method == "GET" and seen.path.endswith(f"/issues/{PR}/comments"):
            lists.append(seen)
            if len(lists) >= 2:
                listed.set()

    gh.after = after
    gh.before = Hold(lambda s: s.method == "POST" and "/comments" in s.path, listed)
    stale, newer = together(
        lambda: post(report("fail"), github_env(gh, tmp_path / "a", attempt=1)),
        lambda: post(report("pass"), github_env(gh, tmp_path / "b", attempt=2)),
    )
    assert len(gh.requests("POST", f"/issues/{PR}/comments")) == 2  # the race happened
    [comment] = ours_github(gh)
    assert "Passed" in comment["body"] and run_of(comment["body"]) == (9001, 2)
    assert any(line.startswith("comment: posted") for line in newer), newer
    assert any(
        line.startswith("comment: withdrawn, run 9001.2 posted a newer report") for line in stale
    ) or any(line.startswith("comment: posted") for line in stale), stale


def test_a_stale_edit_landing_after_the_newer_one_is_repaired(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    """The stale run re-read the comment before the newer run edited it, and writes after it:
    the newer run's check after its edit sees the stale text and writes its report again."""
    gh.add_comment(PR, f"{MARKER}\nold report\n<!-- mlgate:run=9000.1 -->", ACTIONS_BOT)
    newer_edited, stale_edited = threading.Event(), threading.Event()
    stale_write = Hold(lambda s: s.method == "PATCH" and "run=9001.1" in body_of(s), newer_edited)
    newer_check = Hold(
        lambda s: s.method == "GET" and "/issues/comments/" in s.path and newer_edited.is_set(),
        stale_edited,
    )

    def before(seen: Any) -> None:
        stale_write(seen)
        newer_check(seen)

    def after(seen: Any) -> None:
        if seen.method == "PATCH" and "run=9001.2" in body_of(seen):
            newer_edited.set()
        if seen.method == "PATCH" and "run=9001.1" in body_of(seen):
            stale_edited.set()

    gh.before, gh.after = before, after
    stale_thread = threading.Thread(
        target=post, args=(report("fail"), github_env(gh, tmp_path / "a", attempt=1))
    )
    stale_thread.start()
    assert stale_write.held.wait(WAIT_S)  # the stale run read the comment and is writing
    post(report("pass"), github_env(gh, tmp_path / "b", attempt=2))
    stale_thread.join(WAIT_S)

    [comment] = ours_github(gh)
    assert "Passed" in comment["body"] and run_of(comment["body"]) == (9001, 2)
    bodies = [body_of(s) for s in gh.requests("PATCH", "/issues/comments/")]
    assert ["run=9001.2" in b for b in bodies] == [True, False, True]  # written, lost, repaired


def test_a_stale_run_rereads_before_editing(gh: FakeGitHub, tmp_path: Path) -> None:
    """The stale run listed the old comment; the newer run edits it before the stale run
    writes: the re-read just before the edit refuses."""
    old = gh.add_comment(PR, f"{MARKER}\nold report\n<!-- mlgate:run=9000.1 -->", ACTIONS_BOT)
    newer_edited = threading.Event()
    reread = Hold(lambda s: s.method == "GET" and s.path.endswith(f"/{old['id']}"), newer_edited)
    gh.before = reread
    gh.after = lambda s: (
        newer_edited.set() if s.method == "PATCH" and "run=9001.2" in body_of(s) else None
    )
    results: list[list[str]] = []
    stale_thread = threading.Thread(
        target=lambda: results.append(
            post(report("fail"), github_env(gh, tmp_path / "a", attempt=1))
        )
    )
    stale_thread.start()
    assert reread.held.wait(WAIT_S)
    post(report("pass"), github_env(gh, tmp_path / "b", attempt=2))
    stale_thread.join(WAIT_S)

    [comment] = ours_github(gh)
    assert "Passed" in comment["body"] and run_of(comment["body"]) == (9001, 2)
    assert (
        f"comment: not posted, run 9001.2 posted a newer report ({old['html_url']}); "
        "this is run 9001.1"
    ) in results[0]


# --- GitHub: the check run ----------------------------------------------------------------------


def test_a_stale_run_does_not_create_a_check_over_a_newer_one(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    post(report("fail"), github_env(gh, tmp_path / "b", attempt=2))
    stale = post(report("pass"), github_env(gh, tmp_path / "a", attempt=1))
    assert [r["conclusion"] for r in gh.check_runs] == ["failure"]
    shown = gh.shown_check()
    assert shown["external_id"] == "9001.2"
    assert (
        "check run mlgate: not created, run 9001.2 already concluded failure for this commit; "
        f"this is run 9001.1 ({shown['html_url']})"
    ) in stale


def test_a_stale_check_created_last_takes_the_newer_conclusion(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    """The stale run looked before the newer one created its check, and creates its own after
    it: the last-created check is the one GitHub shows, so it takes the newer conclusion."""
    newer_listed = threading.Event()
    lists: list[Any] = []

    def after(seen: Any) -> None:
        if seen.method == "GET" and seen.path.endswith("/check-runs"):
            lists.append(seen)
            if len(lists) == 3:  # stale's look, newer's look, newer's check after creating
                newer_listed.set()

    stale_create = Hold(
        lambda s: (
            s.method == "POST"
            and s.path.endswith("/check-runs")
            and s.body.get("external_id") == "9001.1"
        ),
        newer_listed,
    )
    gh.before, gh.after = stale_create, after
    results: list[list[str]] = []
    stale_thread = threading.Thread(
        target=lambda: results.append(
            post(report("pass"), github_env(gh, tmp_path / "a", attempt=1))
        )
    )
    stale_thread.start()
    assert stale_create.held.wait(WAIT_S)
    post(report("fail"), github_env(gh, tmp_path / "b", attempt=2))
    stale_thread.join(WAIT_S)

    shown = gh.shown_check()
    assert shown["external_id"] == "9001.1"  # the stale one was created last ...
    assert shown["conclusion"] == "failure"  # ... but shows the newer run's conclusion
    assert shown["output"]["title"].startswith("superseded by run 9001.2: mlgate blocked")
    newest = next(r for r in gh.check_runs if r["external_id"] == "9001.2")
    assert any(
        line == f"check run mlgate: superseded by run 9001.2 (failure, {newest['html_url']}); "
        "this is run 9001.1"
        for line in results[0]
    ), results


# --- GitLab: the sticky note --------------------------------------------------------------------


def test_gitlab_a_stale_job_never_overwrites_a_newer_note(gl: FakeGitLab) -> None:
    post(report("pass"), gitlab_env(gl, 5502, 801))
    stale = post(report("fail"), gitlab_env(gl, 5501, 800))
    [note] = ours_gitlab(gl)
    assert "Passed" in note["body"] and run_of(note["body"]) == (5502, 801)
    assert stale[0] == (
        "MR !12 note: not posted, pipeline.job 5502.801 posted a newer report "
        f"({gl.env()['CI_PROJECT_URL']}/-/merge_requests/12#note_{note['id']}); this is 5501.800"
    )
    assert gl.requests("PUT") == []


def test_gitlab_racing_jobs_leave_one_note_with_the_newer_report(gl: FakeGitLab) -> None:
    listed = threading.Event()
    lists: list[Any] = []

    def after(seen: Any) -> None:
        if seen.method == "GET" and seen.path.endswith("/merge_requests/12/notes"):
            lists.append(seen)
            if len(lists) >= 2:
                listed.set()

    gl.after = after
    gl.before = Hold(lambda s: s.method == "POST" and s.path.endswith("/notes"), listed)
    together(
        lambda: post(report("fail"), gitlab_env(gl, 5501, 800)),
        lambda: post(report("pass"), gitlab_env(gl, 5502, 801)),
    )
    assert len(gl.requests("POST", "/merge_requests/12/notes")) == 2  # the race happened
    [note] = ours_gitlab(gl)
    assert "Passed" in note["body"] and run_of(note["body"]) == (5502, 801)


def test_gitlab_a_stale_edit_landing_after_the_newer_one_is_repaired(gl: FakeGitLab) -> None:
    gl.add_note("12", f"{MARKER}\nold\n<!-- mlgate:run=5500.700 -->", BOT)
    newer_edited, stale_edited = threading.Event(), threading.Event()
    stale_write = Hold(lambda s: s.method == "PUT" and "run=5501.800" in body_of(s), newer_edited)
    newer_check = Hold(
        lambda s: s.method == "GET" and "/notes/" in s.path and newer_edited.is_set(),
        stale_edited,
    )

    def before(seen: Any) -> None:
        stale_write(seen)
        newer_check(seen)

    def after(seen: Any) -> None:
        if seen.method == "PUT" and "run=5502.801" in body_of(seen):
            newer_edited.set()
        if seen.method == "PUT" and "run=5501.800" in body_of(seen):
            stale_edited.set()

    gl.before, gl.after = before, after
    stale_thread = threading.Thread(target=post, args=(report("fail"), gitlab_env(gl, 5501, 800)))
    stale_thread.start()
    assert stale_write.held.wait(WAIT_S)
    post(report("pass"), gitlab_env(gl, 5502, 801))
    stale_thread.join(WAIT_S)

    [note] = ours_gitlab(gl)
    assert "Passed" in note["body"] and run_of(note["body"]) == (5502, 801)
    bodies = [body_of(s) for s in gl.requests("PUT", "/notes/")]
    assert ["run=5502.801" in b for b in bodies] == [True, False, True]


# --- the rule itself ----------------------------------------------------------------------------


def test_every_racing_run_picks_the_same_survivor() -> None:
    from mlgate.publish.comment import Run, newer, survivor

    legacy, older, newest, twin = (
        (1, f"{MARKER}\nno run"),
        (2, f"{MARKER}\n{Run((9001, 1)).mark()}"),
        (3, f"{MARKER}\n{Run((9001, 2), 'ab12').mark()}"),
        (4, f"{MARKER}\n{Run((9001, 2)).mark()}"),
    )
    for listing in ([legacy, older, newest, twin], [twin, newest, older, legacy]):
        assert survivor(listing, lambda c: c[1], lambda c: c[0]) == newest  # then the first
    assert survivor([legacy, (0, MARKER)], lambda c: c[1], lambda c: c[0]) == (0, MARKER)
    assert Run((9001, 2), "ab12").mark() == "<!-- mlgate:run=9001.2 sha=ab12 -->"
    assert Run((9001, 2), "not a sha -->").mark() == "<!-- mlgate:run=9001.2 -->"
    assert newer((9002, 1), (9001, 7)) and newer((9001, 2), None)
    assert not newer(None, (1, 1)) and not newer(None, None) and not newer((5, 1), (5, 1))
