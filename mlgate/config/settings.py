"""Every `MLGATE_*` environment variable mlgate reads, in one typed model with its documentation.

The config file says what to gate; these variables tune how mlgate reaches the outside world
(timeouts, retries, API pacing) and what a CI template tells it. Code reads them only through
`Settings.from_env(env)`; `env` is a mapping so that tests and callers can pass their own.

A value that cannot be read is a ConfigError naming the variable, the expected form and the
value: `MLGATE_HTTP_TIMEOUT: expected a positive number of seconds, got 'soon'`. `fields` reads
only some of them, so that a bad HTTP setting does not break publishing and the reverse.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from mlgate.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """mlgate's environment settings (defaults apply when a variable is unset or empty)."""

    http_timeout: float = 60.0
    """MLGATE_HTTP_TIMEOUT: read timeout of a baseline download in seconds (connecting waits
    at most 10 s of it)."""
    http_retries: int = 3
    """MLGATE_HTTP_RETRIES: extra attempts of a baseline download on 408/425/429/5xx, timeouts
    and connection errors."""
    http_backoff: float = 1.0
    """MLGATE_HTTP_BACKOFF: first wait between download attempts in seconds, doubled each time
    (a Retry-After header is honoured up to 60 s)."""
    github_throttle: float | None = None
    """MLGATE_GITHUB_THROTTLE: seconds between GitHub API requests (unset: PyGithub's 0.25 s
    between reads, 1 s between writes)."""
    github_backoff: float = 1.0
    """MLGATE_GITHUB_BACKOFF: backoff factor of the GitHub API retries in seconds (0 in
    tests)."""
    github_login: str | None = None
    """MLGATE_GITHUB_LOGIN: the login mlgate's sticky comment is authored by, when it is not
    the Actions bot and the token may not ask (GET /user)."""
    gitlab_token: str | None = None
    """MLGATE_GITLAB_TOKEN: the GitLab token posting the MR note and commit status (api scope,
    Reporter role); GITLAB_TOKEN is read when it is unset."""
    default_branch: str | None = None
    """MLGATE_DEFAULT_BRANCH: the branch whose runs a github-artifact: baseline comes from
    (unset: the repository's default branch)."""
    report_dir: str = "mlgate-report"
    """MLGATE_REPORT_DIR: the report folder a CI template uploads, for links to report.html."""
    max_download_mb: float = 2048.0
    """MLGATE_MAX_DOWNLOAD_MB: the largest baseline download, and the most an archive may
    unpack to, in MiB (issue 12: a hostile source must not fill the disk)."""
    max_unpack_ratio: float = 100.0
    """MLGATE_MAX_UNPACK_RATIO: how many times its own size an archive may unpack to."""
    baseline_workflow: str | None = None
    """MLGATE_BASELINE_WORKFLOW: the workflow (name, path or file name) whose runs a
    github-artifact: baseline must come from (unset: any push/schedule/workflow_dispatch run)."""
    cache_dir: str | None = None
    """MLGATE_CACHE_DIR: where baselines are cached (unset: $RUNNER_TEMP/mlgate-cache, else
    $XDG_CACHE_HOME/mlgate, else ~/.cache/mlgate); refused inside the work tree (issue 13)."""
    allow_failure: bool = False
    """MLGATE_ALLOW_FAILURE: "true" when the GitLab job may fail (allow_failure): no failed
    commit status is set then, as it would fail the pipeline anyway."""
    overlap: bool = True
    """MLGATE_OVERLAP: "0" runs the data gates in this process, after the rest starts, instead
    of in a fork beside the model gates (docs/design.md §1, Overlapped start-up)."""

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, only: Iterable[str] | None = None
    ) -> Settings:
        """The settings of `env` (default os.environ); `only` names the fields to read."""
        env = os.environ if env is None else env
        wanted = set(only) if only is not None else {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name in wanted:
            variable, parse = VARIABLES[name]
            raw = env.get(variable, "")
            if raw.strip():
                values[name] = parse(variable, raw)
        return replace(cls(), **values)


def variable_of(field: str) -> str:
    """The environment variable of a Settings field (`http_timeout` -> MLGATE_HTTP_TIMEOUT)."""
    return VARIABLES[field][0]


def _bad(variable: str, what: str, raw: str) -> ConfigError:
    return ConfigError(f"{variable}: expected {what}, got {raw!r}")


def _float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        return math.nan


def _positive_seconds(variable: str, raw: str) -> float:
    value = _float(raw)
    if not (value > 0 and math.isfinite(value)):
        raise _bad(variable, "a positive number of seconds", raw)
    return value


def _seconds(variable: str, raw: str) -> float:
    value = _float(raw)
    if not (value >= 0 and math.isfinite(value)):
        raise _bad(variable, "a number of seconds ≥ 0", raw)
    return value


def _count(variable: str, raw: str) -> int:
    value = _float(raw)
    if not (value >= 0 and math.isfinite(value)) or value != int(value):
        raise _bad(variable, "a whole number", raw)
    return int(value)


def _text(variable: str, raw: str) -> str:
    return raw.strip()


def _flag(variable: str, raw: str) -> bool:
    return raw.strip() == "true"  # GitLab's own spelling; anything else leaves it off


def _switch(variable: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("0", "1", "false", "true"):
        raise _bad(variable, "0 or 1", raw)
    return value in ("1", "true")


VARIABLES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "http_timeout": ("MLGATE_HTTP_TIMEOUT", _positive_seconds),
    "http_retries": ("MLGATE_HTTP_RETRIES", _count),
    "http_backoff": ("MLGATE_HTTP_BACKOFF", _seconds),
    "github_throttle": ("MLGATE_GITHUB_THROTTLE", _seconds),
    "github_backoff": ("MLGATE_GITHUB_BACKOFF", _seconds),
    "github_login": ("MLGATE_GITHUB_LOGIN", _text),
    "gitlab_token": ("MLGATE_GITLAB_TOKEN", _text),
    "default_branch": ("MLGATE_DEFAULT_BRANCH", _text),
    "report_dir": ("MLGATE_REPORT_DIR", _text),
    "allow_failure": ("MLGATE_ALLOW_FAILURE", _flag),
    "max_download_mb": ("MLGATE_MAX_DOWNLOAD_MB", _positive_seconds),
    "max_unpack_ratio": ("MLGATE_MAX_UNPACK_RATIO", _positive_seconds),
    "cache_dir": ("MLGATE_CACHE_DIR", _text),
    "baseline_workflow": ("MLGATE_BASELINE_WORKFLOW", _text),
    "overlap": ("MLGATE_OVERLAP", _switch),
}
