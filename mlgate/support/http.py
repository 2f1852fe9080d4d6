"""The one HTTP retry policy: urllib3 `Retry` on a requests Session, for every client mlgate uses.

What is retried, how often and how long to wait is decided here, once:
- answers 408, 425, 429 and 5xx, connection errors and timeouts before the answer starts
  (urllib3 `Retry`, also given to PyGithub; python-gitlab takes its own counts from
  `GITLAB_RETRIES`), with exponential backoff capped at `MAX_BACKOFF_S`;
- a `Retry-After` header is honoured but capped at `MAX_RETRY_AFTER_S` (a CI job must not sit
  for an hour because a server asked it to);
- a failure *while the body streams* cannot be retried by urllib3 (the response was already
  handed over); the callers that stream (baseline downloads) loop over `attempts` for that
  alone, with the same backoff.
Timeouts are (connect, read): connecting waits at most `CONNECT_TIMEOUT_S`.

requests and urllib3 are imported lazily (`mlgate --help` stays instant).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests
    from urllib3.util.retry import Retry

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
API_RETRY_STATUS = frozenset({429, *range(500, 600)})  # API clients: every 5xx is transient
MAX_RETRY_AFTER_S = 60.0
MAX_BACKOFF_S = 30.0
CONNECT_TIMEOUT_S = 10.0
API_TIMEOUT_S = 30  # seconds, one API request (GitHub, GitLab)
GITHUB_RETRIES = 5  # per API request
GITLAB_RETRIES = 5  # per API request (python-gitlab backs off 0.1 s · 2^n, or Retry-After)


def timeouts(read: float) -> tuple[float, float]:
    """(connect, read) as requests takes them."""
    return min(CONNECT_TIMEOUT_S, read), read


def backoff_wait(backoff: float, attempt: int) -> float:
    """The wait before retry number `attempt` + 1 (0-based): backoff · 2^attempt, capped."""
    return float(min(backoff * 2**attempt, MAX_BACKOFF_S))


def _policy_class(base: type[Retry]) -> type[Retry]:
    """`base` with mlgate's waits: Retry-After read leniently (seconds, fractions, HTTP dates;
    unreadable means "use the backoff", never an exception) and capped at MAX_RETRY_AFTER_S;
    the backoff is `backoff_wait` (the first retry waits `backoff_factor`, then doubles)."""

    class Policy(base):  # type: ignore[misc,valid-type]
        def get_retry_after(self, response: Any) -> float | None:
            raw = response.headers.get("Retry-After")
            if raw is None:
                return None
            try:
                seconds = float(raw.strip())
            except ValueError:
                try:
                    seconds = float(self.parse_retry_after(raw))
                except Exception:  # urllib3's InvalidHeader: a bad header is no reason to crash
                    return None
            if not math.isfinite(seconds):
                return None
            return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)

        def get_backoff_time(self) -> float:
            errors = 0
            for item in reversed(self.history):
                if item.redirect_location is not None:
                    break
                errors += 1
            return backoff_wait(self.backoff_factor, errors - 1) if errors else 0.0

    Policy.__name__ = f"Mlgate{base.__name__}"
    return Policy


def retry(
    total: int,
    backoff: float,
    *,
    statuses: frozenset[int] = RETRY_STATUS,
    base: type[Retry] | None = None,
    **extra: Any,
) -> Retry:
    """The retry policy: `total` retries of connection errors, timeouts and `statuses`.

    The methods retried are the class's default (urllib3: the idempotent ones; PyGithub's
    GithubRetry adds POST). `base` is a Retry subclass (GithubRetry), `extra` its own options.
    The last retryable answer is returned rather than raised (`raise_on_status=False`), so the
    caller reports its status.
    """
    from urllib3.util.retry import Retry

    cls = _policy_class(base or Retry)
    kwargs: dict[str, Any] = {
        "total": total,
        "connect": total,
        "read": total,
        "status": total,
        "backoff_factor": backoff,
        "status_forcelist": sorted(statuses),
        "respect_retry_after_header": True,
        "raise_on_status": False,
        **extra,
    }
    try:
        policy: Retry = cls(backoff_max=MAX_BACKOFF_S, **kwargs)
    except TypeError:  # urllib3 1.26 names it BACKOFF_MAX; our get_backoff_time caps anyway
        policy = cls(**kwargs)
    return policy


def session(policy: Retry, *, user_agent: str | None = None) -> requests.Session:
    """A requests Session whose http(s) adapters use `policy`."""
    import requests
    from requests.adapters import HTTPAdapter

    out = requests.Session()
    adapter = HTTPAdapter(max_retries=policy)
    out.mount("http://", adapter)
    out.mount("https://", adapter)
    if user_agent:
        out.headers["User-Agent"] = user_agent
    return out


def attempts(retries: int, backoff: float) -> Iterator[int]:
    """The mid-download loop: yields 0 … retries, sleeping the backoff between them.

    The caller `break`s (or returns) on success; the waits are `backoff_wait`.
    """
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff_wait(backoff, attempt - 1))
        yield attempt
