"""Full disks and read-only folders: exit 3 naming the place, and what was there survives.

Real file systems: each case mounts a small tmpfs (`mount -t tmpfs`, root in CI and here),
fills it or remounts it read-only, and runs the real CLI against it. Where mounting is not
permitted the cases are skipped, saying why.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.projects import Project, base_config
from support.report_fixtures import build_blocked

from mlgate.load.baseline.resolver import MANIFEST_SCHEMA
from mlgate.pipeline import error_report
from mlgate.report import write_reports

Mount = Callable[[str], Path]
HANG_GUARD_S = 300  # only against a hung test


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Mount]:
    """mount(name) -> a fresh 1 MB tmpfs at tmp_path/name, unmounted after the test."""
    points: list[Path] = []

    def mount(name: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        points.append(point)
        return point

    yield mount
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(point: Path, *, leave: int = 0) -> None:
    """Fill the file system at `point`, then free about `leave` bytes (whole pages)."""
    filler = point / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    if leave:
        os.truncate(filler, max(filler.stat().st_size - leave, 0))


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """The folder's files (a hidden temporary file is in it only while it is being written)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def previous_reports(folder: Path) -> dict[str, bytes]:
    """A small previous set: replacing its files frees little room for the new ones."""
    write_reports(error_report(["the previous run"]), folder)
    return snapshot(folder)


# --- the report folder ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("leave", [0, 32 * 1024], ids=["full", "room-for-report.json-only"])
def test_full_disk_exits_3_naming_the_file_and_keeps_the_previous_reports(
    project: Project, tmpfs: Mount, leave: int
) -> None:
    """Also when report.json (~20 kB here) still fits but not every view after it: the set is
    written whole or not at all, never the new report.json beside the old report.html."""
    out = tmpfs("reports") / "mlgate-report"
    before = previous_reports(out)
    fill(out.parent, leave=leave)
    project.config(base_config("models/retrain.skops"))
    result = project.run("run", "--out", str(out))
    assert result.returncode == 3, result.stderr
    last = result.stderr.splitlines()[-1]
    if not leave:
        assert last == (
            f"mlgate: error: {out / 'report.json'}: cannot write the report: No space left on "
            "device"
        )
    assert last.startswith(f"mlgate: error: {out}{os.sep}"), last  # names a file in the folder
    assert last.endswith(": cannot write the report: No space left on device"), last
    assert snapshot(out) == before  # and no temporary file left behind


@pytest.mark.slow
def test_read_only_report_folder_exits_3_and_keeps_the_previous_reports(
    project: Project, tmpfs: Mount
) -> None:
    out = tmpfs("reports") / "mlgate-report"
    before = previous_reports(out)
    remount_read_only(out.parent)
    project.config(base_config("models/retrain.skops"))
    result = project.run("run", "--out", str(out))
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"mlgate: error: {out / 'report.json'}: cannot write the report: Read-only file system"
    )
    assert snapshot(out) == before


def test_a_report_folder_that_cannot_be_created_exits_3(project: Project, tmpfs: Mount) -> None:
    point = tmpfs("reports")
    remount_read_only(point)
    project.config(base_config("models/retrain.skops"))
    result = project.run("render", str(_a_report(project.root)), "--out", str(point / "new"))
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"mlgate: error: {point / 'new'}: cannot create the report folder: Read-only file system"
    )


def _a_report(root: Path) -> Path:
    folder = root / "given"
    write_reports(build_blocked(), folder, formats=("json",))
    return folder / "report.json"


# --- baseline save --to -----------------------------------------------------------------------


def previous_baseline(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True)
    manifest = {"schema": MANIFEST_SCHEMA, "files": ["report.json"], "report": "report.json"}
    (folder / "baseline.json").write_text(json.dumps(manifest))
    (folder / "report.json").write_text('{"previous": "baseline"}\n')
    return snapshot(folder)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["full", "read-only"])
