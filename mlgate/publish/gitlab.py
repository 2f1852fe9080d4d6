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


def target(env: Mapping[str, str]) -> Target:
    """Read the CI variables this publisher needs; a missing one is a PublishError."""
    project = env.get("CI_PROJECT_ID") or env.get("CI_PROJECT_PATH")
    if not project:
        raise PublishError(
            "CI_PROJECT_ID is not set: `mlgate run --publish` posts from GitLab CI jobs"
        )
    job_url = env.get("CI_JOB_URL")
    return Target(
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
    sticky = sticky or comment.sticky(report, limit=NOTE_LIMIT)
    body = sticky.text
    with api_errors("finding the token's user (GET /user)", env):
        user = client.http_get("/user", max_retries=RETRIES)
        me = user.get("id") if isinstance(user, dict) else None
    mr = client.projects.get(where.project, lazy=True).mergerequests.get(iid, lazy=True)
    with api_errors(f"listing the notes of MR !{iid}", env):
        notes = mr.notes.list(get_all=True, max_retries=RETRIES)
    # Our note: the marker AND this token's user, so a user quoting the marker is never edited.
    # This name's marker only: another gate's note (or the combined one) is never touched.
    ours = [n for n in notes if _author_id(n) == me and _has_marker(n.body, sticky)]
    old = ours[0] if ours else None
    action = plan(options.comment, sticky.verdict, old.body if old else None, body)
    if action == "unchanged":
        return f"MR !{iid} note: unchanged ({_note_url(where, old)})"
    if action == "skip":
        return f"MR !{iid} note: not posted, the gate passed (comment: on-failure)"
    with api_errors(f"{'editing' if old else 'creating'} the note on MR !{iid}", env):
        if old is not None:
            old.body = body
            old.save(max_retries=RETRIES)
            note = old
        else:
            note = mr.notes.create({"body": body}, max_retries=RETRIES)
        for duplicate in ours[1:]:  # a POST retried after a lost answer can leave two
            duplicate.delete(max_retries=RETRIES)
    return f"MR !{iid} note {'updated' if old else 'created'}: {_note_url(where, note)}"


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
