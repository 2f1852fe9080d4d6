"""Fixtures for the baseline sources: real git repositories and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from support.sourcekit import GIT_ENV, WHERE, commit_files, git  # noqa: F401  (re-exported for fixtures)

from mlgate.load.baseline.resolver import SourceContext


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's ~/.gitconfig must not change what the sources see."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main holds models/model.bin = b'production', and a feature branch
    (checked out) where the work tree holds b'candidate'."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_files(root, {"models/model.bin": b"production", "mlgate.yaml": "version: 1\n"}, "main")
    git(root, "checkout", "-q", "-b", "feature")
    commit_files(root, {"models/model.bin": b"candidate"}, "feature")
    return root


@pytest.fixture
def make_ctx(tmp_path: Path) -> Callable[..., SourceContext]:
    def make(root: Path | None = None, *, sha256: str | None = None, **env: str) -> SourceContext:
        defaults = {
            "MLGATE_HTTP_TIMEOUT": "5",
            "MLGATE_HTTP_RETRIES": "2",
            "MLGATE_HTTP_BACKOFF": "0",
        }
        return SourceContext(
            root=root or tmp_path,
            cache=tmp_path / "cache",
            where=WHERE,
            sha256=sha256,
            env={**defaults, **env},
        )

    return make


@pytest.fixture(scope="session")
def _running_server() -> Iterator[HTTPServer]:
    # threaded: a sleeping handler must not block the next request; one per session because
    # stopping a server waits out its poll interval
    httpserver = HTTPServer(host="127.0.0.1", threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.stop()


@pytest.fixture
def server(_running_server: HTTPServer) -> Iterator[HTTPServer]:
    """A fake HTTP server on 127.0.0.1 with no expectations and an empty log."""
    _running_server.clear()
    yield _running_server
    _running_server.clear()
