"""The lock of the release (constraints/mlgate-VERSION.txt): in pyproject's bounds, complete, used.

The lock is what `make install`, the action and the GitLab template install with, so the suite
runs on exactly the versions users get. These tests read it as data (packaging's parsers).
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import mlgate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "constraints" / f"mlgate-{mlgate.__version__}.txt"
Pin = tuple[str, Version, "Marker | None"]


def pins(text: str) -> list[Pin]:
    found: list[Pin] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        name, sep, version = requirement.strip().partition("==")
        assert sep and version, f"not an exact pin: {line!r}"
        found.append(
            (canonicalize_name(name), Version(version), Marker(marker) if marker.strip() else None)
        )
    return found


def declared(pyproject: str) -> list[Requirement]:
    """Every dependency pyproject.toml declares, of the package and of every extra."""
    project = tomllib.loads(pyproject)["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return [r for r in map(Requirement, lines) if canonicalize_name(r.name) != "mlgate"]


def violations(pyproject: str, lock: str) -> list[str]:
    """What in the lock breaks pyproject's bounds, or what pyproject needs that it lacks."""
    locked = pins(lock)
    problems = []
    for requirement in declared(pyproject):
        name = canonicalize_name(requirement.name)
        mine = [(version, marker) for pin, version, marker in locked if pin == name]
        if not mine:
            problems.append(f"{requirement}: not in the lock")
        for version, _marker in mine:
            if not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{name}=={version} is outside {requirement}")
    return problems


def test_the_release_has_a_lock_that_names_its_version() -> None:
    text = LOCK.read_text()
    assert text.startswith(f"# mlgate {mlgate.__version__}: the lock of this release")
    assert pins(text)


def test_the_lock_is_within_pyproject_bounds_and_complete() -> None:
    assert violations((ROOT / "pyproject.toml").read_text(), LOCK.read_text()) == []


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("scikit-learn>=1.4", "scikit-learn>=99"), "outside scikit-learn>=99"),
        (('"rich>=13",', '"rich>=13",\n  "left-pad>=1",'), "left-pad>=1: not in the lock"),
    ],
)
def test_a_bound_the_lock_breaks_is_found(edit: tuple[str, str], problem: str) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert edit[0] in pyproject
    found = violations(pyproject.replace(*edit), LOCK.read_text())
    assert any(problem in line for line in found), found


def test_every_pin_is_exact_and_unique_per_environment() -> None:
    seen: set[tuple[str, str]] = set()
    for name, _version, marker in pins(LOCK.read_text()):
        key = (name, str(marker))
        assert key not in seen, f"{name} pinned twice for {marker}"
        seen.add(key)


def test_the_test_environment_is_the_lock() -> None:
    """`make install` installs with the lock: what this suite runs on is what users get."""
    differ = []
    for name, version, marker in pins(LOCK.read_text()):
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # e.g. a Windows-only package
        if Version(installed) != version:
            differ.append(f"{name} {installed} (lock: {version})")
    assert differ == [], "run `make install` (it installs with the lock)"
