"""The drift and schema data gates: reference vs eval data, as Measurements (no GX involved)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlgate.errors import MlgateError
from mlgate.records import Measurement
from mlgate.support.text import close_matches, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.config import DriftGate, SchemaGate
    from mlgate.load.inputs import Inputs
    from mlgate.measure.data.drift import Drift

MEMO = "data.drift"  # inputs.memo key: {column: score}, read back by the kind's diagnostics()


def measure_drift(
    gate: DriftGate, i: int, inputs: Inputs, make_id: Callable[[str], str]
) -> list[Measurement]:
    """One Measurement per column: score in `candidate`, checked against `max` by compare."""
    from mlgate.measure.data.drift import (
        NUMERIC_ONLY,
        DriftError,
        column_drift,
        is_numeric,
        overlay,
    )

    spec, where = gate.drift, inputs.loaded.where(f"gates.data[{i}].drift")
    prefix = gate.id or "data.drift"
    data = inputs.config.data
    try:
        reference, current = inputs.reference, inputs.eval
        if reference is None:
            raise MlgateError(f"{where}: needs data.reference")
        columns, absent = _columns(gate, inputs, reference)
    except MlgateError as exc:
        return [
            Measurement(
                id=make_id(prefix),
                kind="data",
                name="drift",
                level=gate.level,
                error=exc.lines()[0],
            )
        ]
    scores: dict[str, float] = inputs.memo.setdefault(MEMO, {})
    out = [
        Measurement(
            id=make_id(f"{prefix}.{c}"),
            kind="data",
            name=f"{spec.method}({c})",
            level=gate.level,
            skipped=f"{c} is not in the reference {data.reference}, so its "
            "drift cannot be measured (the schema gate reports added columns)",
        )
        for c in absent
    ]
    for column in columns:
        gate_id = make_id(f"{prefix}.{column}")
        threshold = spec.thresholds.get(column, spec.max)
        name = f"{spec.method}({column})"
        base: dict[str, Any] = {"id": gate_id, "kind": "data", "name": name, "level": gate.level}
        missing = next(
            (
                (f, frame)
                for f, frame in ((data.eval, current), (data.reference, reference))
                if column not in frame.columns
            ),
            None,
        )
        if missing is not None:
            out.append(
                Measurement(
                    **base,
                    error=f"{where}: column {column!r} is not in "
                    f"{missing[0]}{_close(column, missing[1].columns)}",
                )
            )
            continue
        try:
            drift = column_drift(
                reference[column],
                current[column],
                method=spec.method,
                bins=spec.bins,
                column=column,
            )
        except DriftError as exc:
            numeric = is_numeric(reference[column]) and is_numeric(current[column])
            if spec.columns == "*" and spec.method in NUMERIC_ONLY and not numeric:
                out.append(Measurement(**base, skipped=f"{column}: {exc}"))
            else:
                out.append(Measurement(**base, error=f"{where}: {column}: {exc}"))
            continue
        scores.setdefault(column, drift.score)
        details = _details(drift, threshold)
        try:
            shape = overlay(reference[column], current[column])
        except (TypeError, ValueError):  # a chart is a courtesy: never an error of the gate
            shape = {}
        if shape:
            details["overlay"] = shape
        out.append(
            Measurement(
                **base,
                thresholds={"max": threshold},
                higher_is_better=False,
                candidate=drift.score,
                notes=_notes(drift),
                details=details,
            )
        )
    return out


def _columns(
    gate: DriftGate, inputs: Inputs, reference: pd.DataFrame
) -> tuple[list[str], list[str]]:
    """The columns to check, and (for "*") features that the reference lacks."""
    spec = gate.drift
    if isinstance(spec.columns, list):
        return list(spec.columns), []
    if spec.max is None:  # only per-column thresholds: those columns are the gate
        return list(spec.thresholds), []
    features = inputs.features
    return (
        [c for c in features if c in reference.columns],
        [c for c in features if c not in reference.columns],
    )


def _notes(drift: Drift) -> tuple[str, ...]:
    if not drift.unseen_count:
        return ()
    shown = ", ".join(repr(u) for u in drift.unseen)
    more = (
        f" and {drift.unseen_count - len(drift.unseen)} more"
        if drift.unseen_count > len(drift.unseen)
        else ""
    )
    rows = f"{drift.unseen_rows:,} of {drift.eval_rows:,} eval rows"
    noun = "category" if drift.unseen_count == 1 else "categories"
    return (
        f"{drift.column}: {drift.unseen_count} {noun} unseen in the reference ({rows}): "
        f"{shown}{more}",
    )


def _details(drift: Drift, threshold: float | None) -> dict[str, Any]:
    details: dict[str, Any] = {
        "column": drift.column,
        "method": drift.method,
        "score": drift.score,
        "threshold": threshold,
        "type": drift.kind,
        "reference_rows": drift.reference_rows,
        "eval_rows": drift.eval_rows,
    }
    if drift.kind == "categorical" or drift.unseen_count:
        details.update(
            unseen=list(drift.unseen),
            unseen_count=drift.unseen_count,
            unseen_rows=drift.unseen_rows,
        )
    if drift.p_value is not None:
        details["p_value"] = drift.p_value
    return details


def measure_schema(
    gate: SchemaGate,
    i: int,
    inputs: Inputs,
    make_id: Callable[[str], str],
    frames: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]] | None = None,
) -> Measurement:
    """Columns added, removed or changed in kind vs the reference; declared columns present.

    `frames` gives (eval, reference) frames to compare (default: the inputs'; the Spark engine
    passes empty frames typed from the Spark schemas)."""
    from mlgate.measure.data.schema import SchemaDiff, compare_schema

    gate_id, data = make_id(gate.id or "data.schema"), inputs.config.data
    base: dict[str, Any] = {"id": gate_id, "kind": "data", "name": "schema", "level": gate.level}
    try:
        current, reference = frames() if frames else (inputs.eval, inputs.reference)
    except MlgateError as exc:
        return Measurement(**base, error=exc.lines()[0])
    diff = (
        compare_schema(reference, current, check_types=gate.schema_.check_types)
        if reference is not None
        else SchemaDiff()
    )
    declared = [(key, c) for key, c in _declared(inputs) if c not in current.columns]
    problems = []
    if diff.removed:
        problems.append(
            f"{_count(diff.removed, 'column')} removed: "
            + ", ".join(c + _renamed(c, diff.added) for c in diff.removed)
        )
    if diff.changed:
        problems.append(
            "type changed: "
            + ", ".join(f"{c.column} ({c.reference} → {c.eval})" for c in diff.changed)
        )
    if diff.added and not gate.schema_.allow_added:
        problems.append(f"{_count(diff.added, 'column')} added: {', '.join(diff.added)}")
    for key, column in declared:
        problems.append(f"{key} {column!r} is not in {data.eval}{_close(column, current.columns)}")
    if problems:
        message = "schema: " + "; ".join(problems)
    elif reference is None:
        message = "schema: the declared columns are present (no data.reference to compare with)"
    else:
        message = f"schema: {len(current.columns)} columns match the reference"
        if diff.added:
            message += f" ({_count(diff.added, 'column')} added, allowed: {', '.join(diff.added)})"
    details = {
        "added": list(diff.added),
        "removed": list(diff.removed),
        "changed": [
            {"column": c.column, "reference": c.reference, "eval": c.eval} for c in diff.changed
        ],
        "missing": [{"key": k, "column": c} for k, c in declared],
    }
    return Measurement(**base, passed=not problems, message=message, details=details)


def _declared(inputs: Inputs) -> list[tuple[str, str]]:
    data = inputs.config.data
    out = [("data.target", data.target), ("data.id", data.id)]
    out += [("data.features", c) for c in data.features or []]
    return [(k, c) for k, c in out if c]


def _renamed(column: str, added: tuple[str, ...]) -> str:
    match = close_matches(column, added, cutoff=0.75)
    return f" (renamed to {match[0]}?)" if match else ""


def _count(items: tuple[str, ...] | list[str], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


def _close(name: str, columns: Any) -> str:
    return did_you_mean(name, columns)
