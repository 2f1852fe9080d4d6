"""`git:REF:PATH` on real repositories: refs, folders, shallow clones, and every error line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support.sourcekit import WHERE, commit_files, git

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.resolver import SourceContext, fetch_spec, resolve

Ctx = Callable[..., SourceContext]


def test_file_at_a_ref_is_the_committed_blob_not_the_work_tree(repo: Path, make_ctx: Ctx) -> None:
    (repo / "models" / "model.bin").write_bytes(b"uncommitted")
    path = fetch_spec("git:main:models/model.bin", make_ctx(repo))
    assert path.read_bytes() == b"production"
    assert path.name == "model.bin"  # the suffix decides how the model is loaded
    assert fetch_spec("git:feature:models/model.bin", make_ctx(repo)).read_bytes() == b"candidate"
    sha = git(repo, "rev-parse", "main")
    assert fetch_spec(f"git:{sha}:models/model.bin", make_ctx(repo)).read_bytes() == b"production"


def test_dot_slash_path_is_relative_to_the_config_folder(repo: Path, make_ctx: Ctx) -> None:
    commit_files(repo, {"ml/models/m.bin": b"nested"}, "nested")
    assert fetch_spec("git:feature:./models/m.bin", make_ctx(repo / "ml")).read_bytes() == b"nested"
    assert (
        fetch_spec("git:feature:ml/models/m.bin", make_ctx(repo / "ml")).read_bytes() == b"nested"
    )


def test_a_committed_saved_baseline_folder_is_exported_and_read(repo: Path, make_ctx: Ctx) -> None:
    report = {"schema": "mlgate.report/v1", "verdict": "pass", "gates": []}
    manifest = {"schema": "mlgate.baseline/v1", "model": "model.skops", "report": "report.json"}
    commit_files(
        repo,
        {
            "mlgate-baseline/baseline.json": json.dumps(manifest),
            "mlgate-baseline/report.json": json.dumps(report),
            "mlgate-baseline/model.skops": b"model bytes",
        },
        "saved baseline",
    )
    resolved = resolve("git:feature:mlgate-baseline", make_ctx(repo))
    assert resolved.kind == "model"
    assert resolved.path is not None and resolved.path.read_bytes() == b"model bytes"
    assert resolved.report == report


def test_ref_only_on_origin_is_found_as_origin_ref(
    tmp_path: Path, repo: Path, make_ctx: Ctx
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(repo), str(clone))
    assert "main" not in git(clone, "branch", "--list", "main")  # only origin/main exists
    assert fetch_spec("git:main:models/model.bin", make_ctx(clone)).read_bytes() == b"production"


def test_shallow_ci_clone_fetches_the_missing_ref(
    tmp_path: Path, repo: Path, make_ctx: Ctx
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", f"file://{repo}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    assert "origin/main" not in git(clone, "branch", "-r")  # single branch: main is unknown
    path = fetch_spec("git:main:models/model.bin", make_ctx(clone))
    assert path.read_bytes() == b"production"
    assert (
        fetch_spec("git:origin/main:models/model.bin", make_ctx(clone)).read_bytes()
        == b"production"
    )


def test_shallow_clone_whose_origin_is_gone_says_which_fetch(
    tmp_path: Path, repo: Path, make_ctx: Ctx
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", f"file://{repo}", str(clone))
    shutil.rmtree(repo)
    with pytest.raises(BaselineError) as info:
        fetch_spec("git:main:models/model.bin", make_ctx(clone))
    assert info.value.lines() == [
        f"{WHERE}: git ref 'main' is not in this clone and `git fetch --depth=1 origin main` "
        f"failed: fatal: '{repo}' does not appear to be a git repository "
        "(in GitHub Actions set `fetch-depth: 0` on actions/checkout; in GitLab CI set "
        "`GIT_DEPTH: 0`; or run `git fetch --depth=1 origin main` before mlgate)"
    ]


def test_history_ref_in_a_shallow_clone_asks_to_unshallow(
    tmp_path: Path, repo: Path, make_ctx: Ctx
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", f"file://{repo}", str(clone))
    with pytest.raises(BaselineError) as info:
        fetch_spec("git:HEAD~1:models/model.bin", make_ctx(clone))
    assert info.value.lines() == [
        f"{WHERE}: git ref 'HEAD~1' is not in this clone (in GitHub Actions set `fetch-depth: 0` "
        "on actions/checkout; in GitLab CI set `GIT_DEPTH: 0`; or run `git fetch --unshallow` "
        "before mlgate)"
    ]


@pytest.mark.parametrize("spec", ["git:main", "git::models/model.bin", "git:main:", "git: :x"])
def test_spec_without_ref_or_path_is_a_config_error(spec: str, repo: Path, make_ctx: Ctx) -> None:
    with pytest.raises(ConfigError) as info:
        fetch_spec(spec, make_ctx(repo))
    assert info.value.exit_code == 2
    assert info.value.lines() == [
        f"{WHERE}: {spec} needs a ref and a path: git:REF:PATH "
        "(e.g. git:main:models/model.skops, with PATH from the repository root)"
    ]


def test_missing_ref_without_origin(repo: Path, make_ctx: Ctx) -> None:
    with pytest.raises(BaselineError) as info:
        fetch_spec("git:release:models/model.bin", make_ctx(repo))
    assert info.value.exit_code == 3
    assert info.value.lines() == [
        f"{WHERE}: git ref 'release' is not in this clone and `git fetch origin release` failed: "
        "fatal: 'origin' does not appear to be a git repository (in GitHub Actions set "
        "`fetch-depth: 0` on actions/checkout; in GitLab CI set `GIT_DEPTH: 0`; or run "
        "`git fetch origin release` before mlgate)"
    ]


def test_missing_path_at_ref(repo: Path, make_ctx: Ctx) -> None:
    sha = git(repo, "rev-parse", "main")
    with pytest.raises(BaselineError) as info:
        fetch_spec("git:main:models/missing.skops", make_ctx(repo))
    assert info.value.lines() == [
        f"{WHERE}: models/missing.skops does not exist at main ({sha[:12]}) (PATH is relative to "
        "the repository root, ./PATH to the config's folder; list the files with: "
        "git ls-tree -r --name-only main)"
    ]


def test_not_a_repository(tmp_path: Path, make_ctx: Ctx) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(BaselineError) as info:
        fetch_spec(
            "git:main:models/model.bin", make_ctx(folder, GIT_CEILING_DIRECTORIES=str(tmp_path))
        )
    assert info.value.lines() == [
        f"{WHERE}: git:main:models/model.bin: {folder} is not inside a git repository "
        "(run mlgate in a clone of the repository, or use another baseline spec)"
    ]


def test_lfs_pointer_is_not_taken_for_the_model(repo: Path, make_ctx: Ctx) -> None:
    pointer = (
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    commit_files(repo, {"models/big.skops": pointer}, "lfs")
    with pytest.raises(BaselineError) as info:
        fetch_spec("git:feature:models/big.skops", make_ctx(repo))
    if shutil.which("git-lfs") is None:
        assert info.value.lines() == [
            f"{WHERE}: models/big.skops at feature is a Git LFS pointer and git-lfs is not "
            "installed (install git-lfs, or point models.baseline at a URL or an artifact)"
        ]
    else:  # no LFS server behind this repository: the fetch itself must fail, loudly
        assert "is a Git LFS pointer and git-lfs could not fetch it" in info.value.lines()[0]
    assert not list((repo.parent / "cache").rglob("big.skops"))  # nothing half-made is cached


def test_a_fetched_blob_is_reused_from_the_cache(repo: Path, make_ctx: Ctx) -> None:
    first = fetch_spec("git:main:models/model.bin", make_ctx(repo))
    first.write_bytes(b"production")  # same content, new mtime marker below
    stamp = first.stat().st_mtime_ns
    again = fetch_spec("git:main:models/model.bin", make_ctx(repo))
    assert again == first and again.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("ref", ["--upload-pack=touch pwned", "-main", "ma in"])
def test_a_ref_never_becomes_a_git_option(ref: str, repo: Path, make_ctx: Ctx) -> None:
    with pytest.raises(ConfigError) as info:
        fetch_spec(f"git:{ref}:models/model.bin", make_ctx(repo))
    assert info.value.lines() == [
        f"{WHERE}: {ref!r} is not a git ref (name a branch, tag or commit)"
    ]
    assert not (repo / "pwned").exists()