def test_a_failed_baseline_save_keeps_the_previous_baseline(
    project: Project, tmpfs: Mount, how: str
) -> None:
    point = tmpfs("baselines")
    target = point / "mlgate-baseline"
    before = previous_baseline(target)
    if how == "full":
        fill(point)
    else:
        remount_read_only(point)
    project.config(base_config("models/retrain.skops"))
    result = project.run("baseline", "save", "--to", str(target))
    assert result.returncode == 3, result.stderr
    reason = "No space left on device" if how == "full" else "Read-only file system"
    assert result.stderr.splitlines()[-1] == (
        f"mlgate: error: {target}: cannot write the baseline: {reason}; the previous baseline, "
        "if any, is unchanged (free some space or choose a writable folder with --to)"
    )
    assert snapshot(target) == before
    leftovers = sorted(
        p.name for p in point.iterdir() if p.name not in ("mlgate-baseline", "filler")
    )
    assert leftovers == []  # the staging folder is gone


# --- races ------------------------------------------------------------------------------------


def test_a_second_writer_of_a_report_folder_waits_for_the_first(tmp_path: Path) -> None:
    """Writers of one report folder take turns (a lock on the folder), so two runs at once never
    leave one's report.json beside the other's report.html. Event-driven: the test holds the
    lock, and lets go once the kernel lists the CLI as waiting for it (/proc/locks)."""
    import fcntl

    out = tmp_path / "mlgate-report"
    before = previous_reports(out)
    source = _a_report(tmp_path)
    held = os.open(out, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # another writer, between its first and last rename
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlgate", "render", str(source), "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + HANG_GUARD_S
        while not _waits_for_a_lock(proc.pid) and proc.poll() is None:
            assert time.monotonic() < deadline, "the CLI never waited for the folder"
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        shown = {name: data for name, data in snapshot(out).items() if not name.startswith(".")}
        assert shown == before  # nothing replaced while the other writer holds the folder
    finally:
        os.close(held)
    _, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, err
    assert json.loads((out / "report.json").read_text())["verdict"] == "fail"
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no temporary file left


def _waits_for_a_lock(pid: int) -> bool:
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and "FLOCK" in line and f" {pid} " in line for line in lines)


def test_concurrent_writers_of_one_file_never_tear_it(tmp_path: Path) -> None:
    """Two processes replace one cache file over and over (different 1 MB contents) while this
    one reads it: every read is one writer's whole content."""
    target = tmp_path / "cache" / "model.skops"
    target.parent.mkdir()
    target.write_bytes(b"a" * (1 << 20))
    writer = (
        "import sys\nfrom pathlib import Path\nfrom mlgate.support.fs import write_atomic\n"
        "data = sys.argv[2].encode() * (1 << 20)\nfor _ in range(150):\n"
        "    write_atomic(Path(sys.argv[1]), data)\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", writer, str(target), letter])
        for letter in ("a", "b")
    ]
    while any(w.poll() is None for w in writers):
        data = target.read_bytes()
        assert data in (b"a" * (1 << 20), b"b" * (1 << 20)), (len(data), data[:1], data[-1:])
    assert [w.wait() for w in writers] == [0, 0]
    assert [p.name for p in target.parent.iterdir()] == ["model.skops"]


