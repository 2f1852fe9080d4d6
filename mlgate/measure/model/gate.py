"""Model gates: metrics of the candidate vs the production model, re-evaluated on the same rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError, MlgateError
from mlgate.measure.model import prepare
from mlgate.records import (
    FROM_BEST_KEYS,
    RELATIVE_KEYS,
    Measurement,
)
from mlgate.support.text import did_you_mean

if TYPE_CHECKING:
    import numpy as np

    from mlgate.config import LoadedConfig, ModelGate
    from mlgate.load.inputs import Inputs
    from mlgate.load.models import Model
    from mlgate.load.predictions import Predictions
    from mlgate.measure import GateKind
    from mlgate.measure.model.metrics import Metric


@dataclass(frozen=True)
class Sides:
    """Predictions of both models on the eval rows (baseline None when not re-evaluated)."""

    y: np.ndarray
    candidate: Predictions
    baseline: Predictions | None
    saved: dict[str, Any] | None  # a saved report when the baseline is metrics-only
    mismatch: str | None  # why a saved report's numbers are not comparable


class ModelGates:
    """The `gates.model` kind."""

    name = "model"

    def configured(self, loaded: LoadedConfig) -> bool:
        return bool(loaded.config.gates.model)

    def validate(self, loaded: LoadedConfig) -> list[str]:
        """Metric names, direction, task vs metric and slice columns, from the header only."""
        from mlgate.measure.model.checks import problems as gate_problems

        config = loaded.config
        problems = []
        if config.models is None:
            problems.append(f"{loaded.where('models')}: model gates need models.candidate")
        if config.data.target is None:
            problems.append(f"{loaded.where('data.target')}: model gates need the label column")
        return problems + gate_problems(loaded)

    def gate_ids(self, loaded: LoadedConfig) -> tuple[list[str], list[str]]:
        """(ids, id prefixes of data-dependent slice ids) this config's model gates produce."""
        from mlgate.measure.model.slices import MISSING_SLICE, labels_of

        ids, prefixes = [], []
        for base_id, gate in prepare.base_ids(loaded.config.gates.model):
            ids.append(base_id)
            column = gate.slice_column
            if column is None:
                continue
            labels = labels_of(gate.slice_bins)
            if labels is None:  # the values of the column: known from the data only
                prefixes.append(f"{base_id}[{column}=")
            else:
                ids.extend(f"{base_id}[{column}={v}]" for v in [*labels, MISSING_SLICE])
        return ids, prefixes

    def measure(self, inputs: Inputs) -> list[Measurement]:
        if inputs.engine == "spark":  # the same gates, scored and aggregated in Spark
            from mlgate.measure.model.spark import measure_model

            return _with_history(measure_model(inputs), inputs)
        config = inputs.config
        sides = _sides(inputs)
        task = inputs.task
        out: list[Measurement] = []
        for i, (base_id, gate) in enumerate(prepare.base_ids(config.gates.model)):
            key = f"gates.model[{i}]"
            metric = prepare.resolve(gate, task, inputs, key)
            # fix the positive class once, so both models, every slice and resample agree
            others = [sides.baseline] if sides.baseline is not None else []
            metric = metric.bind(sides.y, sides.candidate, *others)
            prepare.check_direction(gate, metric, inputs, key)
            if any(getattr(gate, k) is not None for k in RELATIVE_KEYS) and not _has_baseline(
                sides
            ):
                raise ConfigError(
                    f"{inputs.loaded.where(key)}: {gate.metric} has a relative threshold "
                    "(max_drop/max_increase) but there is no production baseline",
                    hint="set models.baseline, or pass --baseline SPEC",
                )
            if gate.slice_column is None:
                out.append(_measure(base_id, gate, metric, sides, inputs, rows=None))
            else:
                out.extend(_measure_slices(base_id, gate, metric, sides, inputs, key))
        return _with_history(out, inputs)

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        """Curves and confusion matrices of both models, for the HTML charts."""
        sides = inputs.memo.get("model.sides")
        if sides is None:
            return {}
        from mlgate.measure.model.curves import curves

        try:
            result: dict[str, Any] = {"task": inputs.task}
            result.update(
                curves(
                    sides.y,
                    sides.candidate,
                    sides.baseline,
                    task=inputs.task,
                    pos_label=prepare.pos_label(inputs),
                    slices=_slice_rows(inputs) if inputs.task == "regression" else None,
                )
            )
            return result
        except Exception as exc:  # charts are a courtesy: never fail a gate over them
            return {"task": inputs.task, "curves_error": f"{type(exc).__name__}: {exc}"}


