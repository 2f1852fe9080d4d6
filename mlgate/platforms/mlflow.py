"""The MLflow client as mlgate uses it: the environment it reads, fast failure, one-line errors.

Shared by the `mlflow:` baseline source and the MLflow publisher. The client reads its settings
(tracking URI, credentials, retries) from os.environ; unless the user set them, its retries are
cut so that a down server fails in seconds rather than minutes. Messages never carry a credential.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mlgate.support.secrets import mask, redact_url, values_of

# MLflow's credential variables: their values never appear in a message
SECRETS = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD")
# the client's defaults (7 retries, 120 s timeout) take minutes to give up on a down server
FAST_FAIL = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # stderr is for mlgate's lines
}


@contextmanager
def client_env(env: Mapping[str, str]) -> Iterator[None]:
    """The MLflow client reads os.environ: give it the context's, with fast-fail defaults."""
    wanted = {**FAST_FAIL, **{k: v for k, v in env.items() if k.startswith("MLFLOW_")}}
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def describe(exc: Any, tracking: str) -> str:
    """One line for a client error, with any credential value of the environment masked."""
    return mask(_describe(exc, tracking), values_of(os.environ, SECRETS))


def _describe(exc: Any, tracking: str) -> str:
    """One line for a client error: the server's own words, or why it could not be reached."""
    code = str(getattr(exc, "error_code", ""))
    text = str(getattr(exc, "message", exc)).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    server = redact_url(tracking) if "://" in tracking else tracking
    if code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}:
        return _scrub(first.removeprefix(f"{code}: "))
    if code in {"PERMISSION_DENIED", "UNAUTHENTICATED"}:
        return f"the MLflow server at {server} refused access ({code})"
    if "timed out" in text or "Read timed out" in text:
        why = "timed out"
    elif re.search(r"too many 5\d\d|error code 5\d\d|5\d\d error", text):
        why = "answered with server errors (5xx)"
    elif re.search(r"Connection refused|NewConnectionError|Max retries exceeded|resolve", text):
        why = "is unreachable (connection failed)"
    else:
        return f"the MLflow server at {server} failed: {_scrub(first)[:300]}"
    retries = os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "")
    return f"the MLflow server at {server} {why}" + (f" after {retries} retries" if retries else "")


def _scrub(text: str) -> str:
    """A server message with every URL in it redacted (credentials, presigned queries)."""
    return re.sub(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", lambda m: redact_url(m.group(0)), text)
