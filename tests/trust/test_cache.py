"""Attack 3: plant the cache. A PR committed the candidate as the cached production model.

Before issue 13 the cache was `REPORT_DIR/.cache` inside the checkout and reused by name, so
`mlgate-report/.cache/git/<sha of main>/models/production.skops` made the gate compare the
candidate with itself (blocked -> pass). Now the cache lives outside the work tree and a cached
blob is reused only when its git object id matches.
"""

from __future__ import annotations

import shutil

import pytest
from support.projects import Project

from mlgate.errors import ConfigError
from mlgate.load.baseline import git as git_source
from mlgate.load.baseline.cache import cache_root
from mlgate.load.baseline.common import SourceContext
from trust.gitrepo import commit, git, main_then_branch, rules

SPEC = "git:main:models/production.skops"


def planted_repo(project: Project) -> str:
    doc = rules()
    doc["models"]["baseline"] = SPEC
    main = main_then_branch(project.root, doc)
    plant = project.root / "mlgate-report" / ".cache" / "git" / main / "models"
    plant.mkdir(parents=True)
    shutil.copy(project.root / "models" / "regressed.skops", plant / "production.skops")
    git(project.root, "add", "-f", "mlgate-report/.cache")
    commit(project.root, "plant the cache")
    return main


@pytest.mark.slow
def test_a_committed_cache_entry_no_longer_changes_the_verdict(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    planted_repo(project)
    outside = tmp_path_factory.mktemp("xdg")
    done = project.run("run", env={"XDG_CACHE_HOME": str(outside), "HOME": str(outside)})
    assert done.returncode == 1, done.stderr  # the planted copy was a pass before issue 13
    assert project.report()["gates"][0]["status"] == "fail"
    assert list((outside / "mlgate" / "git").rglob("production.skops"))

    inside = project.root / "mlgate-report" / ".cache"
    done = project.run("run", env={"MLGATE_CACHE_DIR": str(inside)})
    assert done.returncode == 2, done.stderr
    assert (
        f"mlgate: error: MLGATE_CACHE_DIR: '{inside}' is inside the work tree "
        f"{project.root.resolve()}, where a pull request could plant a cached baseline"
    ) in done.stderr


def test_a_tampered_cache_entry_outside_the_tree_is_exported_again(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    main = main_then_branch(project.root, rules())
    cache = tmp_path_factory.mktemp("cache")
    ctx = SourceContext(root=project.root, cache=cache, where="mlgate.yaml: models.baseline")
    first = git_source.fetch("main:models/production.skops", ctx)
    assert first == cache / "git" / main / "models" / "production.skops"
    production = (project.root / "models" / "production.skops").read_bytes()
    assert first.read_bytes() == production
    shutil.copy(project.root / "models" / "regressed.skops", first)  # someone swapped it
    again = git_source.fetch("main:models/production.skops", ctx)
    assert again.read_bytes() == production


def test_the_cache_defaults_outside_the_checkout(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    main_then_branch(project.root, rules())
    tmp_path = tmp_path_factory.mktemp("outside")
    runner = tmp_path / "runner-temp"
    assert (
        cache_root(project.root, {"RUNNER_TEMP": str(runner)}) == runner.resolve() / "mlgate-cache"
    )
    xdg = tmp_path / "xdg"
    assert cache_root(project.root, {"XDG_CACHE_HOME": str(xdg)}) == xdg.resolve() / "mlgate"
    # a default that falls inside the work tree (HOME = the checkout) is not used
    chosen = cache_root(project.root, {"HOME": str(project.root)})
    assert not chosen.is_relative_to(project.root.resolve())
    with pytest.raises(ConfigError) as caught:
        cache_root(project.root, {"MLGATE_CACHE_DIR": "mlgate-report/.cache"})
    assert caught.value.lines()[0].startswith(
        "MLGATE_CACHE_DIR: 'mlgate-report/.cache' is inside the work tree "
    )
