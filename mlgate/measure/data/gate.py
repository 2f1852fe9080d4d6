"""Data gates (`gates.data`): Great Expectations checks, the schema gate and drift vs the reference.

Importing this module imports neither Great Expectations nor pandas: GX is loaded only when an
`expect` or `suite` gate exists, at validate time. Each frame's expectations (eval, and the
reference for `on: reference`) are validated as one suite in one call, on only the columns they
use. Ids: `data.<expectation>.<column>` (`#2`... for repeats, `[reference]` for the reference),
`data.drift.<column>`, `data.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config import DriftGate, ExpectGate, SchemaGate, SuiteGate
from mlgate.errors import MlgateError
from mlgate.records import Measurement
from mlgate.support.text import close_matches, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.config import Level, LoadedConfig
    from mlgate.load.inputs import Inputs
    from mlgate.measure import GateKind
    from mlgate.measure.data.gx import Outcome, Spec


@dataclass(frozen=True)
class _Check:
    """One expectation to run: its gate id, level, which frame, and its declaration."""

    id: str
    level: Level
    on: str
    spec: Spec


class _Ids:
    """Stable, unique gate ids: the second `data.x.age` becomes `data.x.age#2`."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def make(self, base: str) -> str:
        self.seen[base] = self.seen.get(base, 0) + 1
        return base if self.seen[base] == 1 else f"{base}#{self.seen[base]}"


class DataGates:
    """The `gates.data` kind."""

    name = "data"

    def configured(self, loaded: LoadedConfig) -> bool:
        return bool(loaded.config.gates.data)

    def validate(self, loaded: LoadedConfig) -> list[str]:
        """Config problems, all collected: unknown expectations and arguments (checked by GX's
        own models), unreadable suite files, drift or `on: reference` without data.reference."""
        has_reference = loaded.config.data.reference is not None
        problems: list[str] = []
        for i, gate in enumerate(loaded.config.gates.data):
            key = f"gates.data[{i}]"
            if isinstance(gate, DriftGate):
                if not has_reference:
                    problems.append(f"{loaded.where(key + '.drift')}: needs data.reference")
                problems.extend(_drift_problems(gate, loaded, key))
            elif isinstance(gate, (ExpectGate, SuiteGate)):
                if isinstance(gate, SuiteGate) and not loaded.resolve(gate.suite).is_file():
                    problems.append(_missing_suite(gate.suite, loaded, key))
                    continue
                if gate.on == "reference" and not has_reference:
                    problems.append(
                        f'{loaded.where(key + ".on")}: "reference" needs data.reference'
                    )
                problems.extend(_specs(gate, i, loaded)[1])
        return problems

    def gate_ids(self, loaded: LoadedConfig) -> tuple[list[str], list[str]]:
        """(ids, id prefixes) the data gates produce, for waivers and warn_only to resolve
        against. Expectation ids name their columns, so they are prefixes here."""
        from mlgate.load.tables import read_header

        config = loaded.config
        ids: list[str] = []
        prefixes: list[str] = []
        header = read_header(loaded.resolve(config.data.eval))
        features = config.data.features or [
            c for c in header or [] if c not in (config.data.target, config.data.id)
        ]
        for gate in config.gates.data:
            if isinstance(gate, ExpectGate):
                if gate.id:
                    ids.append(gate.id)
                else:
                    ids.append(f"data.{gate.expect}")
                    prefixes.append(f"data.{gate.expect}.")
            elif isinstance(gate, SuiteGate):
                ids.append(gate.id or "data.suite")
                prefixes.append(f"{gate.id or 'data'}.")
            elif isinstance(gate, DriftGate):
                prefix = gate.id or "data.drift"
                columns = gate.drift.columns
                ids.append(prefix)
                if isinstance(columns, list):
                    ids.extend(f"{prefix}.{c}" for c in columns)
                elif features:
                    ids.extend(f"{prefix}.{c}" for c in features)
                else:
                    prefixes.append(f"{prefix}.")
            elif isinstance(gate, SchemaGate):
                ids.append(gate.id or "data.schema")
        return ids, prefixes

    def measure(self, inputs: Inputs) -> list[Measurement]:
        """Every data gate, in config order; per-gate problems are error Measurements."""
        if inputs.engine == "spark":  # the same gates, computed by Spark aggregations
            from mlgate.measure.data.spark import measure_drift, measure_schema
        else:
            from mlgate.measure.data.columns import measure_drift, measure_schema

        ids = _Ids()
        order: list[Measurement | _Check] = []
        for i, gate in enumerate(inputs.config.gates.data):
            if isinstance(gate, (ExpectGate, SuiteGate)):
                order.extend(_plan(gate, i, inputs.loaded, ids))
            elif isinstance(gate, DriftGate):
                order.extend(measure_drift(gate, i, inputs, ids.make))
            elif isinstance(gate, SchemaGate):
                order.append(measure_schema(gate, i, inputs, ids.make))
        checks = [item for item in order if isinstance(item, _Check)]
        results: dict[str, Measurement] = {}
        for on in ("eval", "reference"):
            results.update(_run(inputs, [c for c in checks if c.on == on], on))
        return [results[item.id] if isinstance(item, _Check) else item for item in order]

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        """Per-column drift scores for the charts: {"drift": {column: score}}."""
        from mlgate.measure.data.columns import MEMO

        scores = inputs.memo.get(MEMO)
        return {"drift": dict(scores)} if scores else {}


