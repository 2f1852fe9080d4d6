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
