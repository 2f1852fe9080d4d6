"""The GitLab API client as mlgate uses it: server and token from the CI environment, retries,
one scrubbed error line per failed call.

python-gitlab is imported lazily. Its own retry option (`retry_transient_errors`,
`max_retries=`) is kept, with the count from mlgate.support.http. Token values never appear in
what this module raises (`scrub`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mlgate.errors import MlgateError, PublishError
from mlgate.support.http import API_TIMEOUT_S, GITLAB_RETRIES

if TYPE_CHECKING:
    import gitlab

TOKEN_VARS = ("MLGATE_GITLAB_TOKEN", "GITLAB_TOKEN")
SECRET_VARS = (*TOKEN_VARS, "CI_JOB_TOKEN")
RETRIES = GITLAB_RETRIES  # per request, on 5xx and 429 (python-gitlab backs off, or Retry-After)
TIMEOUT_S = API_TIMEOUT_S
ERRNO = re.compile(r"\[Errno -?\d+\][^'\")\]]*")
HINTS = {  # HTTP status -> what to do about it
    401: "the token is invalid, expired or revoked",
    403: "the token may not do this: use a project access token with the api scope "
    "and at least the Reporter role",
    404: "not found: check CI_PROJECT_ID / CI_MERGE_REQUEST_IID and that the token's user "
    "can see the project",
}


class Unreachable(PublishError):
    """GitLab did not answer at all, even after the retries: the next step would not either."""


def server_url(env: Mapping[str, str], error: type[MlgateError]) -> str:
    """The server root from `CI_API_V4_URL` (or `CI_SERVER_URL`)."""
    api = env.get("CI_API_V4_URL", "").rstrip("/")
    if api:
        return api.removesuffix("/api/v4")
    server = env.get("CI_SERVER_URL", "").rstrip("/")
    if server:
        return server
    raise error("CI_API_V4_URL is not set: the GitLab API address comes from GitLab CI")


def pipeline_order(env: Mapping[str, str]) -> tuple[int, int] | None:
    """(pipeline id, job id) of this job, for telling a stale publisher from a newer one: both
    ids grow monotonically on a GitLab instance (a retried job gets a new job id). None unless
    GitLab CI gives both."""
    try:
        order = (int(env.get("CI_PIPELINE_ID", "")), int(env.get("CI_JOB_ID", "")))
    except ValueError:
        return None
    return order if min(order) > 0 else None


def private_token(env: Mapping[str, str]) -> str | None:
    """MLGATE_GITLAB_TOKEN, else GITLAB_TOKEN."""
    from mlgate.config.settings import Settings

    return Settings.from_env(env, only=("gitlab_token",)).gitlab_token or (
        env.get("GITLAB_TOKEN") or None
    )


def connect(server: str, *, private: str | None = None, job: str | None = None) -> gitlab.Gitlab:
    """A python-gitlab client that retries 5xx and 429 and times out instead of hanging."""
    import gitlab

    return gitlab.Gitlab(
        server,
        private_token=private,
        job_token=job,
        timeout=TIMEOUT_S,
        retry_transient_errors=True,
        keep_base_url=True,  # pagination links may name the external URL; stay on CI_API_V4_URL
        per_page=100,
        user_agent="mlgate",
    )


def scrub(text: str, env: Mapping[str, str]) -> str:
    """`text` with every token value of the environment masked (mlgate.support.secrets)."""
    from mlgate.support.secrets import mask, values_of

    return mask(text, values_of(env, SECRET_VARS))


@contextmanager
def api_errors(
    action: str, env: Mapping[str, str], error: type[MlgateError] = PublishError
) -> Iterator[None]:
    """Turn python-gitlab / requests failures into one scrubbed line: what failed, why, the fix."""
    import gitlab
    import requests

    try:
        yield
    except gitlab.exceptions.GitlabError as exc:
        code = exc.response_code
        message = exc.error_message
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        detail = " ".join(str(message).split())[:200]
        hint = HINTS.get(code or 0)
        text = f"{action} failed: HTTP {code}: {detail}" + (f" ({hint})" if hint else "")
        raise error(scrub(text, env)) from None
    except requests.RequestException as exc:
        where = env.get("CI_API_V4_URL") or env.get("CI_SERVER_URL") or "GitLab"
        unreachable = Unreachable if error is PublishError else error
        text = f"{action} failed: cannot reach GitLab at {where}: {_reason(exc)}"
        raise unreachable(scrub(text, env)) from None


def _reason(exc: Exception) -> str:
    """'[Errno 111] Connection refused' out of requests' nested connection errors."""
    import requests

    if isinstance(exc, requests.Timeout):
        return f"no answer within {TIMEOUT_S:g} s"
    text = str(exc)
    match = ERRNO.search(text)
    return match.group(0).strip() if match else " ".join(text.split())[:200]
