"""The merge-base side of a run: the config and eval data the PR/MR started from.

A pull request runs with its own mlgate.yaml and its own eval data, so it could loosen the gate
or drop the hard rows in the same change. This module reads both at the merge-base with the
target branch (`git show` through mlgate.support.git), so that the pipeline can list every
change of the rules (mlgate.config.changes) and of the test set, and apply the **base**
config's `policy.config_changes` to them (docs/security.md).

The target branch: GITHUB_BASE_REF (GitHub pull_request events), then
CI_MERGE_REQUEST_TARGET_BRANCH_NAME (GitLab MR pipelines), else the default branch as
`mlgate check` finds it (origin/HEAD, main, origin/main, master, origin/master). No git, no
repository or no such branch: there is no base, and nothing is compared (said in the report).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.changes import Change, diff
from mlgate.support import git

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.config import LoadedConfig
    from mlgate.config.schema import Config

DEFAULT_BRANCHES = ("main", "origin/main", "master", "origin/master")  # after origin/HEAD


@dataclass
class BaseComparison:
    """What the merge-base holds and what the PR changed against it."""

    commit: str | None = None  # the merge-base (full sha)
    branch: str | None = None  # the target branch it was found from
    policy: str = "report"  # the base config's policy.config_changes
    changes: list[Change] = field(default_factory=list)
    note: str = ""  # why nothing was compared, or what could not be
    eval_change: dict[str, Any] | None = None
    base_accept_label: str | None = None

    @property
    def blocking(self) -> list[Change]:
        return [c for c in self.changes if c.blocks]

    def to_context(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "commit": self.commit[:12] if self.commit else None,
            "branch": self.branch,
            "policy": self.policy,
        }
        if self.note:
            doc["note"] = self.note
        if self.eval_change is not None:
            doc["eval"] = self.eval_change
        return doc


def target_branch(root: Path, env: Mapping[str, str]) -> str | None:
    """The branch the PR/MR merges into, as a ref this clone has (None: no base)."""
    for variable in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        name = env.get(variable, "").strip()
        if name:
            for ref in (f"origin/{name}", name):
                if _commit(root, ref):
                    return ref
            return None
    branch = git.output(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if branch:
        return branch
    return next((name for name in DEFAULT_BRANCHES if _commit(root, name)), None)


def _commit(root: Path, ref: str) -> str | None:
    return git.output(root, "rev-parse", "--verify", "--quiet", refs=[f"{ref}^{{commit}}"])


def compare(
    loaded: LoadedConfig, env: Mapping[str, str], eval_frame: pd.DataFrame | None
) -> BaseComparison | None:
    """The PR's rules and eval data against the merge-base's; None when there is no git repo."""
    root = loaded.root
    if not git.available():
        return None
    top = git.output(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    branch = target_branch(root, env)
    if branch is None:
        named = next(
            (
                env[v].strip()
                for v in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
                if env.get(v, "").strip()
            ),
            None,
        )
        if named:
            return BaseComparison(
                note=f"the target branch {named} is not in this clone: nothing compared "
                "(fetch it: fetch-depth: 0 on actions/checkout, GIT_DEPTH: 0 on GitLab)"
            )
        return BaseComparison(note="no target branch found (no origin/HEAD, main or master)")
    base = git.output(root, "merge-base", refs=["HEAD", branch])
    if not base:
        return BaseComparison(
            branch=branch,
            note=f"HEAD and {branch} have no merge-base (a shallow clone? fetch-depth: 0)",
        )
    result = BaseComparison(commit=base, branch=branch)
    relative = _relative(loaded.path, Path(top))
    if relative is None:
        result.note = f"{loaded.display} is outside the repository"
        return result
    text = _show(root, base, relative)
    if text is None:
        result.note = (
            f"{relative} does not exist at the merge-base ({base[:12]}): nothing to compare"
        )
        return result
    base_config, problem = _parse(text, loaded)
    if base_config is None:
        result.changes.append(Change(loaded.display, f"unreadable: {problem}", "valid", "changed"))
        result.note = f"{relative} at the merge-base ({base[:12]}) is not valid: {problem}"
        return result
    result.policy = base_config.policy.config_changes
    result.base_accept_label = base_config.publish.accept_label
    result.changes = diff(base_config, _as_written(loaded))
    result.changes += _custom_files(loaded, base_config, base, Path(top))
    if eval_frame is not None:
        change, summary = _eval_data(loaded, base_config, base, Path(top), eval_frame)
        result.eval_change = summary
        if change is not None:
            result.changes.append(change)
    return result


def _as_written(loaded: LoadedConfig) -> Config:
    """The PR's config as the file says it (`mlgate check` fills in a default baseline)."""
    from mlgate.config import load_config
    from mlgate.errors import MlgateError

    try:
        return load_config(loaded.path).config
    except MlgateError:
        return loaded.config


def _relative(path: Path, top: Path) -> str | None:
    try:
        return path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None


def _show(root: Path, commit: str, relative: str) -> str | None:
    try:
        done = git.run(root, "cat-file", "blob", refs=[f"{commit}:{relative}"])
    except (OSError, git.GitTimeout, git.BadRef):
        return None
    return done.data.decode("utf-8", "replace") if done.ok else None


