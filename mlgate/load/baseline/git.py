"""`git:REF:PATH` — a file (or a saved-baseline folder) at a ref of the repository.

PATH is relative to the repository root, as in `git show REF:PATH`; `./PATH` is relative to the
config file's folder. A ref missing from the clone (a shallow CI checkout) is fetched from
`origin` once; when that is impossible the error says exactly which fetch is needed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.common import store, unpack

if TYPE_CHECKING:
    from mlgate.load.baseline.resolver import SourceContext

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
LOCAL_TIMEOUT_S = 60
FETCH_TIMEOUT_S = 300
SHA = re.compile(r"^[0-9a-f]{40}$")
FETCH_HINT = (
    "in GitHub Actions set `fetch-depth: 0` on actions/checkout; in GitLab CI set "
    "`GIT_DEPTH: 0`; or run `{fetch}` before mlgate"
)


@dataclass(frozen=True)
class GitSpec:
    ref: str
    path: str

    def __str__(self) -> str:
        return f"git:{self.ref}:{self.path}"


def parse(rest: str, where: str) -> GitSpec:
    """`main:models/m.skops` -> GitSpec('main', 'models/m.skops'); a part missing: ConfigError."""
    ref, sep, path = rest.partition(":")
    if not sep or not ref.strip() or not path.strip():
        raise ConfigError(
            f"{where}: git:{rest} needs a ref and a path: git:REF:PATH",
            hint="e.g. git:main:models/model.skops, with PATH from the repository root",
        )
    ref = ref.strip()
    if ref.startswith("-") or any(c.isspace() or ord(c) < 32 for c in ref):
        # a ref is passed to git commands: "--upload-pack=…" must never become an option
        raise ConfigError(f"{where}: {ref!r} is not a git ref", hint="name a branch, tag or commit")
    return GitSpec(ref, path.strip())


def fetch(rest: str, ctx: SourceContext) -> Path:
    """Materialise the file or folder at REF:PATH in the cache; return its local path."""
    spec = parse(rest, ctx.where)
    repo = Repo(ctx.root, ctx.where, spec)
    sha = repo.commit(spec.ref)
    kind = repo.git("cat-file", "-t", f"{sha}:{spec.path}", check=False)
    if kind.returncode != 0:
        raise BaselineError(
            f"{ctx.where}: {spec.path} does not exist at {spec.ref} ({sha[:12]})",
            hint=f"PATH is relative to the repository root, ./PATH to the config's folder; "
            f"list the files with: git ls-tree -r --name-only {spec.ref}",
        )
    target = ctx.cache / "git" / sha / _cache_name(spec.path)
    if kind.stdout.strip() == "tree":
        return repo.export_tree(sha, target)
    if target.is_file():  # keyed by commit: what is there is exactly this blob
        return target
    return repo.export_blob(sha, target)


class Repo:
    """The few git commands a git: spec needs, run in the config's folder."""

    def __init__(self, root: Path, where: str, spec: GitSpec) -> None:
        self.root = root
        self.where = where
        self.spec = spec
        if shutil.which("git") is None:
            raise BaselineError(f"{where}: {spec} needs git, which is not installed")
        if self.git("rev-parse", "--git-dir", check=False).returncode != 0:
            raise BaselineError(
                f"{where}: {spec}: {root} is not inside a git repository",
                hint="run mlgate in a clone of the repository, or use another baseline spec",
            )

    def git(
        self, *args: str, check: bool = True, timeout: float = LOCAL_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        try:
            out = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=_quiet_env(),
            )
        except subprocess.TimeoutExpired:
            raise BaselineError(
                f"{self.where}: {self.spec}: `git {' '.join(args)}` timed out after {timeout:g} s"
            ) from None
        if check and out.returncode != 0:
            shown = " ".join(args)
            raise BaselineError(
                f"{self.where}: {self.spec}: `git {shown}` failed: {_first_line(out.stderr)}"
            )
        return out

    def _verify(self, ref: str) -> str | None:
        out = self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out.stdout.strip() if out.returncode == 0 else None

    def commit(self, ref: str) -> str:
        """The commit a ref names: locally, else as origin/REF, else fetched from origin."""
        sha = self._verify(ref)
        if sha is None and not ref.startswith("origin/"):
            sha = self._verify(f"origin/{ref}")
        if sha is not None:
            return sha
        return self._fetch(ref)

    def _fetch(self, ref: str) -> str:
        shallow = self.git("rev-parse", "--is-shallow-repository", check=False).stdout.strip()
        remote_ref = ref.removeprefix("origin/")
        depth = ["--depth=1"] if shallow == "true" else []
        command = ["fetch", "--quiet", "--no-tags", *depth, "origin", remote_ref]
        shown = "git " + " ".join(c for c in command if c not in ("--quiet", "--no-tags"))
        if re.search(r"[~^@{}]", ref):  # HEAD~1, main^: history, not a name a remote knows
            hint = (
                FETCH_HINT.format(fetch="git fetch --unshallow")
                if shallow == "true"
                else ("check the ref with: git rev-parse " + ref)
            )
            raise BaselineError(f"{self.where}: git ref {ref!r} is not in this clone", hint=hint)
        out = self.git(*command, check=False, timeout=FETCH_TIMEOUT_S)
        if out.returncode == 0:
            sha = self._verify("FETCH_HEAD")
            if sha is not None:
                return sha
        close = self._close_ref(ref)
        if close:  # a typo of a ref this clone knows (git:mian:): the config is wrong, not CI
            raise ConfigError(
                f"{self.where}: {self.spec}: git ref {ref!r} does not exist here or on origin; "
                f"did you mean {close!r}?"
            )
        raise BaselineError(
            f"{self.where}: git ref {ref!r} is not in this clone and `{shown}` failed: "
            f"{_first_line(out.stderr)}",
            hint=FETCH_HINT.format(fetch=shown),
        )

    def _close_ref(self, ref: str) -> str | None:
        """The branch or tag this clone knows whose name is closest to `ref`, if any is close."""
        import difflib

        out = self.git(
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads",
            "refs/remotes",
            "refs/tags",
            check=False,
        )
        names = {n.removeprefix("origin/") for n in out.stdout.split() if n != "origin"}
        close = difflib.get_close_matches(
            ref.removeprefix("origin/"), sorted(names), n=1, cutoff=0.7
        )
        return close[0] if close else None

    def export_blob(self, sha: str, target: Path) -> Path:
        """Write the blob at sha:path to `target` (through git-lfs when it is an LFS pointer)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        with tmp.open("wb") as out:
            done = subprocess.run(
                ["git", "cat-file", "blob", f"{sha}:{self.spec.path}"],
                cwd=self.root,
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=LOCAL_TIMEOUT_S,
                env=_quiet_env(),
            )
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise BaselineError(
                f"{self.where}: {self.spec}: cannot read the file: "
                f"{_first_line(done.stderr.decode(errors='replace'))}"
            )
        with tmp.open("rb") as head:
            pointer = head.read(len(LFS_POINTER)) == LFS_POINTER
        if pointer:
            self._smudge(tmp)
        tmp.replace(target)
        return target

    def _smudge(self, pointer: Path) -> None:
        """Replace an LFS pointer file by the object it points to (needs git-lfs)."""
        lfs = self.git("lfs", "version", check=False)
        if lfs.returncode != 0:
            pointer.unlink(missing_ok=True)
            raise BaselineError(
                f"{self.where}: {self.spec.path} at {self.spec.ref} is a Git LFS pointer and "
                "git-lfs is not installed",
                hint="install git-lfs, or point models.baseline at a URL or an artifact",
            )
        data = pointer.read_bytes()
        done = subprocess.run(
            ["git", "lfs", "smudge", "--", self.spec.path],
            cwd=self.root,
            input=data,
            capture_output=True,
            timeout=FETCH_TIMEOUT_S,
        )
        if done.returncode != 0 or done.stdout.startswith(LFS_POINTER):
            pointer.unlink(missing_ok=True)
            raise BaselineError(
                f"{self.where}: {self.spec.path} at {self.spec.ref} is a Git LFS pointer and "
                f"git-lfs could not fetch it: {_first_line(done.stderr.decode(errors='replace'))}",
                hint="check the LFS remote and credentials (`git lfs fetch`)",
            )
        store(pointer, done.stdout)

    def export_tree(self, sha: str, target: Path) -> Path:
        """A folder at the ref (e.g. a committed `mlgate baseline save` folder), unpacked."""
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        archive = target.with_name(f".{target.name}.tar")
        with archive.open("wb") as out:
            done = subprocess.run(
                ["git", "archive", "--format=tar", f"{sha}:{self.spec.path}"],
                cwd=self.root,
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=LOCAL_TIMEOUT_S,
                env=_quiet_env(),
            )
        try:
            if done.returncode != 0:
                raise BaselineError(
                    f"{self.where}: {self.spec}: cannot export the folder: "
                    f"{_first_line(done.stderr.decode(errors='replace'))}"
                )
            return unpack(archive, target, where=self.where, label=str(self.spec))
        finally:
            archive.unlink(missing_ok=True)


def _cache_name(path: str) -> str:
    """The spec's path as a relative path inside the cache (`..` cannot climb out of it)."""
    parts = [p if p != ".." else "__" for p in PurePosixPath(path).parts if p not in (".", "/")]
    return "/".join(parts) or "_"


def _quiet_env() -> dict[str, str]:
    """The environment for git: never prompt for credentials (a CI job would hang)."""
    import os

    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"
