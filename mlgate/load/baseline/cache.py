"""Where baselines are cached: outside the checkout, so that a pull request cannot plant one.

A cache inside the work tree (the old `REPORT_DIR/.cache`) can be committed: a PR that adds
`mlgate-report/.cache/git/<sha of main>/prod.skops` made the gate compare the candidate with
itself. The cache now lives under `MLGATE_CACHE_DIR`, else the runner's temp folder
(`RUNNER_TEMP`, GitHub Actions), else `XDG_CACHE_HOME/mlgate`, else `~/.cache/mlgate`; a
configured folder inside the work tree is refused, a default one there is replaced by a fresh
temporary folder. Every source still verifies what it reuses (git blobs by object id, downloads
by sha256, artifacts by id): the location is the first fence, not the only one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mlgate.errors import ConfigError
from mlgate.support import git


def work_tree(root: Path) -> Path:
    """The checkout a run happens in: the git top level of `root`, else `root` itself."""
    top = git.output(root, "rev-parse", "--show-toplevel") if git.available() else None
    return Path(top).resolve() if top else root.resolve()


def cache_root(root: Path, env: Mapping[str, str]) -> Path:
    """The cache folder of a run whose config lives in `root` (created on use by the sources)."""
    from mlgate.config.settings import Settings, variable_of

    tree = work_tree(root)
    configured = Settings.from_env(env, only=("cache_dir",)).cache_dir
    if configured:
        path = Path(configured).expanduser()
        path = (path if path.is_absolute() else root / path).resolve()
        if _inside(path, tree):
            raise ConfigError(
                f"{variable_of('cache_dir')}: {configured!r} is inside the work tree {tree}, "
                "where a pull request could plant a cached baseline",
                hint="set it outside the checkout, e.g. $RUNNER_TEMP/mlgate-cache, or unset it",
            )
        return path
    for candidate in _defaults(env):
        if not _inside(candidate.resolve(), tree):
            return candidate.resolve()
    return Path(tempfile.mkdtemp(prefix="mlgate-cache-"))


def _defaults(env: Mapping[str, str]) -> list[Path]:
    found: list[Path] = []
    if env.get("RUNNER_TEMP", "").strip():
        found.append(Path(env["RUNNER_TEMP"]) / "mlgate-cache")
    if env.get("XDG_CACHE_HOME", "").strip() and Path(env["XDG_CACHE_HOME"]).is_absolute():
        found.append(Path(env["XDG_CACHE_HOME"]) / "mlgate")
    home = env.get("HOME") or os.path.expanduser("~")
    if home and home != "~":
        found.append(Path(home) / ".cache" / "mlgate")
    return found


def _inside(path: Path, tree: Path) -> bool:
    return path == tree or path.is_relative_to(tree)