KIND: GateKind = DataGates()  # typed: mypy checks it meets the protocol


# --- planning -------------------------------------------------------------------------------


def _specs(
    gate: ExpectGate | SuiteGate, i: int, loaded: LoadedConfig
) -> tuple[list[Spec], list[str]]:
    """The expectations a gate declares, built strictly through GX; or why they cannot be."""
    from mlgate.measure.data import gx

    key = f"gates.data[{i}]"
    if isinstance(gate, ExpectGate):
        at = loaded.where(key)
        specs = [gx.Spec(gate.expect, gate.kwargs, at, at, loaded.where(key + ".expect"))]
        problems: list[str] = []
    else:
        specs, problems = gx.read_suite(
            loaded.resolve(gate.suite), gate.suite, loaded.where(key + ".suite")
        )
    valid = []
    for spec in specs:
        expectation, lines = gx.build(spec)
        problems.extend(lines)
        if expectation is not None:
            valid.append(spec)
    return valid, problems


def _plan(
    gate: ExpectGate | SuiteGate, i: int, loaded: LoadedConfig, ids: _Ids
) -> list[Measurement | _Check]:
    from mlgate.measure.data import gx

    specs, problems = _specs(gate, i, loaded)
    if problems:  # validate() stops these; a file changed since is still never a silent pass
        base = gate.id or (f"data.{gate.expect}" if isinstance(gate, ExpectGate) else "data.suite")
        return [
            Measurement(
                id=ids.make(base),
                kind="data",
                name="expectations",
                level=gate.level,
                error=problems[0],
            )
        ]
    out: list[Measurement | _Check] = []
    for spec in specs:
        columns = ",".join(column for _, column in gx.columns_of(spec))
        if isinstance(gate, ExpectGate) and gate.id:
            base = gate.id  # the user's id, exactly
        else:
            base = f"{gate.id or 'data'}.{spec.type}" + (f".{columns}" if columns else "")
            base += "[reference]" if gate.on == "reference" else ""
        # a suite's own "warning"/"info" severities keep their meaning: reported, not blocking
        warn = gate.level == "warn" or spec.severity in ("warning", "info")
        level: Level = "warn" if warn else "error"
        out.append(_Check(ids.make(base), level, gate.on, spec))
    return out


def _missing_suite(suite: str, loaded: LoadedConfig, key: str) -> str:
    """A suite file that is not there, with a did-you-mean from its folder (GX not imported)."""
    path = loaded.resolve(suite)
    near = [p.name for p in path.parent.iterdir() if p.is_file()] if path.parent.is_dir() else []
    close = close_matches(path.name, near)
    if close:
        shown = (Path(suite).parent / close[0]).as_posix()
        return f"{loaded.where(key + '.suite')}: file not found: {suite}; did you mean {shown}?"
    return (
        f"{loaded.where(key + '.suite')}: file not found: {suite} "
        "(paths are relative to the config file)"
    )


def _drift_problems(gate: DriftGate, loaded: LoadedConfig, key: str) -> list[str]:
    spec = gate.drift
    problems = []
    if isinstance(spec.columns, list):
        for column in spec.thresholds:
            if column not in spec.columns:
                problems.append(
                    f"{loaded.where(f'{key}.drift.thresholds.{column}')}: not one of the drift "
                    f"columns ({', '.join(spec.columns)})"
                )
        if spec.max is None:
            problems.extend(
                f"{loaded.where(key + '.drift')}: no threshold for {column}; add max or "
                f"thresholds.{column}"
                for column in spec.columns
                if column not in spec.thresholds
            )
    return problems


