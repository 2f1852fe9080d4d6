"""Baseline sources: one module per spec scheme, each with `fetch(rest, ctx) -> Path`.

The registry is `resolver.SOURCES`; this package holds what the sources share: the
environment they read, atomic writes into the cache, safe archive unpacking, and URL redaction
(a presigned URL's query string is a credential, so it never appears in a message).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from mlgate.errors import BaselineError

if TYPE_CHECKING:
    from mlgate.load.baseline.resolver import SourceContext

ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


def environ(ctx: SourceContext) -> Mapping[str, str]:
    """The process environment, overridden by the context's own `env` (tests, callers)."""
    return {**os.environ, **ctx.env}


def store(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVES)


def unpack(archive: Path, dest: Path, *, where: str, label: str) -> Path:
    """Extract a zip/tar into `dest` (replaced atomically); members leaving `dest` are refused.

    A single top-level folder is looked through, so `mlgate-baseline.zip` holding
    `mlgate-baseline/baseline.json` reads like the folder itself.
    """
    import tarfile
    import zipfile

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    _check_member(name, where, label)
                zf.extractall(tmp)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    _check_member(member.name, where, label)
                    if not (member.isfile() or member.isdir()):
                        raise BaselineError(
                            f"{where}: {label} holds a link or device ({member.name}); refused"
                        )
                # every member was checked above; the "data" filter (3.12+, backported) re-checks
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tf.extractall(tmp, **extra)  # type: ignore[arg-type]
        else:
            raise BaselineError(f"{where}: {label} is not a readable zip or tar archive")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    entries = [p for p in dest.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _check_member(name: str, where: str, label: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise BaselineError(f"{where}: {label} holds a path outside the archive ({name}); refused")


def redact(url: str) -> str:
    """The URL without credentials: user:password@ and the query string are elided."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))
