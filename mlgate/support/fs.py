"""Files written whole or not at all, and archives unpacked without leaving their folder.

One write path for every file mlgate leaves behind (report files, the baseline cache, downloads,
`mlgate baseline save` folders): a temporary file in the target's own folder (so the rename
never crosses a file system), flushed and fsync'ed, then `os.replace`d over the target. A reader
sees the old file or the new one, never half of one; a crash leaves at most a hidden `.*.tmp`.
A set of files (a report) is written whole or not at all (`write_atomic_set`), one writer of a
folder at a time, and a SIGINT/SIGTERM never cuts a set's renames or a folder swap in two.

Permissions: **the umask decides**, as for any file the user writes — files are created 0o666
and folders 0o777, less the umask (0o644 / 0o755 with the usual 022). `tempfile.mkstemp` and
`mkdtemp` are not used: their 0o600 / 0o700 would make a report unreadable to a CI artifact
server or a colleague sharing the cache.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from mlgate.support import interrupts

ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


class UnsafeArchive(ValueError):
    """An archive member that would land outside the folder (or is a link or device)."""


class NotAnArchive(ValueError):
    """Neither a zip nor a tar file."""


def _hidden_name(path: Path, what: str) -> Path:
    return path.with_name(f".{path.name}.{what}-{os.getpid()}-{secrets.token_hex(4)}")


def _create(path: Path) -> int:
    """A new file descriptor for `path`, 0o666 less the umask; the file must not exist."""
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)


@contextmanager
def atomic_stream(path: Path) -> Iterator[IO[bytes]]:
    """Write `path` through an open binary file (read back allowed: it is opened w+b).

    The content replaces `path` when the block ends without an exception; on an exception the
    temporary file is removed and `path` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _hidden_name(path, "tmp")
    try:
        with os.fdopen(_create(tmp), "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write `data` (str as UTF-8, newlines as given) to `path` atomically; return `path`."""
    with atomic_stream(path) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@contextmanager
def scratch_file(folder: Path, suffix: str = "") -> Iterator[Path]:
    """A path for a temporary file in `folder` (not created), removed when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".scratch-{os.getpid()}-{secrets.token_hex(4)}{suffix or '.tmp'}"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def new_sibling_dir(target: Path, what: str) -> Path:
    """A new, empty hidden folder beside `target` (mkdir honours the umask)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = _hidden_name(target, what)
        try:
            path.mkdir()
            return path
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


def replace_dir(staging: Path, target: Path) -> None:
    """Put the folder `staging` in place of `target`: renames only, so a reader never sees a
    half-written folder (the old one is moved aside, then removed). Two swaps into one place
    take turns (a lock on its parent), so both succeed and the later one stays."""
    # the lock before the deferral: waiting for another writer stays interruptible
    with folder_lock(target.parent), interrupts.deferred():
        if not target.exists():
            os.replace(staging, target)
            return
        old = new_sibling_dir(target, "old")
        try:
            os.replace(target, old / target.name)
            try:
                os.replace(staging, target)
            except OSError:
                os.replace(old / target.name, target)  # the previous folder back in place
                raise
        finally:
            shutil.rmtree(old, ignore_errors=True)


def write_atomic_set(files: Mapping[Path, bytes | str]) -> list[Path]:
    """Write several files of one folder as a set; return their paths.

    Every temporary file is written first (flushed and fsync'ed), then all are renamed over
    their targets while the folder is locked (`folder_lock`). A failure before the renames — a
    full disk, a read-only folder — leaves every target as it was, and two writers of one folder
    never mix their sets. The OSError raised names the target that could not be written.
    """
    pending: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            tmp = _hidden_name(path, "tmp")
            pending.append((tmp, path))  # before it exists: an interrupt never leaks it
            try:
                with os.fdopen(_create(tmp), "wb") as handle:
                    handle.write(data.encode("utf-8") if isinstance(data, str) else data)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from None
        folders = sorted({path.parent for path in files})
        with contextlib.ExitStack() as locks:
            for folder in folders:
                locks.enter_context(folder_lock(folder))
            with interrupts.deferred():  # all the renames, or (before them) none
                for tmp, path in pending:
                    os.replace(tmp, path)
    finally:
        for tmp, _path in pending:  # those not renamed (a failure, an interrupt)
            tmp.unlink(missing_ok=True)
    return list(files)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on `folder` itself (flock; no lock file is left behind).

    Writers of one folder take turns; waiting is interruptible (SIGINT, SIGTERM). Where flock
    does not exist (Windows) the block runs unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def is_archive(name: str) -> bool:
    """Whether the file name ends like an archive `unpack` reads."""
    return name.lower().endswith(ARCHIVES)


def unpack(archive: Path, dest: Path) -> Path:
    """Extract a zip/tar into the folder `dest` (replaced as a whole); return the folder to read.

    Every member is checked first: an absolute path, `..`, a drive letter, or (in a tar) a link
    or device raises UnsafeArchive and nothing is extracted. A single top-level folder is looked
    through, so `mlgate-baseline.zip` holding `mlgate-baseline/baseline.json` reads like the
    folder itself. NotAnArchive when the file is neither zip nor tar.
    """
    import tarfile
    import zipfile

    staging = new_sibling_dir(dest, "new")
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    _check_member(name)
                zf.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    _check_member(member.name)
                    if not (member.isfile() or member.isdir()):
                        raise UnsafeArchive(f"holds a link or device ({member.name}); refused")
                # every member was checked above; the "data" filter (3.12+, backported) re-checks
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tf.extractall(staging, **extra)  # type: ignore[arg-type]
        else:
            raise NotAnArchive("is not a readable zip or tar archive")
        replace_dir(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    entries = [p for p in dest.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _check_member(name: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise UnsafeArchive(f"holds a path outside the archive ({name}); refused")