# --- running ------------------------------------------------------------------------------


def _run(inputs: Inputs, checks: list[_Check], on: str) -> dict[str, Measurement]:
    """Validate one frame's expectations as one suite in one GX call."""
    from mlgate.measure.data import gx

    if not checks:
        return {}
    file = inputs.config.data.eval if on == "eval" else inputs.config.data.reference
    spark = inputs.engine == "spark"
    try:
        if spark:
            frame = inputs.spark_eval if on == "eval" else inputs.spark_reference
        else:
            frame = inputs.eval if on == "eval" else inputs.reference
    except MlgateError as exc:
        return {c.id: _errored(c, exc.lines()[0]) for c in checks}
    if frame is None:
        return {
            c.id: _errored(c, f"{c.spec.where}: on: reference needs data.reference") for c in checks
        }
    results: dict[str, Measurement] = {}
    runnable: list[_Check] = []
    for check in checks:
        missing = [(arg, col) for arg, col in gx.columns_of(check.spec) if col not in frame.columns]
        if missing:
            arg, col = missing[0]
            results[check.id] = _errored(
                check,
                f"{check.spec.args}.{arg}: column {col!r} is not in {file}"
                + _close(col, frame.columns),
            )
        else:
            runnable.append(check)
    if not runnable:
        return results
    try:
        outcomes = gx.validate_frame(
            _columns_for(frame, runnable), [c.spec for c in runnable], spark=spark
        )
    except MlgateError as exc:
        return {**results, **{c.id: _errored(c, exc.lines()[0]) for c in runnable}}
    for check, outcome in zip(runnable, outcomes, strict=True):
        results[check.id] = _expectation(check, outcome)
    return results


def _columns_for(frame: pd.DataFrame, checks: list[_Check]) -> pd.DataFrame:
    """Only the columns the suite reads: GX hashes and, with nulls, copies what it is handed."""
    from mlgate.measure.data import gx

    if any(gx.needs_whole_table(c.spec) for c in checks):
        return frame
    used = {col for c in checks for _, col in gx.columns_of(c.spec)}
    return frame[[c for c in frame.columns if c in used]]


def _errored(check: _Check, message: str) -> Measurement:
    return Measurement(
        id=check.id,
        kind="data",
        name=_name(check.spec),
        level=check.level,
        error=message,
        details=_details(check.spec, {}),
    )


def _expectation(check: _Check, outcome: Outcome) -> Measurement:
    from mlgate.measure.data.text import describe

    spec = check.spec
    if outcome.error is not None:
        return _errored(check, f"{spec.where}: {spec.type}: {outcome.error}")
    details = _details(spec, outcome.result)
    observed = details["observed"]
    candidate, unit = (
        (float(observed), "")
        if isinstance(observed, (int, float)) and not isinstance(observed, bool)
        else (
            (float(details["unexpected_percent"]), "%")
            if details["unexpected_percent"] is not None
            else (None, "")
        )
    )
    return Measurement(
        id=check.id,
        kind="data",
        name=_name(spec),
        level=check.level,
        passed=outcome.success,
        candidate=candidate,
        unit=unit,
        message=describe(spec, outcome),
        details=details,
    )


def _name(spec: Spec) -> str:
    from mlgate.measure.data import gx

    columns = ",".join(column for _, column in gx.columns_of(spec))
    return f"{spec.type}({columns})" if columns else spec.type


def _details(spec: Spec, result: dict[str, Any]) -> dict[str, Any]:
    from mlgate.measure.data import gx
    from mlgate.measure.data.text import examples, plain

    columns = [column for _, column in gx.columns_of(spec)]
    details: dict[str, Any] = {
        "column": columns[0] if len(columns) == 1 else (columns or None),
        "expectation": spec.type,
        "observed": plain(result.get("observed_value")),
        "unexpected_count": plain(result.get("unexpected_count")),
        "unexpected_percent": plain(result.get("unexpected_percent")),
        "examples": examples(spec, result),
        "kwargs": plain(spec.kwargs),
    }
    if "element_count" in result:
        details["element_count"] = plain(result["element_count"])
    if "missing_count" in result:
        details["missing_count"] = plain(result["missing_count"])
    if spec.extra.get("id"):
        details["gx_id"] = str(spec.extra["id"])
    if "expectations[" in spec.where:
        details["source"] = spec.where
    return details


def _close(name: str, columns: Any) -> str:
    return did_you_mean(name, columns)
