"""`git:REF:PATH` — a file (or a saved-baseline folder) at a ref of the repository.

PATH is relative to the repository root, as in `git show REF:PATH`; `./PATH` is relative to the
config file's folder. A ref missing from the clone (a shallow CI checkout) is fetched from
`origin` once; when that is impossible the error says exactly which fetch is needed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.common import unpack
from mlgate.support import fs, git

if TYPE_CHECKING:
    from mlgate.load.baseline.common import SourceContext

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
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
    repo = Repo(ctx.root, ctx.where, spec, ctx)
    sha = repo.commit(spec.ref)
    kind = repo.git("cat-file", "-t", refs=[f"{sha}:{spec.path}"], check=False)
    if not kind.ok:
        raise BaselineError(
            f"{ctx.where}: {spec.path} does not exist at {spec.ref} ({sha[:12]})",
            hint=f"PATH is relative to the repository root, ./PATH to the config's folder; "
            f"list the files with: git ls-tree -r --name-only {spec.ref}",
        )
    target = ctx.cache / "git" / sha / _cache_name(spec.path)
    if kind.stdout.strip() == "tree":
        return repo.export_tree(sha, target)
    if target.is_file() and repo.holds_blob(sha, target):  # verified, never trusted by name
        return target
    return repo.export_blob(sha, target)


class Repo:
    """The few git commands a git: spec needs, run in the config's folder (mlgate.support.git)."""

    def __init__(
        self, root: Path, where: str, spec: GitSpec, ctx: SourceContext | None = None
    ) -> None:
        self.root = root
        self.ctx = ctx
        self.where = where
        self.spec = spec
        if not git.available():
            raise BaselineError(f"{where}: {spec} needs git, which is not installed")
        if not self.git("rev-parse", "--git-dir", check=False).ok:
            raise BaselineError(
                f"{where}: {spec}: {root} is not inside a git repository",
                hint="run mlgate in a clone of the repository, or use another baseline spec",
            )

    def git(
        self,
        *args: str,
        refs: Sequence[str] = (),
        check: bool = True,
        timeout: float = git.LOCAL_TIMEOUT_S,
        stdout: IO[bytes] | None = None,
        input: bytes | None = None,
    ) -> git.Result:
        try:
            out = git.run(self.root, *args, refs=refs, timeout=timeout, stdout=stdout, input=input)
        except git.GitTimeout as exc:
            raise BaselineError(f"{self.where}: {self.spec}: {exc}") from None
        except git.BadRef as exc:
            raise BaselineError(f"{self.where}: {self.spec}: {exc}") from None
        if check and not out.ok:
            raise BaselineError(
                f"{self.where}: {self.spec}: `{git.shown(args, refs)}` failed: "
                f"{out.first_error_line()}"
            )
        return out

    def _verify(self, ref: str) -> str | None:
        out = self.git("rev-parse", "--verify", "--quiet", refs=[f"{ref}^{{commit}}"], check=False)
        return out.stdout.strip() if out.ok else None

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
        shown = git.shown(["fetch", *depth], ["origin", remote_ref])
        if re.search(r"[~^@{}]", ref) or not git.is_ref_name(remote_ref):
            # HEAD~1, main^: history, not a name a remote knows (and never sent to one)
            hint = (
                FETCH_HINT.format(fetch="git fetch --unshallow")
                if shallow == "true"
                else ("check the ref with: git rev-parse " + ref)
            )
            raise BaselineError(f"{self.where}: git ref {ref!r} is not in this clone", hint=hint)
        out = self.git(
            "fetch",
            "--quiet",
            "--no-tags",
            *depth,
            refs=["origin", remote_ref],
            check=False,
            timeout=git.FETCH_TIMEOUT_S,
        )
        if out.ok:
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
            f"{out.first_error_line()}",
            hint=FETCH_HINT.format(fetch=shown),
        )

    def _close_ref(self, ref: str) -> str | None:
        """The branch or tag this clone knows whose name is closest to `ref`, if any is close."""
        from mlgate.support.text import close_matches

        out = self.git(
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads",
            "refs/remotes",
            "refs/tags",
            check=False,
        )
        names = {n.removeprefix("origin/") for n in out.stdout.split() if n != "origin"}
        close = close_matches(ref.removeprefix("origin/"), sorted(names), cutoff=0.7)
        return close[0] if close else None

    def holds_blob(self, sha: str, target: Path) -> bool:
        """Whether `target` is exactly the blob at sha:path: its git object id (or, for a Git
        LFS pointer, the sha256 the pointer names) matches. A cached file is reused only then."""
        ref = f"{sha}:{self.spec.path}"
        oid = self.git("rev-parse", "--verify", "--quiet", refs=[ref], check=False)
        local = self.git("hash-object", "--no-filters", "--", str(target), check=False)
        if not (oid.ok and local.ok):
            return False
        if oid.stdout.strip() == local.stdout.strip():
            return True
        size = self.git("cat-file", "-s", refs=[ref], check=False)
        if not size.ok or not size.stdout.strip().isdigit() or int(size.stdout) > 1024:
            return False
        pointer = self.git("cat-file", "blob", refs=[ref], check=False).data
        match = re.search(rb"^oid sha256:([0-9a-f]{64})$", pointer, re.MULTILINE)
        if not pointer.startswith(LFS_POINTER) or match is None:
            return False
        return _sha256(target) == match.group(1).decode()

    def export_blob(self, sha: str, target: Path) -> Path:
        """Write the blob at sha:path to `target` (through git-lfs when it is an LFS pointer)."""
        try:
            with fs.atomic_stream(target) as out:
                done = self.git(
                    "cat-file", "blob", refs=[f"{sha}:{self.spec.path}"], stdout=out, check=False
                )
                if not done.ok:  # git only says it could not write: ask the cache's disk why
                    why = _unwritable(target.parent)
                    if why:
                        raise OSError(why)
                    raise BaselineError(
                        f"{self.where}: {self.spec}: cannot read the file: "
                        f"{done.first_error_line()}"
                    )
                out.seek(0)
                if out.read(len(LFS_POINTER)) == LFS_POINTER:
                    out.seek(0)
                    data = self._smudge(out.read())
                    out.seek(0)
                    out.truncate()
                    out.write(data)
        except OSError as exc:  # the cache, not the report: name the cache file
            raise BaselineError(
                f"{self.where}: {self.spec}: {target}: cannot write the baseline cache: "
                f"{exc.strerror or exc}",
                hint="free space there, or point MLGATE_CACHE_DIR at a writable folder",
            ) from None
        return target

    def _smudge(self, pointer: bytes) -> bytes:
        """The object an LFS pointer file points to (needs git-lfs)."""
        if not self.git("lfs", "version", check=False).ok:
            raise BaselineError(
                f"{self.where}: {self.spec.path} at {self.spec.ref} is a Git LFS pointer and "
                "git-lfs is not installed",
                hint="install git-lfs, or point models.baseline at a URL or an artifact",
            )
        # git-lfs is not git: it takes `--`, not `--end-of-options`
        done = self.git(
            "lfs",
            "smudge",
            "--",
            self.spec.path,
            input=pointer,
            check=False,
            timeout=git.FETCH_TIMEOUT_S,
        )
        if not done.ok or done.data.startswith(LFS_POINTER):
            raise BaselineError(
                f"{self.where}: {self.spec.path} at {self.spec.ref} is a Git LFS pointer and "
                f"git-lfs could not fetch it: {done.first_error_line()}",
                hint="check the LFS remote and credentials (`git lfs fetch`)",
            )
        return done.data

    def export_tree(self, sha: str, target: Path) -> Path:
        """A folder at the ref (e.g. a committed `mlgate baseline save` folder), unpacked."""
        if target.is_dir():  # a folder cannot be verified cheaply: exported afresh every run
            shutil.rmtree(target)
        with fs.scratch_file(target.parent, ".tar") as archive:
            with archive.open("wb") as out:
                done = self.git(
                    "archive",
                    "--format=tar",
                    refs=[f"{sha}:{self.spec.path}"],
                    stdout=out,
                    check=False,
                )
            if not done.ok:
                raise BaselineError(
                    f"{self.where}: {self.spec}: cannot export the folder: "
                    f"{done.first_error_line()}"
                )
            return unpack(archive, target, where=self.where, label=str(self.spec), ctx=self.ctx)


def _unwritable(folder: Path) -> str | None:
    """'No space left on device' / 'Read-only file system' when the folder's disk is so."""
    import errno
    import os

    try:
        disk = os.statvfs(folder)
    except OSError:
        return None
    if disk.f_flag & os.ST_RDONLY:
        return os.strerror(errno.EROFS)
    if disk.f_bavail == 0:
        return os.strerror(errno.ENOSPC)
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_name(path: str) -> str:
    """The spec's path as a relative path inside the cache (`..` cannot climb out of it)."""
    parts = [p if p != ".." else "__" for p in PurePosixPath(path).parts if p not in (".", "/")]
    return "/".join(parts) or "_"
