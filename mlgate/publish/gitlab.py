"""GitLab publisher: one sticky merge-request note and a commit status named `mlgate`.

Talks to the API named by `CI_API_V4_URL` through the client of mlgate.platforms.gitlab. The
token is `MLGATE_GITLAB_TOKEN`, else `GITLAB_TOKEN`: `CI_JOB_TOKEN` cannot post notes or
statuses, so a job that only has it is told so in one line and still gates through its exit
code. Tokens never appear in what this module prints or raises (`scrub`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.settings import Settings
from mlgate.errors import PublishError
from mlgate.platforms.ci import report_url
from mlgate.platforms.gitlab import (
    RETRIES,
    Unreachable,
    api_errors,
    connect,
    pipeline_order,
    private_token,
    server_url,
)
from mlgate.publish import check_name, comment
from mlgate.publish.comment import digest, digest_of, plan  # noqa: F401  (part of this API)

if TYPE_CHECKING:
    import gitlab

    from mlgate.publish import PublishOptions
    from mlgate.records import Report

STATUS_NAME = "mlgate"  # unnamed configs; a named one is `mlgate / NAME` (check_name)
NOTE_LIMIT = 1_000_000  # GitLab rejects notes longer than this
STATE = {"pass": "success", "fail": "failed", "error": "failed"}  # verdict -> commit status state
VERDICT_TEXT = {"pass": "passed", "fail": "blocked", "error": "could not evaluate"}
NO_TOKEN = (
    "no MLGATE_GITLAB_TOKEN or GITLAB_TOKEN is set{job}, so no MR note or commit status was "
    "posted; add a project access token (api scope, Reporter role) as a masked CI/CD variable "
    "MLGATE_GITLAB_TOKEN (the job's exit code still gates the merge)"
)


@dataclass(frozen=True)
class Target:
    """Where to post, from GitLab CI's predefined variables."""

    server: str  # https://gitlab.example.com (python-gitlab adds /api/v4)
    project: str
    merge_request: str | None
    sha: str | None
    pipeline: str | None
    ref: str | None
    link: str | None  # the status's target URL: the HTML report, else the job
    project_url: str | None
    run: comment.Run | None = None  # this job's (pipeline id, job id): refuse to overwrite a newer


def target(env: Mapping[str, str]) -> Target:
    """Read the CI variables this publisher needs; a missing one is a PublishError."""
    project = env.get("CI_PROJECT_ID") or env.get("CI_PROJECT_PATH")
    if not project:
        raise PublishError(
            "CI_PROJECT_ID is not set: `mlgate run --publish` posts from GitLab CI jobs"
        )
    job_url = env.get("CI_JOB_URL")
    order = pipeline_order(env)
    return Target(
        run=comment.Run(order, env.get("CI_COMMIT_SHA")) if order else None,
        server=server_url(env, PublishError),
        project=project,
        merge_request=env.get("CI_MERGE_REQUEST_IID") or None,
        sha=env.get("CI_COMMIT_SHA") or None,
        pipeline=env.get("CI_PIPELINE_ID") or None,
        ref=env.get("CI_COMMIT_REF_NAME") or None,
        link=report_url(job_url, env) if job_url else None,
        project_url=env.get("CI_PROJECT_URL") or None,
    )


