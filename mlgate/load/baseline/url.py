"""`https://…` — a baseline downloaded with timeouts, retries and backoff, a sha256 pin, a cache.

Settings (environment, declared in mlgate.config.settings): MLGATE_HTTP_TIMEOUT (read timeout,
s, default 60; the connect timeout is at most 10 s), MLGATE_HTTP_RETRIES (extra attempts on
5xx/429/timeouts/connection errors, default 3), MLGATE_HTTP_BACKOFF (first wait, s, doubled per
attempt, default 1; a Retry-After header is honoured up to 60 s). The policy is
mlgate.support.http's. A pinned download (`sha256:` or `#sha256=HEX`) is cached by
URL and hash and never fetched twice; an unpinned one is revalidated (ETag / Last-Modified).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from mlgate import __version__
from mlgate.config.settings import Settings
from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.common import environ, inside, limits, unpack
from mlgate.support import fs, http
from mlgate.support.secrets import redact_url

if TYPE_CHECKING:
    import requests

    from mlgate.load.baseline.common import SourceContext

HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
MAX_REDIRECTS = 5
HTTP_FIELDS = ("http_timeout", "http_retries", "http_backoff")


def fetch(rest: str, ctx: SourceContext) -> Path:
    """The registry entry: `rest` is the whole URL (see resolver.WHOLE_SPEC)."""
    return download(rest, ctx)


def download(url: str, ctx: SourceContext) -> Path:
    """Download `url` into the cache (verified against its pin) and return the local path.

    Archives (.zip, .tar, .tar.gz) are unpacked and their folder is returned.
    """
    url, pin = _pin(url, ctx)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{ctx.where}: {redact_url(url)} is not an http(s) URL",
            hint="e.g. https://example.com/models/model.skops",
        )
    folder = ctx.cache / "url" / hashlib.sha256(f"{url}\n{pin or ''}".encode()).hexdigest()[:24]
    target = inside(folder, _file_name(parts.path), where=ctx.where, label=redact_url(url))
    if pin and target.is_file() and _sha256(target) == pin:
        return _local(target, ctx, url)
    _Download(url, pin, target, ctx).run()
    return _local(target, ctx, url)


def _file_name(path: str) -> str:
    """The URL's last path segment, decoded, as a plain file name: `..%2F..%2Fx.skops` is the
    name `x.skops`, never a path (whatever survives is checked by `inside`)."""
    name = unquote(PurePosixPath(path).name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())
    return name if name not in ("", ".", "..") else "download"


def _pin(url: str, ctx: SourceContext) -> tuple[str, str | None]:
    """Split a `#sha256=HEX` fragment off; combine it with models.baseline.sha256."""
    base, _, fragment = url.partition("#")
    from_url = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
    if fragment and from_url is None:
        raise ConfigError(
            f"{ctx.where}: unexpected URL fragment #{fragment} in {redact_url(base)}",
            hint="only #sha256=HEX is understood",
        )
    given = (_normal(from_url, ctx.where), _normal(ctx.sha256, f"{ctx.where}.sha256"))
    pins = {p for p in given if p}
    if len(pins) > 1:
        raise ConfigError(
            f"{ctx.where}: the URL's #sha256= and models.baseline.sha256 disagree",
            hint="keep one of them",
        )
    return base, next(iter(pins), None)


def _normal(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower().removeprefix("sha256:")
    if not HEX64.match(digest):
        raise ConfigError(f"{where}: expected a SHA-256 (64 hex digits), got {value!r}")
    return digest


def _local(target: Path, ctx: SourceContext, url: str) -> Path:
    if fs.is_archive(target.name):
        return unpack(
            target,
            target.with_name(target.name + ".d"),
            where=ctx.where,
            label=redact_url(url),
            ctx=ctx,
        )
    return target


class _Download:
    """One download: urllib3 retries the requests (mlgate.support.http); a failure while the
    body streams is retried here. State: the last problem seen, for the final message."""

    def __init__(self, url: str, pin: str | None, target: Path, ctx: SourceContext) -> None:
        self.url, self.pin, self.target, self.ctx = url, pin, target, ctx
        self.shown = redact_url(url)
        self.settings = Settings.from_env(environ(ctx), only=HTTP_FIELDS)
        self.meta = target.with_name(f".{target.name}.meta.json")

    def run(self) -> None:
        import requests

        config = self.settings
        policy = http.retry(config.http_retries, config.http_backoff)
        problem, tries = "", 0
        with http.session(policy, user_agent=f"mlgate/{__version__}") as session:
            for tries in http.attempts(config.http_retries, config.http_backoff):
                try:
                    response = self._follow(session)
                except requests.Timeout:
                    problem, tries = f"timed out after {config.http_timeout:g} s", -1
                    break
                except requests.ConnectionError as exc:  # urllib3 spent its retries
                    problem, tries = _connection_problem(exc, config.http_timeout), -1
                    break
                except requests.RequestException as exc:  # an invalid URL or answer: no retry
                    problem, tries = type(exc).__name__, -1
                    break
                with response:
                    if response.status_code in http.RETRY_STATUS:  # retried, still failing
                        problem = f"HTTP {response.status_code} {response.reason}".rstrip()
                        tries = -1
                        break
                    try:
                        self._accept(response)
                        return
                    except (requests.ConnectionError, requests.Timeout) as exc:
                        problem = _connection_problem(exc, config.http_timeout)
                    except requests.exceptions.ChunkedEncodingError:
                        problem = "the connection broke during the download"
        count = config.http_retries + 1 if tries < 0 else tries + 1
        raise BaselineError(
            f"{self.ctx.where}: cannot download {self.shown}: {problem} "
            f"({count} attempt{'s' if count != 1 else ''})",
            hint="check the URL and the network; MLGATE_HTTP_TIMEOUT and MLGATE_HTTP_RETRIES "
            "set the timeout and the retries",
        )

    def _follow(self, session: requests.Session) -> requests.Response:
        """GET the URL, following at most MAX_REDIRECTS redirects by hand: to http(s) only, and
        never from https down to http (a downgrade would make the pin the only protection)."""
        from urllib.parse import urljoin

        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            response = session.get(
                url,
                stream=True,
                timeout=http.timeouts(self.settings.http_timeout),
                headers=self._headers(),
                allow_redirects=False,
            )
            if not response.is_redirect:
                return response
            location = urljoin(url, response.headers.get("Location", ""))
            response.close()
            scheme, now = urlsplit(location).scheme.lower(), urlsplit(url).scheme.lower()
            if scheme not in ("http", "https") or (now == "https" and scheme == "http"):
                raise BaselineError(
                    f"{self.ctx.where}: {self.shown} redirects to {redact_url(location)}: "
                    f"refused (only https, or http to https)",
                    hint="point models.baseline at the final https URL",
                )
            url = location
        raise BaselineError(
            f"{self.ctx.where}: {self.shown} redirects more than {MAX_REDIRECTS} times; refused",
            hint="point models.baseline at the final URL",
        )

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.pin is None and self.target.is_file() and self.meta.is_file():
            try:
                meta = json.loads(self.meta.read_text())
            except (OSError, ValueError):
                return headers
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        return headers

    def _accept(self, response: requests.Response) -> None:
        """Handle a final (non-retryable) response: store the body, or raise its error."""
        status = response.status_code
        if status == 304 and self.target.is_file():
            return
        if status == 404:
            raise BaselineError(
                f"{self.ctx.where}: {self.shown} was not found (HTTP 404)",
                hint="check the URL; has the baseline been published there?",
            )
        if status in (401, 403):
            raise BaselineError(
                f"{self.ctx.where}: {self.shown} refused access (HTTP {status})",
                hint="mlgate sends no credentials to URLs: use a presigned URL or an artifact spec",
            )
        if status != 200:
            raise BaselineError(
                f"{self.ctx.where}: {self.shown} answered HTTP {status} {response.reason}".rstrip()
            )
        digest = hashlib.sha256()
        cap, _ = limits(self.ctx)
        size = 0
        with fs.atomic_stream(self.target) as out:  # streamed: a model may not fit in memory twice
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise BaselineError(
                        f"{self.ctx.where}: {self.shown} is larger than {cap:,} bytes; refused",
                        hint="raise MLGATE_MAX_DOWNLOAD_MB if the baseline really is that large",
                    )
                digest.update(chunk)
                out.write(chunk)
            actual = digest.hexdigest()
            if self.pin is not None and actual != self.pin:
                raise BaselineError(
                    f"{self.ctx.where}: checksum mismatch for {self.shown}: expected sha256 "
                    f"{self.pin}, got {actual}",
                    hint="the file changed since it was pinned; if that is intended, update "
                    "models.baseline.sha256",
                )
        meta: dict[str, Any] = {
            "sha256": actual,
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        }
        fs.write_atomic(self.meta, json.dumps(meta))


def _connection_problem(exc: Exception, timeout: float) -> str:
    """A short reason without the URL (requests' messages repeat it, query string and all)."""
    text = str(exc)
    if "timed out" in text.lower():  # a read timeout while streaming the body
        return f"timed out after {timeout:g} s"
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    return f"cannot connect: {match.group(1).strip().lower()}" if match else "connection failed"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