@pytest.mark.slow
def test_full_disk_under_the_baseline_cache_leaves_no_half_cached_model(
    project: Project, tmpfs: Mount
) -> None:
    """A `git:` baseline is exported into the cache (MLGATE_CACHE_DIR): on a full disk the run
    is exit 3, nothing half-written is left in the cache, and the previous reports stay."""
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    # the checkout is a sibling of the full disk: a cache inside the work tree is refused
    repo = project.root / "repo"
    repo.mkdir()
    for folder in ("models", "data"):
        (project.root / folder).rename(repo / folder)
    project = Project(repo)
    subprocess.run([*git, "init", "-q"], cwd=project.root, check=True)
    subprocess.run([*git, "add", "models", "data"], cwd=project.root, check=True)
    subprocess.run([*git, "commit", "-qm", "models"], cwd=project.root, check=True)
    out = tmpfs("reports") / "mlgate-report"
    before = previous_reports(out)
    fill(out.parent)
    doc = base_config("models/retrain.skops")
    doc["models"]["baseline"] = "git:HEAD:models/production.skops"
    project.config(doc)
    cache = out.parent / "cache"  # outside the checkout (issue 13), on the full disk
    result = project.run("run", "--out", str(out), env={"MLGATE_CACHE_DIR": str(cache)})
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"mlgate: error: {out / 'report.json'}: cannot write the report: No space left on device"
    )
    assert snapshot(out) == before
    cached = [p for p in cache.rglob("*") if p.is_file()]
    assert cached == []  # no half-exported model for the next run to trust


def test_concurrent_folder_swaps_into_one_place_all_succeed(tmp_path: Path) -> None:
    """Two `baseline save`s at once: each swap finds the place as the other left it (a lock),
    so neither fails with "Directory not empty" and the folder is always one save's, whole."""
    swapper = (
        "import sys\nfrom pathlib import Path\nfrom mlgate.support import fs\n"
        "target = Path(sys.argv[1])\nfor i in range(60):\n"
        "    staging = fs.new_sibling_dir(target, 'new')\n"
        "    for name in ('model.skops', 'report.json', 'baseline.json'):\n"
        "        (staging / name).write_text(sys.argv[2])\n"
        "    fs.replace_dir(staging, target)\n"
    )
    target = tmp_path / "mlgate-baseline"
    swappers = [
        subprocess.Popen(
            [sys.executable, "-c", swapper, str(target), letter], stderr=subprocess.PIPE, text=True
        )
        for letter in ("a", "b")
    ]
    for proc in swappers:
        _, err = proc.communicate(timeout=HANG_GUARD_S)
        assert proc.returncode == 0, err
    contents = {p.read_text() for p in target.iterdir()}
    assert sorted(p.name for p in target.iterdir()) == [
        "baseline.json",
        "model.skops",
        "report.json",
    ]
    assert len(contents) == 1  # one save's files, not a mix
    assert [p.name for p in tmp_path.iterdir()] == ["mlgate-baseline"]  # no staging left


@pytest.mark.slow
def test_full_cache_disk_names_the_cache_not_the_report(project: Project, tmpfs: Mount) -> None:
    """The cache alone is on a full disk (the report folder has room): the run is exit 3, the
    message names the cache file that could not be written, and nothing half-cached stays."""
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    repo = project.root / "repo"
    repo.mkdir()
    for folder in ("models", "data"):
        (project.root / folder).rename(repo / folder)
    project = Project(repo)
    subprocess.run([*git, "init", "-q"], cwd=project.root, check=True)
    subprocess.run([*git, "add", "models", "data"], cwd=project.root, check=True)
    subprocess.run([*git, "commit", "-qm", "models"], cwd=project.root, check=True)
    cache = tmpfs("cache")
    fill(cache)
    doc = base_config("models/retrain.skops")
    doc["models"]["baseline"] = "git:HEAD:models/production.skops"
    project.config(doc)
    out = project.root.parent / "mlgate-report"
    result = project.run("run", "--out", str(out), env={"MLGATE_CACHE_DIR": str(cache)})
    assert result.returncode == 3, result.stderr
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = cache / "git" / head / "models" / "production.skops"
    why = (
        f"mlgate.yaml: models.baseline: git:HEAD:models/production.skops: {target}: cannot "
        "write the baseline cache: No space left on device (free space there, or point "
        "MLGATE_CACHE_DIR at a writable folder)"
    )
    gates = json.loads((out / "report.json").read_text())["gates"]
    assert [g["message"] for g in gates if g["status"] == "error"] == [why]
    assert [p for p in cache.rglob("*") if p.is_file()] == [cache / "filler"]  # nothing half-cached