class GitLabPublisher:
    """Posts the report to the merge request of the GitLab CI pipeline this job runs in."""

    name = "gitlab"

    def detect(self, env: Mapping[str, str]) -> bool:
        return bool(env.get("GITLAB_CI"))

    def accepted(self, label: str, env: Mapping[str, str] | None = None) -> str | None:
        """Whether the MR carries `label` (from CI_MERGE_REQUEST_LABELS: no API call)."""
        env = os.environ if env is None else env
        labels = {item.strip() for item in env.get("CI_MERGE_REQUEST_LABELS", "").split(",")}
        return f"MR label {label}" if label and label in labels else None

    def publish(
        self, report: Report, out_dir: Path, options: PublishOptions, env: Mapping[str, str]
    ) -> list[str]:
        """Update the sticky MR note and set the `mlgate` commit status; one line per step."""
        where = target(env)
        token = private_token(env)
        if token is None:
            job = (
                " (CI_JOB_TOKEN cannot post MR notes or commit statuses)"
                if env.get("CI_JOB_TOKEN")
                else ""
            )
            raise PublishError(NO_TOKEN.format(job=job))
        client = connect(where.server, private=token)
        done: list[str] = []
        failed: list[str] = []
        steps = (post_note, post_status) if options.own_comment else (post_status,)
        for step in steps:
            try:
                done.append(step(client, where, report, options, env))
            except Unreachable as exc:
                failed.append(exc.message)
                break
            except PublishError as exc:
                failed.append(exc.message)
        if failed:
            raise PublishError("; ".join(failed + [f"(done: {line})" for line in done]))
        return done

    def publish_combined(
        self, reports: Sequence[Report], options: PublishOptions, env: Mapping[str, str]
    ) -> list[str]:
        """After each report's own commit status: one MR note for all of them (unless each
        posted its own)."""
        if options.own_comment:
            return []
        where = target(env)
        token = private_token(env)
        if token is None:
            raise PublishError(NO_TOKEN.format(job=""))
        sticky = comment.combined(reports, limit=NOTE_LIMIT)
        client = connect(where.server, private=token)
        return [post_note(client, where, reports[0], options, env, sticky)]


# --- the sticky note ----------------------------------------------------------------------------


def post_note(
    client: gitlab.Gitlab,
    where: Target,
    report: Report,
    options: PublishOptions,
    env: Mapping[str, str],
    sticky: comment.Sticky | None = None,
) -> str:
    """Create or edit this token's marked note on the MR, as the comment mode says.

    `sticky` is the note to post (the combined note of several reports); default the report's.
    """
    if options.comment == "never":
        return "MR note: not posted (comment: never)"
    iid = where.merge_request
    if iid is None:
        return (
            "MR note: not posted, this is not a merge-request pipeline "
            "(CI_MERGE_REQUEST_IID is not set)"
        )
    sticky = sticky or comment.sticky(report, limit=NOTE_LIMIT, run=where.run)
    body = sticky.text
    mine = sticky.run.order if sticky.run else None
    with api_errors("finding the token's user (GET /user)", env):
        user = client.http_get("/user", max_retries=RETRIES)
        me = user.get("id") if isinstance(user, dict) else None
    mr = client.projects.get(where.project, lazy=True).mergerequests.get(iid, lazy=True)

    def listing() -> list[Any]:
        with api_errors(f"listing the notes of MR !{iid}", env):
            notes = mr.notes.list(get_all=True, max_retries=RETRIES)
        # Our note: the marker AND this token's user, so a user quoting the marker is never
        # edited. This name's marker only: another gate's note (or the combined one) is not ours.
        return [n for n in notes if _author_id(n) == me and _has_marker(n.body, sticky)]

    ours = listing()
    # without a run order (outside GitLab CI) the first listed, as before
    old = (_survivor(ours) if mine else ours[0]) if ours else None
    if old is not None and comment.newer(comment.run_of(old.body), mine):
        return _stale(where, "not posted", old, mine)
    action = plan(options.comment, sticky.verdict, old.body if old else None, body)
    if action == "unchanged":
        return f"MR !{iid} note: unchanged ({_note_url(where, old)})"
    if action == "skip":
        return f"MR !{iid} note: not posted, the gate passed (comment: on-failure)"
    with api_errors(f"{'editing' if old else 'creating'} the note on MR !{iid}", env):
        if old is not None:
            if mine is not None:  # re-read just before writing: a newer job may have edited it
                fresh = mr.notes.get(old.id, max_retries=RETRIES)
                if comment.newer(comment.run_of(fresh.body), mine):
                    return _stale(where, "not posted", fresh, mine)
            old.body = body
            old.save(max_retries=RETRIES)
            note = old
        else:
            note = mr.notes.create({"body": body}, max_retries=RETRIES)
        for duplicate in ours:  # a POST retried after a lost answer can leave two
            if duplicate.id != note.id:
                _delete(duplicate)
    if mine is not None and old is not None:  # a stale job that read before our edit may write
        with api_errors(f"re-reading the note on MR !{iid}", env):
            for _ in range(REPAIRS):
                fresh = mr.notes.get(old.id, max_retries=RETRIES)
                if fresh.body == body or not comment.newer(mine, comment.run_of(fresh.body)):
                    break
                old.body = body
                old.save(max_retries=RETRIES)
    elif mine is not None:  # two jobs that both found none have both posted: all keep the same one
        now = listing()
        kept = _survivor(now) if now else note
        with api_errors(f"removing a duplicate note on MR !{iid}", env):
            for item in now:
                if item.id != kept.id:
                    _delete(item)
            if comment.newer(mine, comment.run_of(kept.body)):
                kept.body = body
                kept.save(max_retries=RETRIES)
        if kept.id != note.id and comment.newer(comment.run_of(kept.body), mine):
            return _stale(where, "withdrawn", kept, mine)
        note = kept
    return f"MR !{iid} note {'updated' if old else 'created'}: {_note_url(where, note)}"


