"""The GitHub API client as mlgate uses it: settings from the environment, retries, safe errors.

PyGithub is imported lazily. The token is read from `GITHUB_TOKEN` and never shown: every
message built from an exception passes through `scrub`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import MissingExtraError, PublishError, require
from mlgate.support import http

if TYPE_CHECKING:
    from github import Github
    from urllib3.util.retry import Retry

DEFAULT_API = "https://api.github.com"
# Installation tokens (GITHUB_TOKEN, GitHub Apps) cannot call GET /user; GITHUB_TOKEN's comments
# are authored by this account on github.com and on GitHub Enterprise Server.
ACTIONS_BOT = "github-actions[bot]"
INSTALLATION_PREFIX = "ghs_"  # GitHub's prefix of installation tokens (GITHUB_TOKEN among them)
SECONDARY_RATE_WAIT = 60.0  # seconds, times the backoff factor: GitHub asks for about a minute
MAX_RATE_LIMIT_WAIT = 300  # never sit in a CI job for an hour waiting for a rate-limit reset


@dataclass(frozen=True)
class Settings:
    """How to reach the API. `throttle` None keeps PyGithub's pacing (0.25 s reads, 1 s writes)."""

    api_url: str
    token: str | None
    repository: str | None
    throttle: float | None = None
    backoff: float = 1.0
    retries: int = http.GITHUB_RETRIES
    login: str | None = None  # our comments' author, when it cannot be asked (MLGATE_GITHUB_LOGIN)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read `GITHUB_API_URL`, `GITHUB_TOKEN`, `GITHUB_REPOSITORY` and mlgate's tuning knobs
        (MLGATE_GITHUB_*, declared in mlgate.config.settings)."""
        from mlgate.config.settings import Settings as Env
        from mlgate.errors import ConfigError

        try:  # a bad knob is a publishing problem (a warning unless publishing is required)
            knobs = Env.from_env(env, only=("github_throttle", "github_backoff", "github_login"))
        except ConfigError as exc:
            raise PublishError(exc.message) from None
        return cls(
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/"),
            token=env.get("GITHUB_TOKEN") or None,
            repository=env.get("GITHUB_REPOSITORY") or None,
            throttle=knobs.github_throttle,
            backoff=knobs.github_backoff,
            login=knobs.github_login or None,
        )

    def secrets(self) -> list[str]:
        return [self.token] if self.token else []


def retry_policy(settings: Settings) -> Retry:
    """mlgate.support.http's policy on PyGithub's GithubRetry (which adds 403 rate limits):
    5xx and 429 with exponential backoff, POST too (GitHub's 502s are transient, and a
    duplicated sticky comment is healed on the next run)."""
    from github.GithubRetry import GithubRetry

    return http.retry(
        settings.retries,
        settings.backoff,
        statuses=http.API_RETRY_STATUS,
        base=GithubRetry,
        secondary_rate_wait=SECONDARY_RATE_WAIT * settings.backoff,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT,
    )


def connect(settings: Settings) -> Github:
    """A PyGithub client for the settings' API; PublishError without a token."""
    try:
        require("github", "github", "publishing to GitHub")
    except MissingExtraError as exc:  # publishing problems are warnings unless required
        raise PublishError(exc.message, hint=exc.hint) from None
    if not settings.token:
        raise PublishError(
            "GITHUB_TOKEN is not set: nothing posted to GitHub",
            hint="pass `github-token` to the action, or `env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    from github import Auth, Github

    pacing: dict[str, Any] = {}
    if settings.throttle is not None:
        pacing = {
            "seconds_between_requests": settings.throttle,
            "seconds_between_writes": settings.throttle,
        }
    return Github(
        auth=Auth.Token(settings.token),
        base_url=settings.api_url,
        timeout=http.API_TIMEOUT_S,
        per_page=100,
        retry=retry_policy(settings),
        lazy=True,
        **pacing,
    )


def scrub(text: str, settings: Settings) -> str:
    """The text with the token masked (mlgate.support.secrets): exceptions may echo requests."""
    from mlgate.support.secrets import mask

    return mask(text, settings.secrets())


def describe(exc: BaseException, settings: Settings) -> str:
    """One line for a failed API call: status and GitHub's message, token scrubbed."""
    from github import GithubException

    if isinstance(exc, GithubException):
        data = exc.data
        message = data.get("message") if isinstance(data, dict) else data
        text = f"HTTP {exc.status}: {message or 'no message'}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return scrub(" ".join(text.split()), settings)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a PyGithub exception (None for network errors)."""
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def api_errors() -> tuple[type[BaseException], ...]:
    """What a PyGithub call raises when GitHub or the network fails (not our bugs)."""
    import requests
    from github import GithubException

    return (GithubException, requests.RequestException, OSError)


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The webhook payload of the triggering event (`GITHUB_EVENT_PATH`), or {}."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(f"GITHUB_EVENT_PATH={path}: cannot read the event: {exc}") from None
    return doc if isinstance(doc, dict) else {}


def whoami(gh: Github, settings: Settings) -> str:
    """The login our comments are authored by: MLGATE_GITHUB_LOGIN, else the Actions bot for an
    installation token (those may not call GET /user), else asked of the API."""
    if settings.login:
        return settings.login
    if (settings.token or "").startswith(INSTALLATION_PREFIX):  # GITHUB_TOKEN: do not ask
        return ACTIONS_BOT
    try:
        return gh.get_user().login
    except api_errors() as exc:
        if status_of(exc) in (401, 403, 404):
            return ACTIONS_BOT
        raise


def repository_of(settings: Settings) -> str:
    """`owner/name` of the repository this run belongs to."""
    if not settings.repository or "/" not in settings.repository:
        raise PublishError("GITHUB_REPOSITORY is not set (expected owner/name): nothing posted")
    return settings.repository


def env_or_os(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def pull_request_of(env: Mapping[str, str]) -> dict[str, Any] | None:
    """{number, head_sha} of a pull_request(_target) event, for the report (None otherwise).

    `mlgate publish` in a workflow_run job checks this against the run GitHub says it was.
    """
    try:
        pull = read_event(env).get("pull_request")
    except PublishError:
        return None
    if not isinstance(pull, dict) or not isinstance(pull.get("number"), int):
        return None
    return {"number": pull["number"], "head_sha": (pull.get("head") or {}).get("sha")}


def run_order(env: Mapping[str, str], event: Mapping[str, Any]) -> tuple[int, int] | None:
    """(run id, attempt) of the run whose report is posted, for telling a stale publisher from
    a newer one: GitHub's run ids grow with every run in a repository and a re-run keeps its id
    with the next attempt. A workflow_run job posts the triggering run's report, so that run's.
    None when GitHub gives none (outside Actions)."""
    run = event.get("workflow_run")
    if isinstance(run, dict):
        ident, attempt = run.get("id"), run.get("run_attempt") or 1
    else:
        ident, attempt = env.get("GITHUB_RUN_ID"), env.get("GITHUB_RUN_ATTEMPT") or 1
    try:
        order = (int(str(ident)), int(str(attempt)))
    except ValueError:
        return None
    return order if min(order) > 0 else None


# --- the trusted fork evaluation (`mlgate fork-evaluate` in a workflow_run job) ---------------


@dataclass(frozen=True)
class TriggeringRun:
    """The `pull_request` run a `workflow_run` job was triggered by, as GitHub describes it.

    Everything here comes from the event payload GitHub wrote, never from the fork's artifact:
    it is what the PR is bound to.
    """

    run_id: int | None
    head_sha: str
    head_repository: str
    head_branch: str
    conclusion: str | None
    html_url: str | None
    repository: str  # this (the base) repository, owner/name
    pulls: tuple[int, ...]  # workflow_run.pull_requests at this head (empty for forks)

    @property
    def fork(self) -> bool:
        return self.head_repository != self.repository


def triggering_run(env: Mapping[str, str]) -> TriggeringRun:
    """The triggering run of this `workflow_run` job; ConfigError when this is not one."""
    from mlgate.errors import ConfigError, InputError

    name = env.get("GITHUB_EVENT_NAME") or "none"
    if name != "workflow_run":
        raise ConfigError(
            f"fork-evaluate: this job runs on the {name} event, not workflow_run",
            hint="run it in the workflow_run job that follows the pull_request workflow "
            "(examples/github/mlgate-fork-evaluate.yml)",
        )
    try:
        event = read_event(env)
    except PublishError as exc:
        raise InputError(exc.message) from None
    run = event.get("workflow_run")
    if not isinstance(run, dict):
        raise InputError("GITHUB_EVENT_PATH: the event has no workflow_run")
    if run.get("event") not in ("pull_request",):
        raise ConfigError(
            f"fork-evaluate: the triggering run was a {run.get('event') or 'unknown'} run, "
            "not pull_request",
            hint="add `if: github.event.workflow_run.event == 'pull_request'` to the job",
        )
    head_sha, branch = run.get("head_sha"), run.get("head_branch")
    head_repo = (run.get("head_repository") or {}).get("full_name")
    this = (event.get("repository") or {}).get("full_name") or env.get("GITHUB_REPOSITORY")
    for key, value in (
        ("head_sha", head_sha),
        ("head_repository.full_name", head_repo),
        ("head_branch", branch),
    ):
        if not isinstance(value, str) or not value:
            raise InputError(
                f"GITHUB_EVENT_PATH: workflow_run.{key} is missing: the PR cannot be bound to "
                "the run, refusing to evaluate"
            )
    if not isinstance(this, str) or "/" not in this:
        raise InputError("GITHUB_REPOSITORY is not set (expected owner/name)")
    assert isinstance(head_sha, str) and isinstance(head_repo, str) and isinstance(branch, str)
    pulls = tuple(
        p["number"]
        for p in run.get("pull_requests") or []
        if isinstance(p, dict)
        and isinstance(p.get("number"), int)
        and (p.get("head") or {}).get("sha") == head_sha
    )
    run_id = run.get("id")
    return TriggeringRun(
        run_id=run_id if isinstance(run_id, int) else None,
        head_sha=head_sha,
        head_repository=head_repo,
        head_branch=branch,
        conclusion=run.get("conclusion") if isinstance(run.get("conclusion"), str) else None,
        html_url=run.get("html_url") if isinstance(run.get("html_url"), str) else None,
        repository=this,
        pulls=pulls,
    )


@dataclass(frozen=True)
class BoundPull:
    """The PR a triggering run belongs to, checked against GitHub (number None: none found)."""

    number: int | None
    note: str  # how it was found, or why none was: one line for the log
    current: bool = True  # the PR's head is still the run's head (else: comment skipped)


def bind_pull(gh: Github, run: TriggeringRun, pointer: int | None) -> BoundPull:
    """The open PR whose head is `run`'s repository, branch and commit.

    `pointer` (the number the fork's report names) is only a hint: the PR GitHub returns for
    it must come from `run.head_repository:run.head_branch`, or InputError (a forged pointer).
    Without a pointer the PR is looked up by its head (`GET /pulls?head=owner:branch`).
    """
    from mlgate.errors import InputError

    repo = gh.get_repo(run.repository)
    number = run.pulls[0] if run.pulls else pointer
    if number is None:
        owner = run.head_repository.split("/", 1)[0]
        found = [
            p
            for p in repo.get_pulls(state="open", head=f"{owner}:{run.head_branch}")
            if p.head.repo is not None and p.head.repo.full_name == run.head_repository
        ]
        if not found:
            return BoundPull(
                None,
                f"no open PR from {run.head_repository}:{run.head_branch}: the check run is "
                "posted on the commit, no comment",
            )
        pull = found[0]
    else:
        pull = repo.get_pull(number)
    source = pull.head.repo.full_name if pull.head.repo is not None else None
    if (source, pull.head.ref) != (run.head_repository, run.head_branch):
        raise InputError(
            f"PR #{pull.number} comes from {source}:{pull.head.ref}, but the triggering run "
            f"from {run.head_repository}:{run.head_branch}: refusing to evaluate for it",
            hint="the fork's report.json names another PR; the PR is bound to "
            "workflow_run.head_repository and head_branch",
        )
    base = pull.base.repo.full_name if pull.base.repo is not None else None
    if base is not None and base != run.repository:
        raise InputError(
            f"PR #{pull.number} targets {base}, not {run.repository}: refusing to evaluate for it"
        )
    if pull.head.sha != run.head_sha:
        return BoundPull(
            pull.number,
            f"PR #{pull.number} is now at {pull.head.sha[:12]}, the run was for "
            f"{run.head_sha[:12]}: the check run is posted on that commit, no comment",
            current=False,
        )
    return BoundPull(pull.number, f"PR #{pull.number} from {source}:{pull.head.ref}")


def label_acceptance(gh: Github, repository: str, number: int, label: str) -> str | None:
    """ "PR label … on #N added by @who" when PR `number` carries `label` now, else None.

    Read through the API (never from a report). Only people with triage access can label a PR,
    so a fork's author cannot accept their own regression.
    """
    issue = gh.get_repo(repository).get_issue(number)
    if not label or label not in [item.name for item in issue.get_labels()]:
        return None
    actors = [
        e.actor.login
        for e in issue.get_events()
        if e.event == "labeled" and e.label is not None and e.label.name == label and e.actor
    ]
    who = f" added by @{actors[-1]}" if actors else ""
    return f"PR label {label!r} on #{number}{who}"
