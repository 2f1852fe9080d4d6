"""`--changed`: which configs' inputs changed relative to the base branch (the rest are skipped).

A config's inputs are the files it reads: the config itself, its models and prediction files,
its data files, suites and custom checks (and the module of a `module:function` that lives in
the repository). The base is the PR/MR target branch (`GITHUB_BASE_REF`,
`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`), else the default branch; what changed is the diff of the
working tree against its merge-base with HEAD, plus untracked files. When that cannot be told
(no git, no base, a shallow clone), every config runs and the user is told why: never a silent
skip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlgate.config import LoadedConfig
from mlgate.support.git import output as git_output

DEFAULT_BRANCHES = ("main", "origin/main", "master", "origin/master")  # after origin/HEAD
BASE_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
REMOTE_SPECS = ("git:", "http://", "https://", "report:", "github-artifact:", "gitlab-artifact:")


@dataclass(frozen=True)
class Selection:
    """The configs to run, and one line per decision (said to the user)."""

    run: tuple[LoadedConfig, ...]
    lines: tuple[str, ...]


def default_branch(root: Path) -> str | None:
    """origin/HEAD's branch, else the first of main, origin/main, master, origin/master."""
    branch = git_output(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    for name in DEFAULT_BRANCHES:
        if branch is None and git_output(
            root, "rev-parse", "--verify", "--quiet", refs=[f"{name}^{{commit}}"]
        ):
            branch = name
    return branch


def base_branch(root: Path, env: Mapping[str, str]) -> tuple[str | None, str]:
    """(the branch to compare with, or None; where it came from or why there is none)."""
    for variable in BASE_VARIABLES:
        ref = env.get(variable)
        if not ref:
            continue
        for name in (f"origin/{ref}", ref):
            if git_output(root, "rev-parse", "--verify", "--quiet", refs=[f"{name}^{{commit}}"]):
                return name, variable
        return None, f"{variable} is {ref!r} but neither origin/{ref} nor {ref} is fetched"
    branch = default_branch(root)
    if branch is None:
        return None, "no base branch was found (no origin/HEAD, main or master)"
    return branch, "the default branch"


def changed_files(root: Path, env: Mapping[str, str]) -> tuple[set[str] | None, str]:
    """(paths from the top level that differ from the merge-base with the base, or None; what
    was compared, or why nothing could be)."""
    top = git_output(root, "rev-parse", "--show-toplevel")
    if top is None:
        return None, f"{root} is not inside a git repository"
    branch, why = base_branch(Path(top), env)
    if branch is None:
        return None, why
    base = git_output(Path(top), "merge-base", refs=["HEAD", branch])
    if base is None:
        return None, (
            f"HEAD and {branch} have no merge-base (a shallow clone? fetch with "
            "`fetch-depth: 0`, or `git fetch --unshallow`)"
        )
    diff = git_output(Path(top), "diff", "--name-only", "--no-renames", "-z", refs=[base])
    untracked = git_output(Path(top), "ls-files", "--others", "--exclude-standard", "-z")
    if diff is None or untracked is None:
        return None, f"`git diff` against {base[:12]} failed"
    files = {p for p in (diff + "\0" + untracked).split("\0") if p}
    return files, f"{branch} (merge-base {base[:12]}, from {why})"


def inputs_of(loaded: LoadedConfig) -> tuple[list[Path], list[str]]:
    """(the files and folders the config reads, the references whose files cannot be told)."""
    config = loaded.config
    paths = [loaded.path]
    unknown: list[str] = []

    def add(value: str | None) -> None:
        if value and not value.startswith(REMOTE_SPECS):
            paths.append(loaded.resolve(value.split("::", 1)[0]))

    def add_module(reference: str) -> None:
        module = reference.split(":", 1)[0].replace(".", "/")
        found = [p for p in (f"{module}.py", module) if loaded.resolve(p).exists()]
        if found:
            add(found[0])
        else:
            unknown.append(reference)

    add(config.data.eval)
    add(config.data.reference)
    if config.models is not None:
        for spec in (config.models.candidate, config.models.baseline):
            if spec is None:
                continue
            add(spec.path)
            add(spec.predictions)
            if spec.factory:
                add_module(spec.factory)
    for gate in config.gates.data:
        add(getattr(gate, "suite", None))
    for model_gate in config.gates.model:
        if ":" in model_gate.metric:
            add_module(model_gate.metric)
    for custom in config.gates.custom:
        for item in [custom.pytest] if isinstance(custom.pytest, str) else custom.pytest:
            add(item)
    return paths, unknown


def select(loaded: Sequence[LoadedConfig], env: Mapping[str, str]) -> Selection:
    """The configs whose inputs changed; every config when what changed cannot be told."""
    files, compared = changed_files(loaded[0].root, env)
    if files is None:
        why = f"--changed: cannot tell what changed ({compared}); running every config"
        return Selection(tuple(loaded), (why,))
    lines = [f"--changed: compared with {compared}: {len(files)} changed file(s)"]
    top = Path(git_output(loaded[0].root, "rev-parse", "--show-toplevel") or ".").resolve()
    chosen = []
    for item in loaded:
        label = f"{item.config.name or item.display} ({item.display})"
        paths, unknown = inputs_of(item)
        touched = sorted({f for f in files for p in paths if _under(top / f, p)})
        if touched:
            chosen.append(item)
            more = f" and {len(touched) - 1} more" if len(touched) > 1 else ""
            lines.append(f"--changed: running {label}: {touched[0]} changed{more}")
        elif unknown:
            chosen.append(item)
            lines.append(f"--changed: running {label}: cannot tell which files {unknown[0]} reads")
        else:
            lines.append(f"--changed: skipped {label}: none of its {len(paths)} inputs changed")
    return Selection(tuple(chosen), tuple(lines))


def _under(changed: Path, path: Path) -> bool:
    """Whether a changed file is the input `path` or inside the input folder `path`."""
    target = path.resolve()
    return changed == target or target in changed.parents
