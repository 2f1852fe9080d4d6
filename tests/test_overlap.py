"""The data gates in a fork while the model gates load and score (pipeline.ForkedKind).

Great Expectations' import and scikit-learn's import plus the models' loading are both bound to
one core by the GIL; on Linux the data kind validates and measures in a fork of the process
while the rest of the run goes on. What it must keep: the same report as the sequential run,
every config mistake in one exit-2 run, failures raised as they were raised there, and no
process left behind.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any

import pytest
from support.projects import Project, base_config

from mlgate.config import load_config
from mlgate.errors import ConfigError, InputError, MissingExtraError, MlgateError
from mlgate.pipeline import ForkedKind, RunOptions, _fork_data_gates, configured_kinds

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")

DATA = [
    {"expect": "expect_column_values_to_not_be_null", "column": "x0"},
    {
        "expect": "expect_column_values_to_be_between",
        "column": "x1",
        "min_value": -9,
        "max_value": 9,
    },
    {"drift": {"columns": ["x2", "x3"], "method": "psi", "max": 0.2}},
]


def config(project: Project, data: list[dict[str, Any]] | None = None, **model: Any) -> None:
    doc = base_config()
    doc["data"]["reference"] = "data/train.parquet"
    doc["gates"] = {
        "data": data or DATA,
        "model": [{"metric": "roc_auc", "max_drop": 0.05, **model}],
    }
    project.config(doc)


def stable(report: dict[str, Any]) -> dict[str, Any]:
    report["context"].pop("duration_s", None)
    return report


@pytest.mark.slow
def test_the_forked_run_writes_the_sequential_runs_report(project: Project) -> None:
    config(project)
    reports = {}
    for overlap in ("1", "0"):
        out = project.run("run", env={"MLGATE_OVERLAP": overlap})
        assert out.returncode == 0, out.stderr
        reports[overlap] = stable(project.report())
    assert reports["1"] == reports["0"]
    ids = [g["id"] for g in reports["1"]["gates"]]
    assert ids[0].startswith("data.") and ids[-1] == "model.roc_auc"  # run order kept
    assert "drift" in reports["1"]["diagnostics"]


@pytest.mark.slow
def test_mistakes_in_the_forked_and_the_other_gates_come_in_one_run(project: Project) -> None:
    doc = base_config()
    doc["gates"] = {
        "data": [{"expect": "expect_column_values_to_not_be_nul", "column": "x0"}],
        "model": [{"metric": "roc_acu", "max_drop": 0.05}],
    }
    project.config(doc)
    out = project.run("run")
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("mlgate: error:")]
    assert "gates.data[0].expect: unknown expectation type" in errors[0]
    assert any("roc_acu" in line for line in errors[1:]), errors
    assert "Traceback" not in out.stderr


def test_the_fork_is_used_only_where_it_overlaps_something(project: Project) -> None:
    config(project)
    loaded = load_config("mlgate.yaml", cwd=project.root)
    kinds = configured_kinds(loaded)
    cache = project.root / "cache"
    forked = _fork_data_gates(loaded, kinds, RunOptions(out_dir=project.root, env={}), cache)
    assert isinstance(forked, ForkedKind)
    try:
        assert forked.pid not in (0, os.getpid())
        assert forked.validate(loaded) == []
    finally:
        forked.end()
    assert forked.pid == 0
    off = RunOptions(out_dir=project.root, env={"MLGATE_OVERLAP": "0"})
    assert _fork_data_gates(loaded, kinds, off, cache) is None
    alone = {"data": kinds["data"]}  # nothing to overlap with
    assert _fork_data_gates(loaded, alone, RunOptions(out_dir=project.root, env={}), cache) is None
    done = RunOptions(out_dir=project.root, env={}, validated=True)
    assert _fork_data_gates(loaded, kinds, done, cache) is None


class Kind:
    """A gate kind that fails in its measure as told (a test double of the GateKind protocol)."""

    name = "data"

    def __init__(self, fail: str) -> None:
        self.fail = fail

    def configured(self, loaded: Any) -> bool:
        return True

    def validate(self, loaded: Any) -> list[str]:
        if self.fail == "missing-extra":
            raise MissingExtraError("great_expectations", "data", "expect and suite data gates")
        return []

    def gate_ids(self, loaded: Any) -> tuple[list[str], list[str]]:
        return [], ["data."]

    def measure(self, inputs: Any) -> list[Any]:
        if self.fail == "config":
            raise ConfigError(["a.yaml: gates.data[0]: first", "a.yaml: gates.data[1]: second"])
        if self.fail == "input":
            raise InputError("data/eval.csv: cannot read", hint="is it CSV?")
        if self.fail == "bug":
            raise ValueError("a bug in a data gate")
        if self.fail == "dies":
            os._exit(7)
        return []

    def diagnostics(self, inputs: Any) -> dict[str, Any]:
        return {"drift": {"x0": 0.1}}


@pytest.mark.parametrize("fail", ["config", "input", "bug", "dies", "missing-extra", "none"])
def test_a_failure_in_the_fork_is_raised_here_as_it_was_there(fail: str) -> None:
    forked = ForkedKind(Kind(fail), None, lambda: None)  # type: ignore[arg-type]
    pid = forked.pid
    try:
        if fail == "missing-extra":
            with pytest.raises(MissingExtraError) as caught:
                forked.validate(None)  # type: ignore[arg-type]
            assert caught.value.lines() == [
                "expect and suite data gates needs the Python package 'great_expectations', "
                "which is not installed (run: pip install 'mlgate[data]')"
            ]
            return
        assert forked.validate(None) == []  # type: ignore[arg-type]
        if fail == "config":
            with pytest.raises(ConfigError) as config_error:
                forked.measure(None)  # type: ignore[arg-type]
            assert config_error.value.lines() == [
                "a.yaml: gates.data[0]: first",
                "a.yaml: gates.data[1]: second",
            ]
        elif fail == "input":  # the pipeline's loop records a kind's failure as its gate
            [measured] = forked.measure(None)  # type: ignore[arg-type]
            assert measured.error == "data/eval.csv: cannot read (is it CSV?)"
        elif fail == "bug":
            with pytest.raises(RuntimeError, match="ValueError: a bug in a data gate"):
                forked.measure(None)  # type: ignore[arg-type]
        elif fail == "dies":
            with pytest.raises(
                MlgateError, match=r"process ended without an answer \(exit code 7\)"
            ):
                forked.measure(None)  # type: ignore[arg-type]
        else:
            assert forked.measure(None) == []  # type: ignore[arg-type]
            assert forked.diagnostics(None) == {"drift": {"x0": 0.1}}  # type: ignore[arg-type]
    finally:
        forked.end()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped


def test_errors_survive_pickling_with_their_lines_and_class() -> None:
    for error in (
        ConfigError(["one", "two"], hint="fix it"),
        InputError("x: unreadable", hint="check"),
        MissingExtraError("onnxruntime", "onnx", "ONNX models"),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert back.lines() == error.lines() and back.exit_code == error.exit_code


def test_a_forked_kind_leaves_no_process_when_the_run_stops_early() -> None:
    forked = ForkedKind(Kind("none"), None, lambda: None)  # type: ignore[arg-type]
    pid = forked.pid
    forked.end()  # never asked: the run ended on another kind's config error
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
