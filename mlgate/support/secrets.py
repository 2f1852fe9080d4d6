"""The one secret mask: token values and URL credentials never reach a message, a log or a report.

Everything mlgate prints from an exception or a URL passes through `mask` (known secret values,
e.g. the API tokens of the environment) or `redact_url` (what a URL itself carries: user:password@,
a query string — a presigned URL's signature is a credential — and the fragment). Both write the
same `MASK`. It is `[masked]` rather than GitHub's `***`: `***` is Markdown emphasis (or a rule)
in the PR comment and the job summary, and `[masked]` says what happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

MASK = "[masked]"
MIN_SECRET_LEN = 4  # shorter values are too likely to be ordinary text ("1", "true")


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret value (of at least MIN_SECRET_LEN characters) replaced by MASK."""
    # the longest first: a token that contains another is masked whole
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len)[::-1]:
        text = text.replace(secret, MASK)
    return text


def values_of(env: Mapping[str, str], names: Iterable[str]) -> list[str]:
    """The values of the variables `names` in `env` (the secrets `mask` needs)."""
    return [env[name] for name in names if env.get(name)]


def redact_url(url: str) -> str:
    """The URL without credentials: user:password@ is dropped, the query becomes `?[masked]`,
    the fragment is dropped."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # "host:abc": not a port, and not worth a traceback
        port = None
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, MASK if parts.query else "", ""))