def _slice_rows(inputs: Inputs) -> dict[str, list[tuple[str, Any]]]:
    """The segments (label, eval row indices) of every slice column the model gates use."""
    from mlgate.measure.model.slices import segments

    out: dict[str, list[tuple[str, Any]]] = {}
    for gate in inputs.config.gates.model:
        column = gate.slice_column
        if column is None or column in out or column not in inputs.eval.columns:
            continue
        try:
            parts = segments(inputs.eval[column], gate.slice_bins)
            out[column] = [(p.label, p.rows) for p in parts]
        except ValueError:
            continue
    return out


KIND: GateKind = ModelGates()  # typed: mypy checks it meets the protocol


def _with_history(out: list[Measurement], inputs: Inputs) -> list[Measurement]:
    """Each gate with its production values from the baseline's history.jsonl (if any)."""
    resolved = inputs.baseline_source
    found = resolved.history if resolved is not None else None
    if found is None or not found.entries:
        return out
    fingerprint = inputs.fingerprint
    return [replace(m, history=found.points(m.id, fingerprint)) for m in out]


def _has_baseline(sides: Sides) -> bool:
    return sides.baseline is not None or sides.saved is not None


def _sides(inputs: Inputs) -> Sides:
    """Predict with both models once (memoised for diagnostics)."""
    if "model.sides" in inputs.memo:
        return inputs.memo["model.sides"]  # type: ignore[no-any-return]
    y, X, task = inputs.y, inputs.X, inputs.task
    prepare.check_model(inputs.candidate, X, inputs, "models.candidate", task)
    candidate = _predict(inputs.candidate, X, task)
    _check_labels(candidate, y, inputs, "models.candidate", task)
    baseline = None
    saved = None
    mismatch = None
    base_model = inputs.baseline
    if base_model is not None:
        prepare.check_model(base_model, X, inputs, "models.baseline", task)
        baseline = _predict(base_model, X, task)
        _check_labels(baseline, y, inputs, "models.baseline", task)
    else:
        resolved = inputs.baseline_source
        if resolved is not None and resolved.kind == "report":
            from mlgate.load.baseline.report import fingerprint_of

            saved = resolved.report
            theirs = fingerprint_of(saved) if saved is not None else None
            if theirs and theirs != inputs.fingerprint:
                mismatch = (
                    f"the saved baseline was measured on different eval data ({theirs} vs "
                    f"{inputs.fingerprint})"
                )
            elif not theirs:
                mismatch = "the saved baseline does not record which eval data it was measured on"
    sides = Sides(y, candidate, baseline, saved, mismatch)
    inputs.memo["model.sides"] = sides
    return sides


