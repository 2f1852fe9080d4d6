"""Hostile `.skops` files never run code (issue 12.1): a marker file the payloads would write
never appears, whichever way the file reaches mlgate — candidate, every baseline source, `mlgate
check`, and the performance gate's child process. Each payload is first shown to be live."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from support.projects import Project, base_config

from mlgate.errors import InputError
from mlgate.load.models import Model, ModelRef, load
from security.hostile import MODULE, hostile, payloads, write_pwn_module

NAMES = sorted(payloads(Path("m")))
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _ref(path: Path, key: str = "models.candidate") -> ModelRef:
    return ModelRef(key, f"mlgate.yaml: {key}", path.name, path, "skops", root=path.parent)


@pytest.fixture
def armed(project: Project, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The marker path; the module the import payloads load sits in the project folder."""
    marker = project.root / "PWNED"
    write_pwn_module(project.root, marker)
    monkeypatch.syspath_prepend(str(project.root))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return marker


def all_in_one(project: Project, marker: Path, name: str = "hostile.skops") -> Path:
    """The production model carrying every payload at once."""
    path = project.root / "models" / name
    shutil.copy(project.root / "models" / "production.skops", path)
    for index, payload in enumerate(payloads(marker).values()):
        hostile(path, payload, path, key=f"payload_{index}")
    return path


@pytest.mark.parametrize("name", NAMES)
def test_each_payload_is_live_when_skops_is_told_to_trust_it(
    project: Project, armed: Path, name: str
) -> None:
    """The control: trusting what the file asks for runs the payload (so the tests below can
    fail)."""
    import skops.io as sio

    path = hostile(
        project.root / "models" / "production.skops",
        payloads(armed)[name],
        project.root / "models" / "hostile.skops",
    )
    # some payloads return objects the estimator cannot take: they ran all the same
    with contextlib.suppress(Exception):
        sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert armed.exists(), name


@pytest.mark.parametrize("name", NAMES)
def test_each_payload_is_refused_naming_its_type_and_the_key(
    project: Project, armed: Path, name: str
) -> None:
    path = hostile(
        project.root / "models" / "production.skops",
        payloads(armed)[name],
        project.root / "models" / "hostile.skops",
    )
    with pytest.raises(InputError) as info:
        load(_ref(path))
    assert not armed.exists(), name
    line = info.value.lines()[0]
    assert info.value.exit_code == 3
    assert line.startswith(
        "mlgate.yaml: models.candidate: hostile.skops contains types mlgate does not trust: "
    ), line
    assert line.endswith(
        " (if you trust them, list them under models.candidate.trust (exact names))"
    ), line


def test_the_refusal_lists_the_types_exactly(project: Project, armed: Path) -> None:
    path = hostile(
        project.root / "models" / "production.skops",
        payloads(armed)["numpy.testing.runstring"],
        project.root / "models" / "h.skops",
    )
    with pytest.raises(InputError) as info:
        load(_ref(path, "models.baseline"))
    assert info.value.lines() == [
        "mlgate.yaml: models.baseline: h.skops contains types mlgate does not trust: "
        "numpy.testing._private.utils.runstring (if you trust them, list them under "
        "models.baseline.trust (exact names))"
    ]


def test_trust_adds_exact_names_only(project: Project, armed: Path) -> None:
    """A root or prefix in `trust:` trusts nothing: only the exact name does."""
    path = hostile(
        project.root / "models" / "production.skops",
        payloads(armed)["builtins.open"],
        project.root / "models" / "h.skops",
    )
    for loose in (("builtins",), ("builtins.",), ("builtins.*",), ("builtins.ope",)):
        ref = ModelRef("models.candidate", "w", "h.skops", path, "skops", trust=loose)
        with pytest.raises(InputError):
            load(ref)
    assert not armed.exists()
    exact = ModelRef("models.candidate", "w", "h.skops", path, "skops", trust=("builtins.open",))
    load(exact)  # the user's explicit, exact say-so is honoured
    assert armed.exists()


