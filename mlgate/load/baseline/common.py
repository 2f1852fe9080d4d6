"""Baseline sources: one module per spec scheme, each with `fetch(rest, ctx) -> Path`.

The registry is `resolver.SOURCES`; this module holds what the sources share: the environment
they read and archive unpacking with the sources' error lines (the writing and unpacking
themselves are mlgate.support.fs; URL redaction is mlgate.support.secrets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mlgate.errors import BaselineError
from mlgate.support import fs


@dataclass(frozen=True)
class SourceContext:
    """What a source needs: where the config lives, a cache folder, the spec's options."""

    root: Path  # the config file's folder (git commands run here)
    cache: Path  # a folder for downloads (inside the report dir's .cache)
    where: str  # "mlgate.yaml: models.baseline" for messages
    sha256: str | None = None  # expected checksum (URL specs)
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a source found, for the report


def environ(ctx: SourceContext) -> Mapping[str, str]:
    """The process environment, overridden by the context's own `env` (tests, callers)."""
    return {**os.environ, **ctx.env}


LIMIT_FIELDS = ("max_download_mb", "max_unpack_ratio")


def limits(ctx: SourceContext) -> tuple[int, float]:
    """(the most bytes a download or an unpacked archive may hold, the largest unpack ratio)."""
    from mlgate.config.settings import Settings

    settings = Settings.from_env(environ(ctx), only=LIMIT_FIELDS)
    return int(settings.max_download_mb * 1024 * 1024), settings.max_unpack_ratio


def inside(folder: Path, relative: str, *, where: str, label: str) -> Path:
    """`folder / relative` for a name a source gave (a URL, a manifest, an archive), refused
    unless it stays inside `folder`: no absolute path, `..`, drive, backslash or NUL."""
    parts = PurePosixPath(relative).parts
    bad = (
        not relative
        or relative.startswith(("/", "\\"))
        or "\\" in relative
        or "\0" in relative
        or ".." in parts
        or (parts and ":" in parts[0])
    )
    path = folder / relative
    if bad or not path.resolve().is_relative_to(folder.resolve()):
        raise BaselineError(f"{where}: {label} names a path outside its folder ({relative!r})")
    return path


def unpack(
    archive: Path, dest: Path, *, where: str, label: str, ctx: SourceContext | None = None
) -> Path:
    """mlgate.support.fs.unpack, its refusals as one BaselineError line naming the source.

    Before anything is written, the sizes the archive declares are checked against the limits
    (MLGATE_MAX_DOWNLOAD_MB in all, MLGATE_MAX_UNPACK_RATIO times the archive's size).
    """
    cap, ratio = limits(ctx) if ctx is not None else _default_limits()
    declared = _declared_size(archive)
    if declared is not None:
        allowed = min(cap, max(archive.stat().st_size, 1) * ratio)
        if declared > allowed:
            raise BaselineError(
                f"{where}: {label} would unpack to {declared:,} bytes, more than the "
                f"{int(allowed):,} allowed; refused",
                hint="raise MLGATE_MAX_DOWNLOAD_MB or MLGATE_MAX_UNPACK_RATIO if it is expected",
            )
    try:
        return fs.unpack(archive, dest)
    except (fs.UnsafeArchive, fs.NotAnArchive) as exc:
        raise BaselineError(f"{where}: {label} {exc}") from None


def _default_limits() -> tuple[int, float]:
    from mlgate.config.settings import Settings

    return int(Settings.max_download_mb * 1024 * 1024), Settings.max_unpack_ratio


def _declared_size(archive: Path) -> int | None:
    """The bytes a zip or tar says it holds (zipfile and tarfile never write more than that)."""
    import tarfile
    import zipfile

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                return sum(info.file_size for info in zf.infolist())
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                return sum(member.size for member in tf.getmembers())
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError):
        return None  # fs.unpack says what is wrong with it
    return None