def _predict(model: Model, X: Any, task: str) -> Predictions:
    """Predict, without sklearn's feature-name UserWarnings (_check_model said what matters)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names", category=UserWarning)
        return model.predictions(X, task=task)


def _check_labels(pred: Predictions, y: np.ndarray, inputs: Inputs, key: str, task: str) -> None:
    """Fail loudly when predicted labels and true labels cannot be the same kind of thing."""
    if task == "regression":
        return
    import numpy as np

    truth = set(np.unique(y).tolist())
    predicted = set(np.unique(pred.label).tolist())
    if truth and predicted and not truth & predicted:
        from mlgate.errors import InputError

        def show(values: set[Any]) -> str:
            return ", ".join(repr(v) for v in sorted(values, key=str)[:4])

        raise InputError(
            f"{inputs.loaded.where(key)}: its predicted labels ({show(predicted)}) share none with "
            f"the labels in column {inputs.target!r} ({show(truth)})",
            hint="was it trained on a differently encoded target?",
        )


def _measure(
    gate_id: str,
    gate: ModelGate,
    metric: Metric,
    sides: Sides,
    inputs: Inputs,
    rows: np.ndarray | None,
    *,
    family: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Measurement:
    """One gate (or one slice of it): both values, and the paired estimate when relative."""
    from mlgate.load.baseline.report import saved_metric
    from mlgate.measure.model.metrics import MetricError
    from mlgate.measure.model.stats import paired_estimate

    policy = inputs.config.policy
    y = sides.y if rows is None else sides.y[rows]
    cand = sides.candidate if rows is None else sides.candidate.take(rows)
    base = None
    if sides.baseline is not None:
        base = sides.baseline if rows is None else sides.baseline.take(rows)
    thresholds = prepare.thresholds(gate)
    relative = any(k in thresholds for k in RELATIVE_KEYS)
    from_best = any(k in thresholds for k in FROM_BEST_KEYS)  # paired too: vs the best, via prod
    m = Measurement(
        id=gate_id,
        kind="model",
        name=gate.metric,
        level=gate.level,
        thresholds=thresholds,
        higher_is_better=metric.higher_is_better,
        family=family,
        details={"n": len(y), **(extra or {})},
    )
    try:
        m = replace(m, candidate=metric.score(y, cand))
        if base is not None:
            m = replace(m, baseline=metric.score(y, base))
        if base is not None and (relative or from_best):
            estimate = paired_estimate(
                metric,
                y,
                cand,
                base,
                n_boot=policy.bootstrap,
                seed=policy.seed,
                max_rows=policy.max_bootstrap_rows,
                delta=m.candidate - m.baseline,  # type: ignore[operator]  # both scored above
            )
            m = replace(m, estimate=estimate)
    except MetricError as exc:
        return replace(m, error=f"{gate_id}: {exc}")
    if sides.saved is None or base is not None:
        return m
    # the baseline is a saved report: its value for this gate, unpaired
    m = replace(
        m,
        baseline=saved_metric(sides.saved, gate_id),
        notes=("baseline is a saved report: metrics only, no paired statistics",),
    )
    if relative and m.baseline is None:
        return replace(m, error=f"{gate_id}: the saved baseline report has no value for this gate")
    if sides.mismatch and relative:
        reason = f"inconclusive: {sides.mismatch}; relative thresholds were not compared"
        absolute = {k: v for k, v in thresholds.items() if k not in RELATIVE_KEYS}
        if policy.mode == "strict":
            return replace(m, error=f"{gate_id}: {reason} (strict mode)")
        if not absolute:
            return replace(m, skipped=reason)
        return replace(m, thresholds=absolute, notes=(*m.notes, reason))
    return m


def _measure_slices(
    base_id: str, gate: ModelGate, metric: Metric, sides: Sides, inputs: Inputs, key: str
) -> list[Measurement]:
    """One gate per segment of the slice column; small segments are reported, not gated.

    A slice gate that gated no segment is an error: every segment below min_rows means the
    column (or min_rows) is wrong for this eval set, never a silent pass.
    """
    from mlgate.measure.model.slices import segments

    column = gate.slice_column or ""
    frame = inputs.eval
    where = inputs.loaded.where(key + ".slice")

    def error(message: str) -> Measurement:
        return Measurement(
            id=base_id, kind="model", name=gate.metric, level=gate.level, error=message
        )

    if column not in frame.columns:
        hint = did_you_mean(column, frame.columns)
        return [error(f"{where}: column {column!r} is not in {inputs.config.data.eval}{hint}")]
    try:
        parts = segments(frame[column], gate.slice_bins)
    except ValueError:
        return [error(f"{where}: bins need a numeric column, and {column!r} is not numeric")]
    out = []
    for part in parts:
        value, rows = part.label, part.rows
        gate_id = f"{base_id}[{column}={value}]"
        info: dict[str, Any] = {"column": column, "value": value, "rows": len(rows)}
        if part.bounds is not None:
            info["bin"] = list(part.bounds)
        extra = {"slice": info}
        if len(rows) < gate.min_rows:
            out.append(
                Measurement(
                    id=gate_id,
                    kind="model",
                    name=gate.metric,
                    level=gate.level,
                    thresholds=prepare.thresholds(gate),
                    higher_is_better=metric.higher_is_better,
                    skipped=f"{column}={value}: only {len(rows)} rows (min_rows {gate.min_rows}): "
                    "reported, not gated",
                    details={"n": len(rows), **extra},
                )
            )
            continue
        out.append(
            _measure(gate_id, gate, metric, sides, inputs, rows, family=base_id, extra=extra)
        )
    if parts and all(m.skipped is not None for m in out):
        largest = max(len(p.rows) for p in parts)
        out.append(error(prepare.nothing_gated(where, gate, column, len(parts), largest)))
    return out


__all__ = ["KIND", "MlgateError"]
