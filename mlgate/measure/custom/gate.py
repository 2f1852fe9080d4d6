"""Custom checks: the user's pytest tests, run in-process on the run's inputs, one gate per test.

pass → pass; a failed assertion (or `pytest.fail`) → fail with its message; any other exception,
in the test or in a fixture → error (fail closed); `pytest.skip` → skipped; xfail → skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError, MlgateError
from mlgate.measure.custom.outcome import CheckOutcome
from mlgate.records import Measurement

if TYPE_CHECKING:
    from mlgate.config import CustomGate, LoadedConfig
    from mlgate.load.inputs import Inputs
    from mlgate.measure import GateKind

KINDS = ("data", "model", "performance")
MARKER_KEYS = ("id", "kind")


class CustomGates:
    """The `gates.custom` kind."""

    name = "custom"

    def configured(self, loaded: LoadedConfig) -> bool:
        return bool(loaded.config.gates.custom)

    def validate(self, loaded: LoadedConfig) -> list[str]:
        problems = []
        for i, gate in enumerate(loaded.config.gates.custom):
            for key, target in _targets(gate, i):
                path = target.split("::", 1)[0]
                if not loaded.resolve(path).exists():
                    problems.append(f"{loaded.where(key)}: no such file or folder: {path}")
        return problems

    def measure(self, inputs: Inputs) -> list[Measurement]:
        out: list[Measurement] = []
        for i, gate in enumerate(inputs.config.gates.custom):
            out.extend(_measure(gate, i, inputs))
        return _unique(out)

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        """No charts of its own (the report shows the budgets' values)."""
        return {}


KIND: GateKind = CustomGates()  # typed: mypy checks it meets the protocol


def _targets(gate: CustomGate, i: int) -> list[tuple[str, str]]:
    """(config key, path or node id) of each target of one `gates.custom` entry."""
    if isinstance(gate.pytest, str):
        return [(f"gates.custom[{i}].pytest", gate.pytest)]
    return [(f"gates.custom[{i}].pytest[{j}]", t) for j, t in enumerate(gate.pytest)]


def _measure(gate: CustomGate, i: int, inputs: Inputs) -> list[Measurement]:
    loaded = inputs.loaded
    prefix = gate.id_prefix or "custom"
    where = loaded.where(f"gates.custom[{i}]")
    try:
        from mlgate.errors import require

        require("pytest", "custom", f"{where}: custom checks")
    except MlgateError as exc:
        return [
            Measurement(
                id=prefix, kind="model", name="pytest", level=gate.level, error=exc.lines()[0]
            )
        ]
    from mlgate.measure.custom.session import run_session

    targets = [_absolute(t, loaded) for _, t in _targets(gate, i)]
    session = run_session(targets, gate.args, inputs, rootdir=loaded.root)
    if session.usage_error:
        where_args = loaded.where(f"gates.custom[{i}].args")
        raise ConfigError(f"{where_args}: pytest: {session.usage_error}")
    out = [_collect_error(prefix, gate, nodeid, line) for nodeid, line in session.collect_errors]
    out.extend(_outcome(prefix, gate, test) for test in session.tests)
    if session.crash:
        out.append(
            Measurement(
                id=prefix,
                kind="model",
                name="pytest",
                level=gate.level,
                error=f"{where}: pytest could not run the checks: {session.crash}",
            )
        )
    elif not out:
        shown = ", ".join(t for _, t in _targets(gate, i))
        extra = f" with args {' '.join(gate.args)}" if gate.args else ""
        out.append(
            Measurement(
                id=prefix,
                kind="model",
                name="pytest",
                level=gate.level,
                error=f"{loaded.where(f'gates.custom[{i}].pytest')}: {shown} holds no tests{extra} "
                "(pytest collects test_*.py files and their test_* functions)",
            )
        )
    return out


def _absolute(target: str, loaded: LoadedConfig) -> str:
    """A target relative to the config file, as pytest takes it (a node id keeps its ::test)."""
    path, sep, rest = target.partition("::")
    return str(loaded.resolve(path)) + sep + rest


def _outcome(prefix: str, gate: CustomGate, test: CheckOutcome) -> Measurement:
    """One test as a self-judged gate."""
    gate_id, kind, problem = _identity(prefix, test)
    common: dict[str, Any] = dict(
        id=gate_id,
        kind=kind,
        name=test.name,
        level=gate.level,
        details={"nodeid": test.nodeid, "duration_s": round(test.duration_s, 4)},
    )
    if problem:
        return Measurement(**common, error=f"{test.nodeid}: {problem}")
    where = {"setup": " in setup", "teardown": " in teardown"}.get(test.phase, "")
    table: dict[str, dict[str, Any]] = {
        "pass": {"passed": True, "message": f"{test.name} passed"},
        "fail": {"passed": False, "message": test.line or f"{test.name} failed"},
        "error": {"error": f"{test.nodeid}{where}: {test.line}"},
        "skip": {"skipped": test.line or "skipped"},
        "xfail": {"skipped": "expected failure" + (f": {test.line}" if test.line else "")},
        "xpass": {
            "skipped": "expected failure, but it passed" + (f" ({test.line})" if test.line else "")
        },
        "notrun": {
            "error": f"{test.nodeid}: {test.line}: pytest stopped early (pytest.exit(), "
            "or -x / --maxfail in args?)"
        },
    }
    return Measurement(**common, **table[test.outcome])


def _identity(prefix: str, test: CheckOutcome) -> tuple[str, Any, str | None]:
    """(gate id, kind, problem) from the test name and its `mlgate` marker."""
    marker = test.marker or {}
    unknown = [k for k in marker if k not in MARKER_KEYS]
    gate_id = f"{prefix}.{test.name}"
    if "*args" in marker:
        return gate_id, "model", "@pytest.mark.mlgate takes keywords only: id=..., kind=..."
    if unknown:
        return (
            gate_id,
            "model",
            (f"@pytest.mark.mlgate: unknown argument {unknown[0]!r}; expected id or kind"),
        )
    kind = marker.get("kind", "model")
    if kind not in KINDS:
        return (
            gate_id,
            "model",
            (f"@pytest.mark.mlgate: kind must be data, model or performance, got {kind!r}"),
        )
    if marker.get("id"):
        gate_id = str(marker["id"]) + test.name[len(test.original) :]  # keeps [params]
    return gate_id, kind, None


def _collect_error(prefix: str, gate: CustomGate, nodeid: str, line: str) -> Measurement:
    return Measurement(
        id=f"{prefix}[{nodeid}]",
        kind="model",
        name=nodeid,
        level=gate.level,
        error=f"{nodeid}: could not collect: {line}",
        details={"nodeid": nodeid},
    )


def _unique(measurements: list[Measurement]) -> list[Measurement]:
    """Same test name in two files: the second gets `#2`, like every other duplicate id."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for m in measurements:
        seen[m.id] = seen.get(m.id, 0) + 1
        out.append(m if seen[m.id] == 1 else replace(m, id=f"{m.id}#{seen[m.id]}"))
    return out


__all__ = ["KIND", "CheckOutcome"]