def _parse(text: str, loaded: LoadedConfig) -> tuple[Config | None, str]:
    """The base's config text as a Config (validated by this mlgate), or why it is not one."""
    from pydantic import ValidationError

    from mlgate.config.loading import _read_pyproject, _read_yaml
    from mlgate.config.schema import Config
    from mlgate.errors import ConfigError

    try:
        raw = (
            _read_pyproject(text, loaded.display)
            if loaded.path.name == "pyproject.toml"
            else _read_yaml(text, loaded.display)
        )
        return Config.model_validate(raw), ""
    except ConfigError as exc:
        return None, exc.lines()[0]
    except ValidationError as exc:
        return None, f"{exc.error_count()} validation error(s)"


def _custom_files(loaded: LoadedConfig, base: Config, commit: str, top: Path) -> list[Change]:
    """Custom-check files (gates.custom pytest paths of either side) that differ from the base."""
    paths: list[str] = []
    for config in (base, loaded.config):
        for gate in config.gates.custom:
            for item in [gate.pytest] if isinstance(gate.pytest, str) else gate.pytest:
                relative = _relative(loaded.resolve(item.split("::")[0]), top)
                if relative and relative not in paths:
                    paths.append(relative)
    conftest = _relative(loaded.root / "conftest.py", top)
    if paths and conftest:
        paths.append(conftest)
    if not paths:
        return []
    try:
        done = git.run(top, "diff", "--name-only", commit, "--", *paths)
    except (OSError, git.GitTimeout, git.BadRef):
        return [Change("gates.custom files", "?", "?", "changed")]
    changed = [line for line in done.stdout.splitlines() if line.strip()]
    if not done.ok:
        return [Change("gates.custom files", "?", done.first_error_line(), "changed")]
    return [Change(f"gates.custom file {name}", "base", "changed", "changed") for name in changed]


def row_hashes(frame: pd.DataFrame) -> Counter[int]:
    """One hash per row (its values, column names and order included): a multiset of rows."""
    import pandas as pd

    frame = frame.reindex(sorted(frame.columns), axis=1)
    salt = int.from_bytes(hashlib.sha256(repr(list(frame.columns)).encode()).digest()[:8], "big")
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return Counter(int(v) ^ salt for v in values)


def _eval_data(
    loaded: LoadedConfig, base: Config, commit: str, top: Path, frame: pd.DataFrame
) -> tuple[Change | None, dict[str, Any]]:
    """The eval data at the merge-base (the base config's data.eval) against this run's."""
    from mlgate.errors import MlgateError
    from mlgate.load.tables import fingerprint, read_table

    base_path = _relative(loaded.resolve(base.data.eval), top)
    rows = len(frame)
    summary: dict[str, Any] = {"rows": rows, "fingerprint": fingerprint(frame)}
    if base_path is None:
        summary["note"] = f"the base's data.eval {base.data.eval} is outside the repository"
        return Change("eval data", base.data.eval, "not compared", "changed"), summary
    try:
        blob = git.run(top, "cat-file", "blob", refs=[f"{commit}:{base_path}"])
    except (OSError, git.GitTimeout, git.BadRef):
        blob = None
    if blob is None or not blob.ok:
        summary["note"] = f"{base_path} does not exist at the merge-base: a new eval set"
        return Change("eval data", None, f"{rows:,} rows", "changed"), summary
    if blob.data.startswith(b"version https://git-lfs.github.com/spec/v1"):
        summary["note"] = f"{base_path} is a Git LFS pointer at the merge-base: not compared"
        return Change("eval data", "git-lfs pointer", f"{rows:,} rows", "changed"), summary
    suffix = "".join(Path(base_path).suffixes[-2:])
    with tempfile.TemporaryDirectory(prefix="mlgate-base-") as folder:
        local = Path(folder) / f"base{suffix}"
        local.write_bytes(blob.data)
        try:
            base_frame = read_table(local, where=f"{base_path} at {commit[:12]}")
        except MlgateError as exc:
            summary["note"] = exc.lines()[0]
            return Change("eval data", "unreadable", f"{rows:,} rows", "changed"), summary
    summary.update(base_rows=len(base_frame), base_fingerprint=fingerprint(base_frame))
    if summary["base_fingerprint"] == summary["fingerprint"]:
        summary.update(changed=False, removed=0, added=0)
        return None, summary
    before, after = row_hashes(base_frame), row_hashes(frame)
    removed = sum((before - after).values())
    added = sum((after - before).values())
    summary.update(changed=True, removed=removed, added=added)
    if list(base_frame.columns) != list(frame.columns):
        summary["columns"] = {"before": list(base_frame.columns), "after": list(frame.columns)}
    text = eval_change_text(summary)
    return Change("eval data", f"{len(base_frame):,} rows", text, "changed"), summary


def eval_change_text(summary: Mapping[str, Any]) -> str:
    """ "eval data changed in this PR: 1,200 of 5,000 rows removed, 0 added"."""
    return (
        f"eval data changed in this PR: {summary['removed']:,} of {summary['base_rows']:,} "
        f"rows removed, {summary['added']:,} added"
    )
