"""The one way mlgate runs git: no prompt, C locale, stdin closed, a timeout, refs never options.

Every git subprocess of the package goes through `run` (or `output`, its quiet form). A CI job
has no terminal: a credential prompt would hang it until the job's own timeout, so prompting is
off (`GIT_TERMINAL_PROMPT=0`, askpass answers nothing) and stdin is closed unless data is piped
in. `LC_ALL=C` keeps git's messages, which mlgate quotes, in English whatever the locale.

Refs come from config files and the command line. They are passed after `--end-of-options`
(git >= 2.30 for rev-parse), so `--upload-pack=…` can never be read as an option, and a ref
that starts with `-` is refused before git runs. `validate_refs=True` also checks each one with
`git check-ref-format --allow-onelevel` (for names sent to a remote, where `HEAD~1` or a sha
make no sense).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCAL_TIMEOUT_S = 60.0  # commands on the local clone
FETCH_TIMEOUT_S = 300.0  # commands that reach a remote (fetch, git-lfs)
QUIET_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never ask for a username/password on a terminal
    "GIT_ASKPASS": "true",  # ... nor through an askpass program (answers nothing)
    "SSH_ASKPASS": "true",
    "GCM_INTERACTIVE": "never",  # Git Credential Manager
    "LC_ALL": "C",  # messages in English: they are quoted in mlgate's errors
}


class GitTimeout(Exception):
    """A git command did not finish in time (`shown` is the command, `timeout` in seconds)."""

    def __init__(self, shown: str, timeout: float) -> None:
        super().__init__(f"`{shown}` timed out after {timeout:g} s")
        self.shown = shown
        self.timeout = timeout


class BadRef(ValueError):
    """A ref that git must not see: it starts with `-`, or check-ref-format refused it."""


@dataclass(frozen=True)
class Result:
    """What a git command did. `stdout` is the decoded output ("" when it was streamed to a
    file), `data` the same bytes undecoded."""

    returncode: int
    stdout: str
    stderr: str
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def first_error_line(self) -> str:
        """git's first non-empty stderr line, for a one-line message."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[0] if lines else "(no message)"


def available() -> bool:
    """Whether a git executable is on PATH."""
    return shutil.which("git") is not None


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs with: the process's (or `base`) plus `QUIET_ENV`."""
    return {**(os.environ if base is None else base), **QUIET_ENV}


def shown(args: Sequence[str], refs: Sequence[str] = ()) -> str:
    """`git ARGS REFS` as a message shows it (without the `--end-of-options` plumbing)."""
    return " ".join(["git", *args, *refs])


def is_ref_name(name: str) -> bool:
    """Whether `name` is a well-formed ref name (`git check-ref-format --allow-onelevel`)."""
    if not name or name.startswith("-"):
        return False
    try:
        done = subprocess.run(
            ["git", "check-ref-format", "--allow-onelevel", name],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=LOCAL_TIMEOUT_S,
            env=environment(),
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def run(
    root: Path,
    *args: str,
    refs: Sequence[str] = (),
    validate_refs: bool = False,
    timeout: float = LOCAL_TIMEOUT_S,
    stdout: IO[bytes] | None = None,
    input: bytes | None = None,
) -> Result:
    """Run `git ARGS --end-of-options REFS` in `root`.

    `stdout` streams the output to an open binary file instead of memory; `input` is piped to
    git's stdin (else stdin is closed). Raises BadRef for a ref git must not see, GitTimeout
    when the command runs longer than `timeout`, and OSError when git cannot be started.
    """
    for ref in refs:
        if ref.startswith("-") or "\0" in ref:
            raise BadRef(f"{ref!r} is not a git ref")
        if validate_refs and not is_ref_name(ref):
            raise BadRef(f"{ref!r} is not a valid git ref name")
    command = ["git", *args, *(["--end-of-options", *refs] if refs else [])]
    try:
        done = subprocess.run(
            command,
            cwd=root,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            env=environment(),
        )
    except subprocess.TimeoutExpired:
        raise GitTimeout(shown(args, refs), timeout) from None
    data = done.stdout if isinstance(done.stdout, bytes) else b""
    return Result(
        returncode=done.returncode,
        stdout=data.decode("utf-8", "replace"),
        stderr=(done.stderr or b"").decode("utf-8", "replace"),
        data=data,
    )


def output(
    root: Path, *args: str, refs: Sequence[str] = (), timeout: float = LOCAL_TIMEOUT_S
) -> str | None:
    """git's stripped stdout ("" when it printed nothing), or None when the command failed,
    timed out, was refused (a bad ref) or git is missing."""
    try:
        done = run(root, *args, refs=refs, timeout=timeout)
    except (OSError, GitTimeout, BadRef):
        return None
    return done.stdout.strip() if done.ok else None
