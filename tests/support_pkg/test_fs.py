"""mlgate.support.fs: whole files or none, one permission rule, archives that stay in their folder."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgate.support import fs


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_atomic_replaces_the_file_and_leaves_nothing_beside(
    tmp_path: Path, umask_022: object
) -> None:
    target = tmp_path / "out" / "report.json"
    fs.write_atomic(target, "first\n")
    fs.write_atomic(target, b"second\n")
    assert target.read_bytes() == b"second\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_files_and_folders_follow_the_umask(tmp_path: Path) -> None:
    """One rule: 0o666 / 0o777 less the umask (mkstemp's 0o600 would hide a CI artifact)."""
    old = os.umask(0o027)
    try:
        file = fs.write_atomic(tmp_path / "a.txt", "x")
        folder = fs.new_sibling_dir(tmp_path / "b", "new")
        with fs.atomic_stream(tmp_path / "c.bin") as out:
            out.write(b"c")
    finally:
        os.umask(old)
    assert _mode(file) == 0o640
    assert _mode(folder) == 0o750
    assert _mode(tmp_path / "c.bin") == 0o640


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = fs.write_atomic(tmp_path / "m.bin", b"old")
    with pytest.raises(RuntimeError), fs.atomic_stream(target) as out:
        out.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.bin"]


def test_a_stream_can_be_read_back_and_rewritten(tmp_path: Path) -> None:
    with fs.atomic_stream(tmp_path / "x") as out:
        out.write(b"pointer")
        out.seek(0)
        assert out.read() == b"pointer"
        out.seek(0)
        out.truncate()
        out.write(b"object")
    assert (tmp_path / "x").read_bytes() == b"object"


def test_replace_dir_swaps_a_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "baseline"
    target.mkdir()
    (target / "old.txt").write_text("old")
    staging = fs.new_sibling_dir(target, "new")
    (staging / "new.txt").write_text("new")
    fs.replace_dir(staging, target)
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["baseline"]


def test_scratch_file_is_removed(tmp_path: Path) -> None:
    with fs.scratch_file(tmp_path, ".zip") as path:
        path.write_bytes(b"x")
        assert path.parent == tmp_path and path.name.endswith(".zip")
    assert list(tmp_path.iterdir()) == []


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_unpack_looks_through_a_single_top_folder(tmp_path: Path, umask_022: object) -> None:
    archive = _zip(tmp_path, {"mlgate-baseline/baseline.json": b"{}"})
    folder = fs.unpack(archive, tmp_path / "dest")
    assert folder == tmp_path / "dest" / "mlgate-baseline"
    assert (folder / "baseline.json").read_bytes() == b"{}"
    assert _mode(tmp_path / "dest") == 0o755
    again = fs.unpack(_zip(tmp_path, {"m.bin": b"2"}), tmp_path / "dest")  # replaces the folder
    assert again == tmp_path / "dest" and sorted(p.name for p in again.iterdir()) == ["m.bin"]


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "C:evil"])
def test_unpack_refuses_members_leaving_the_folder(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path, {"ok.txt": b"1", name: b"2"})
    with pytest.raises(fs.UnsafeArchive) as caught:
        fs.unpack(archive, tmp_path / "dest")
    assert str(caught.value) == f"holds a path outside the archive ({name}); refused"
    assert not (tmp_path / "dest").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


def test_unpack_refuses_links_in_a_tar(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tf:
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
        data = tarfile.TarInfo("f.txt")
        data.size = 1
        tf.addfile(data, io.BytesIO(b"x"))
    with pytest.raises(fs.UnsafeArchive, match=r"^holds a link or device \(link\); refused$"):
        fs.unpack(archive, tmp_path / "dest")


def test_unpack_says_when_it_is_no_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "x.zip"
    bogus.write_bytes(b"not an archive")
    with pytest.raises(fs.NotAnArchive, match=r"^is not a readable zip or tar archive$"):
        fs.unpack(bogus, tmp_path / "dest")
    assert fs.is_archive("A.TAR.GZ") and not fs.is_archive("m.skops")
