"""mlgate.support.git on real repositories: refs never become options, no prompt, one error shape."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from support.sourcekit import commit_files, git

from mlgate.support import git as wrapper


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_files(root, {"a.txt": "one\n"}, "first")
    return root


def test_output_is_stripped_stdout_or_none(repo: Path, tmp_path: Path) -> None:
    assert wrapper.output(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    sha = git(repo, "rev-parse", "HEAD")
    assert wrapper.output(repo, "rev-parse", "--verify", "--quiet", refs=["main^{commit}"]) == sha
    assert wrapper.output(repo, "rev-parse", "--verify", "--quiet", refs=["nope^{commit}"]) is None
    outside = tmp_path / "plain"
    outside.mkdir()
    assert wrapper.output(outside, "rev-parse", "HEAD") is None


def test_a_ref_that_looks_like_an_option_is_refused_before_git_runs(
    repo: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    evil = f"--output={marker}"
    with pytest.raises(wrapper.BadRef, match="is not a git ref"):
        wrapper.run(repo, "log", "-1", refs=[evil])
    assert wrapper.output(repo, "log", "-1", refs=[evil]) is None
    assert not marker.exists()


def test_refs_reach_git_as_positional_arguments(repo: Path) -> None:
    done = wrapper.run(repo, "cat-file", "-t", refs=["HEAD:a.txt"])
    assert done.ok and done.stdout.strip() == "blob"
    missing = wrapper.run(repo, "cat-file", "-t", refs=["HEAD:nope.txt"])
    assert not missing.ok
    assert missing.first_error_line().startswith("fatal:")


def test_validate_refs_uses_check_ref_format(repo: Path) -> None:
    assert wrapper.is_ref_name("main")
    assert wrapper.is_ref_name("feature/x")
    for bad in ("", "-x", "a..b", "x.lock", "HEAD~1", "a b", "main^"):
        assert not wrapper.is_ref_name(bad), bad
    with pytest.raises(wrapper.BadRef, match="not a valid git ref name"):
        wrapper.run(repo, "rev-parse", "--verify", refs=["a..b"], validate_refs=True)
    done = wrapper.run(repo, "rev-parse", "--verify", refs=["main"], validate_refs=True)
    assert done.ok


def test_messages_are_in_english_and_prompts_are_off(repo: Path) -> None:
    """LC_ALL=C whatever the caller's locale; the quiet variables reach git's children."""
    probe = repo / "probe.sh"
    probe.write_text('#!/bin/sh\necho "$GIT_TERMINAL_PROMPT $LC_ALL $GIT_ASKPASS"\n')
    probe.chmod(probe.stat().st_mode | stat.S_IXUSR)
    git(repo, "config", "alias.probe", f"!{probe}")
    assert wrapper.output(repo, "probe") == "0 C true"


def test_stdin_is_closed_so_nothing_waits_for_input(repo: Path) -> None:
    probe = repo / "read.sh"
    probe.write_text("#!/bin/sh\nif read line; then echo got; else echo eof; fi\n")
    probe.chmod(probe.stat().st_mode | stat.S_IXUSR)
    git(repo, "config", "alias.readin", f"!{probe}")
    assert wrapper.output(repo, "readin") == "eof"
    assert wrapper.run(repo, "readin", input=b"x\n").stdout.strip() == "got"


def test_a_hanging_command_times_out_with_one_line(repo: Path) -> None:
    probe = repo / "hang.sh"
    probe.write_text("#!/bin/sh\nexec sleep 5\n")
    probe.chmod(probe.stat().st_mode | stat.S_IXUSR)
    git(repo, "config", "alias.hang", f"!{probe}")
    with pytest.raises(wrapper.GitTimeout) as caught:
        wrapper.run(repo, "hang", timeout=0.5)
    assert str(caught.value) == "`git hang` timed out after 0.5 s"
    assert wrapper.output(repo, "hang", timeout=0.5) is None


def test_output_can_stream_to_a_file(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "blob"
    with target.open("wb") as out:
        done = wrapper.run(repo, "cat-file", "blob", refs=["HEAD:a.txt"], stdout=out)
    assert done.ok and done.stdout == ""
    assert target.read_text() == "one\n"