REPAIRS = 3  # re-writes after a stale job's write landed over ours (each needs a new race)


def _survivor(notes: Sequence[Any]) -> Any:
    return comment.survivor(notes, lambda n: n.body, lambda n: n.id)


def _delete(note: Any) -> None:
    """Delete a duplicate note; one a racing job deleted first is gone already (404)."""
    import gitlab

    try:
        note.delete(max_retries=RETRIES)
    except gitlab.exceptions.GitlabDeleteError as exc:
        if exc.response_code != 404:
            raise


def _stale(where: Target, what: str, theirs: Any, mine: tuple[int, ...] | None) -> str:
    order = ".".join(str(part) for part in mine) if mine else "unknown"
    return (
        f"MR !{where.merge_request} note: {what}, pipeline.job {comment.label_of(theirs.body)} "
        f"posted a newer report ({_note_url(where, theirs)}); this is {order}"
    )


def note_body(report: Report) -> str:
    """The Markdown comment plus a hidden digest of the results."""
    return comment.body(report, limit=NOTE_LIMIT)


def _has_marker(body: Any, sticky: comment.Sticky) -> bool:
    return isinstance(body, str) and sticky.ours(body)


def _author_id(note: Any) -> Any:
    author = getattr(note, "author", None)
    return author.get("id") if isinstance(author, dict) else None


def _note_url(where: Target, note: Any) -> str:
    if where.project_url and note is not None:
        return f"{where.project_url}/-/merge_requests/{where.merge_request}#note_{note.id}"
    return f"note {getattr(note, 'id', '?')}"


# --- the commit status --------------------------------------------------------------------------


def post_status(
    client: gitlab.Gitlab,
    where: Target,
    report: Report,
    options: PublishOptions,
    env: Mapping[str, str],
) -> str:
    """Set the `mlgate` status on this pipeline's commit (success, or failed when not passed)."""
    if where.sha is None:
        return "commit status: not set (CI_COMMIT_SHA is not set)"
    state = STATE[report.verdict]
    if state == "failed" and Settings.from_env(env, only=("allow_failure",)).allow_failure:
        # A failed external status fails the pipeline even when the job may fail.
        return "commit status: not set, the job is allowed to fail (allow-failure)"
    name = check_name(report)
    data: dict[str, Any] = {"state": state, "name": name, "description": describe(report)}
    if where.link:
        data["target_url"] = where.link
    if where.pipeline:
        # Attach to this pipeline; its ref is taken from it. Naming the branch instead would
        # create a separate "external" pipeline that can become the MR's head pipeline.
        data["pipeline_id"] = int(where.pipeline)
    elif where.ref:
        data["ref"] = where.ref
    commit = client.projects.get(where.project, lazy=True).commits.get(where.sha, lazy=True)
    with api_errors(f"setting the commit status {name} on {where.sha[:8]}", env):
        commit.statuses.create(data, max_retries=RETRIES)
    return f"commit status {name}: {state} on {where.sha[:8]}"


def describe(report: Report) -> str:
    """'blocked: 1 failed, 9 passed' (GitLab shows it next to the status)."""
    from mlgate.report.wording import tally

    counts, head = tally(report), VERDICT_TEXT[report.verdict]
    return f"{head}: {counts}" if counts else head


PUBLISHER = GitLabPublisher()
