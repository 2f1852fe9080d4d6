"""Baseline sources: one module per spec scheme, each with `fetch(rest, ctx) -> Path`.

The registry is `resolver.SOURCES`; this module holds what the sources share: the environment
they read and archive unpacking with the sources' error lines (the writing and unpacking
themselves are mlgate.support.fs; URL redaction is mlgate.support.secrets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.errors import BaselineError
from mlgate.support import fs

if TYPE_CHECKING:
    from mlgate.load.baseline.resolver import SourceContext


def environ(ctx: SourceContext) -> Mapping[str, str]:
    """The process environment, overridden by the context's own `env` (tests, callers)."""
    return {**os.environ, **ctx.env}


def unpack(archive: Path, dest: Path, *, where: str, label: str) -> Path:
    """mlgate.support.fs.unpack, its refusals as one BaselineError line naming the source."""
    try:
        return fs.unpack(archive, dest)
    except (fs.UnsafeArchive, fs.NotAnArchive) as exc:
        raise BaselineError(f"{where}: {label} {exc}") from None