def test_a_tree_pointing_outside_its_nodes_is_refused(project: Project, tmp_path: Path) -> None:
    """Trusted tree types are checked: a crafted node index would read out of bounds."""
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    frame = __import__("pandas").read_parquet(project.root / "data" / "train.parquet")
    X, y = frame[["x0", "x1", "x2"]].head(300), frame["label"].head(300)
    booster = HistGradientBoostingClassifier(max_iter=3).fit(X, y)
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y)
    nodes = booster._predictors[0][0].nodes
    inner = int((nodes["is_leaf"] == 0).argmax())
    nodes["left"][inner] = 10_000
    state = forest.estimators_[0].tree_.__getstate__()
    state["nodes"]["feature"][0] = 99
    forest.estimators_[0].tree_.__setstate__(state)
    for label, model in (("booster", booster), ("forest", forest)):
        path = tmp_path / f"{label}.skops"
        sio.dump(model, path)
        with pytest.raises(InputError) as info:
            load(_ref(path))
        assert "holds a malformed tree: node " in info.value.lines()[0], label


# --- through the CLI: every way a model file reaches mlgate ---------------------------------


def _refused(out: subprocess.CompletedProcess[str], marker: Path, key: str) -> None:
    assert not marker.exists(), out.stderr
    assert out.returncode == 3, out.stdout + out.stderr
    text = " ".join((out.stdout + out.stderr).split())
    assert "contains types mlgate does not trust: builtins.__import__, builtins.eval" in text, text
    assert f"{key}.trust (exact names)" in text, text


def test_run_refuses_a_hostile_candidate(project: Project, armed: Path) -> None:
    all_in_one(project, armed)
    project.config(base_config("models/hostile.skops"))
    _refused(project.run("run"), armed, "models.candidate")


def test_run_refuses_a_hostile_local_baseline(project: Project, armed: Path) -> None:
    all_in_one(project, armed)
    doc = base_config()
    doc["models"]["baseline"] = "models/hostile.skops"
    project.config(doc)
    _refused(project.run("run"), armed, "models.baseline")


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def test_run_and_check_refuse_a_hostile_git_baseline(project: Project, armed: Path) -> None:
    all_in_one(project, armed, "model.skops")
    doc = base_config("models/retrain.skops")
    doc["models"]["baseline"] = "git:main:models/model.skops"
    project.config(doc)
    (project.root / ".gitignore").write_text("mlgate-report/\n.cache/\n")
    _git(project.root, "init", "-q", "-b", "main")
    _git(project.root, "add", "-A")
    _git(project.root, "commit", "-q", "-m", "production")
    _git(project.root, "checkout", "-q", "-b", "feature")
    armed.unlink(missing_ok=True)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    _refused(project.run("run", env=env), armed, "models.baseline")
    _refused(project.run("check", env=env), armed, "models.baseline")


def test_run_refuses_a_hostile_url_baseline(
    project: Project, armed: Path, httpserver: HTTPServer
) -> None:
    path = all_in_one(project, armed)
    httpserver.expect_request("/model.skops").respond_with_data(path.read_bytes())
    path.unlink()
    doc = base_config()
    doc["models"]["baseline"] = httpserver.url_for("/model.skops")
    project.config(doc)
    _refused(project.run("run"), armed, "models.baseline")


def test_run_refuses_a_hostile_model_in_a_saved_baseline_folder(
    project: Project, armed: Path
) -> None:
    project.config(base_config("models/production.skops"))
    saved = project.run("baseline", "save")
    assert saved.returncode == 0, saved.stderr
    copy = next(p for p in (project.root / "mlgate-baseline").iterdir() if p.suffix == ".skops")
    shutil.copy(all_in_one(project, armed), copy)
    doc = base_config()
    doc["models"]["baseline"] = "mlgate-baseline"
    project.config(doc)
    _refused(project.run("run"), armed, "models.baseline")


def test_the_performance_child_refuses_a_hostile_model(project: Project, armed: Path) -> None:
    """The perf gate reloads models in a child process: the same check holds there."""
    from mlgate.measure.performance.memory import probe_memory

    path = all_in_one(project, armed)
    frame = __import__("pandas").read_parquet(project.root / "data" / "holdout.parquet").head(50)
    model: Any = Model(_ref(path), impl=None, load_ms=0.0)
    result = probe_memory(
        {"candidate": model},
        frame.drop(columns=["label"]),
        budget_s=0,
        mode="process",
        min_pairs=1,
        max_pairs=1,
    )
    assert not armed.exists()
    assert result.error is not None and "contains types mlgate does not trust" in result.error
