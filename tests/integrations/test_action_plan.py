"""scripts/action_plan.py: what the action installs — version, lock, extras, spec, cache key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mlgate

ROOT = Path(__file__).resolve().parents[2]
VERSION = mlgate.__version__


def plan(
    tmp_path: Path, config: str | None = None, **inputs: str
) -> subprocess.CompletedProcess[str]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    if config is not None:
        (work / "mlgate.yaml").write_text(config)
    env = {
        "ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(tmp_path),
        "RUNNER_OS": "Linux",
        "MLGATE_WORKDIR": str(work),
        "PATH": "/usr/bin:/bin",
    }
    env.update({f"MLGATE_{k.upper()}": v for k, v in inputs.items()})
    return subprocess.run(
        [sys.executable, "-I", str(ROOT / "scripts" / "action_plan.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def outputs(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


CONFIG = """\
version: 1
data: {eval: data/holdout.parquet, target: label}
models:
  candidate: models/model.onnx   # ONNX
  baseline: gitlab-artifact:mlgate:mlgate-baseline
gates:
  data:
    - expect: expect_column_values_to_not_be_null
      column: age
"""


@pytest.mark.parametrize(
    ("config", "inputs", "extras"),
    [
        (None, {}, "github"),
        ("version: 1\nmodels: {candidate: m.skops}\n", {}, "github"),
        (CONFIG, {}, "data,github,gitlab,onnx"),
        ("# expect: x\n# candidate: m.onnx\n", {}, "github"),  # comments need nothing
        ("gates:\n  data:\n    - suite: gx/suite.json\n", {}, "data,github"),
        ("gates:\n  custom:\n    - path: checks/\n", {}, "custom,github"),
        ("[[tool.mlgate.gates.custom]]\npath = 'checks/'\n", {}, "custom,github"),
        (CONFIG, {"command": "publish"}, "github"),  # publish never reads the config
        (CONFIG, {"extras": "onnx, data"}, "data,onnx"),
        (None, {"extras": "all"}, "all"),
    ],
)
def test_extras_come_from_the_input_else_from_the_config(
    tmp_path: Path, config: str | None, inputs: dict[str, str], extras: str
) -> None:
    assert outputs(plan(tmp_path, config, **inputs))["extras"] == extras


def test_the_default_is_this_release_from_the_index_with_its_lock(tmp_path: Path) -> None:
    got = outputs(plan(tmp_path))
    assert got["command"] == "run" and got["version"] == VERSION
    assert got["spec"] == f"mlgate[github]=={VERSION}"
    assert got["lock"] == str(ROOT / "constraints" / f"mlgate-{VERSION}.txt")
    assert got["key"].startswith(f"mlgate-{VERSION}-Linux-")
    assert got["venv"].startswith(str(tmp_path / "mlgate-env-"))


def test_a_wheel_source_is_installed_by_its_path_and_keys_the_cache(tmp_path: Path) -> None:
    wheel = tmp_path / f"mlgate-{VERSION}-py3-none-any.whl"
    wheel.write_bytes(b"one")
    first = outputs(plan(tmp_path, source=str(wheel)))
    assert first["spec"] == f"mlgate[github] @ {wheel.as_uri()}"
    wheel.write_bytes(b"two")
    assert outputs(plan(tmp_path, source=str(wheel)))["key"] != first["key"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"version": "9.9.9"},
            f"version: this action has no lock for mlgate 9.9.9 (it has: {VERSION}); "
            "use the action's release v9.9.9",
        ),
        (
            {"version": "1.0; rm -rf /"},
            "version: expected a release number such as 0.1.0, got '1.0; rm -rf /'",
        ),
        (
            {"command": "deploy"},
            "command: expected one of run, check, publish, baseline-save, fork-evaluate, got 'deploy'",
        ),
        (
            {"extras": "gpu"},
            "extras: unknown extra 'gpu' (expected all, or some of data, github, gitlab, onnx, custom)",
        ),
        (
            {"source": "wheels/"},
            f"source: expected 'index' or the path of a wheel mlgate-{VERSION}-*.whl, got 'wheels/'",
        ),
    ],
)
def test_a_bad_input_is_one_error_line_and_exit_2(
    tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    done = plan(tmp_path, **inputs)
    assert (done.returncode, done.stdout) == (2, f"::error title=mlgate::{message}\n")
