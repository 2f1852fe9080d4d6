"""Model gates: metrics of the candidate vs the production model, re-evaluated on the same rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError, MlgateError
from mlgate.records import (
    FROM_BEST_KEYS,
    RELATIVE_KEYS,
    THRESHOLD_KEYS,
    Measurement,
    from_best_key,
    relative_key,
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
        for base_id, gate in _base_ids(loaded.config.gates.model):
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
        for i, (base_id, gate) in enumerate(_base_ids(config.gates.model)):
            key = f"gates.model[{i}]"
            metric = _resolve(gate, task, inputs, key)
            # fix the positive class once, so both models, every slice and resample agree
            others = [sides.baseline] if sides.baseline is not None else []
            metric = metric.bind(sides.y, sides.candidate, *others)
            _check_direction(gate, metric, inputs, key)
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
                    pos_label=_pos_label(inputs),
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


def _base_ids(gates: Any) -> list[tuple[str, ModelGate]]:
    """Each gate's id: `id:`, else `model.<metric>`; a repeat gets `#2`, `#3`..."""
    seen: dict[str, int] = {}
    out = []
    for gate in gates:
        base_id = gate.id or f"model.{gate.metric}"
        seen[base_id] = seen.get(base_id, 0) + 1
        out.append((base_id if seen[base_id] == 1 else f"{base_id}#{seen[base_id]}", gate))
    return out


def _resolve(gate: ModelGate, task: str, inputs: Inputs, key: str) -> Metric:
    from mlgate.measure.model import metrics

    root = str(inputs.loaded.root)
    import sys

    if ":" in gate.metric and root not in sys.path:
        sys.path.insert(0, root)  # module:function metrics live in the user's project
    try:
        return metrics.resolve(
            gate.metric,
            task=task,  # type: ignore[arg-type]  # inputs.task is one of the three
            params=gate.params,
            greater_is_better=gate.greater_is_better,
            response=gate.response,
            pos_label=_pos_label(inputs),
        )
    except metrics.UnknownMetric as exc:
        raise ConfigError(f"{inputs.loaded.where(key + '.metric')}: {exc}") from None


def _with_history(out: list[Measurement], inputs: Inputs) -> list[Measurement]:
    """Each gate with its production values from the baseline's history.jsonl (if any)."""
    resolved = inputs.baseline_source
    found = resolved.history if resolved is not None else None
    if found is None or not found.entries:
        return out
    fingerprint = inputs.fingerprint
    return [replace(m, history=found.points(m.id, fingerprint)) for m in out]


def _check_direction(gate: ModelGate, metric: Metric, inputs: Inputs, key: str) -> None:
    for lookup in (relative_key, from_best_key):
        _check_key_direction(gate, metric, inputs, key, lookup)


def _check_key_direction(
    gate: ModelGate, metric: Metric, inputs: Inputs, key: str, lookup: Any
) -> None:
    wrong = lookup(not metric.higher_is_better)
    right = lookup(metric.higher_is_better)
    if getattr(gate, wrong) is not None:
        better = "higher" if metric.higher_is_better else "lower"
        raise ConfigError(
            f"{inputs.loaded.where(f'{key}.{wrong}')}: {gate.metric} is better when {better}, "
            f"so a regression is {'a drop' if metric.higher_is_better else 'an increase'}",
            hint=f"use {right}",
        )


def _pos_label(inputs: Inputs) -> Any:
    models = inputs.config.models
    return models.pos_label if models is not None else None


def _has_baseline(sides: Sides) -> bool:
    return sides.baseline is not None or sides.saved is not None


def _sides(inputs: Inputs) -> Sides:
    """Predict with both models once (memoised for diagnostics)."""
    if "model.sides" in inputs.memo:
        return inputs.memo["model.sides"]  # type: ignore[no-any-return]
    y, X, task = inputs.y, inputs.X, inputs.task
    _check_model(inputs.candidate, X, inputs, "models.candidate", task)
    candidate = _predict(inputs.candidate, X, task)
    _check_labels(candidate, y, inputs, "models.candidate", task)
    baseline = None
    saved = None
    mismatch = None
    base_model = inputs.baseline
    if base_model is not None:
        _check_model(base_model, X, inputs, "models.baseline", task)
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


def _check_model(model: Model, X: Any, inputs: Inputs, key: str, task: str) -> None:
    """Say the fix when the model cannot fit these features or this task (before predicting,
    so the user reads "expects 9 features" rather than "could not convert string to float")."""
    from mlgate.errors import InputError

    impl, where = model.impl, inputs.loaded.where(key)
    given = [str(c) for c in X.columns]
    source = (
        "data.features"
        if inputs.config.data.features is not None
        else "the eval data (every column but data.target and data.id)"
    )
    fix = "set data.features to the columns the model was fitted on, in that order"
    names = getattr(impl, "feature_names_in_", None)
    count = getattr(impl, "n_features_in_", None)
    if not isinstance(count, int) or count <= 0:  # unknown (CatBoost says 0): nothing to check
        count = None
    if names is not None:
        expected = [str(n) for n in names]
        missing = [n for n in expected if n not in given]
        extra = [c for c in given if c not in expected]
        if missing or (extra and _rejects_extra_columns(impl)):
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if extra:
                parts.append("not in the model " + ", ".join(extra))
            raise InputError(
                f"{where}: the model expects {len(expected)} features, {source} gives "
                f"{len(given)}: {'; '.join(parts)}",
                hint=fix,
            )
    elif isinstance(count, int) and count != len(given):
        shown = ", ".join(given[:12]) + (" ..." if len(given) > 12 else "")
        raise InputError(
            f"{where}: the model expects {count} features, {source} gives {len(given)}: {shown}",
            hint=fix + " (the model was fitted without column names)",
        )
    elif isinstance(count, int):
        text = [c for c in given if X[c].dtype.kind not in "biufc"]
        if text:
            raise InputError(
                f"{where}: the model was fitted without column names on {count} numeric "
                f"features, and {source} includes text columns: {', '.join(text[:8])}",
                hint=fix,
            )
    task_set = inputs.config.models.task if inputs.config.models else None
    kind = _estimator_kind(impl)
    if task_set in ("binary", "multiclass") and kind == "regressor":
        raise InputError(
            f"{where}: models.task is {task_set}, but the model is a regressor "
            f"({type(impl).__name__}, no classes)",
            hint="set models.task: regression, or point it at a classifier",
        )
    if task_set == "regression" and kind == "classifier":
        raise InputError(
            f"{where}: models.task is regression, but the model is a classifier "
            f"({type(impl).__name__})",
            hint="set models.task to binary or multiclass, or point it at a regressor",
        )


def _estimator_kind(impl: Any) -> str | None:
    """ "regressor" / "classifier" for a scikit-learn estimator, else None (ONNX, files...)."""
    if not type(impl).__module__.startswith("sklearn"):
        return None
    try:
        from sklearn.base import is_classifier, is_regressor

        return "regressor" if is_regressor(impl) else "classifier" if is_classifier(impl) else None
    except Exception:  # an estimator sklearn cannot tag: say nothing rather than guess
        return None


def _rejects_extra_columns(impl: Any) -> bool:
    """Whether columns the model was not fitted on would break it: a scikit-learn estimator
    does, unless it is (or starts with) a ColumnTransformer that drops the rest. A user's own
    class (a factory's subclass, a wrapper) or another library's model may select its columns
    itself: only missing ones are sure to break it."""
    if not type(impl).__module__.startswith("sklearn."):
        return False
    steps = getattr(impl, "steps", None)
    first = steps[0][1] if steps else impl
    return getattr(first, "remainder", None) != "drop"


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


def _thresholds(gate: ModelGate) -> dict[str, Any]:
    keys = (*THRESHOLD_KEYS, *FROM_BEST_KEYS)
    return {k: getattr(gate, k) for k in keys if getattr(gate, k) is not None}


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
    thresholds = _thresholds(gate)
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
                    thresholds=_thresholds(gate),
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
        fix = (
            f"use fewer bins, e.g. slice: {{column: {column}, bins: 4}}"
            if gate.slice_bins is not None
            else f"group it into fewer values, or bin a numeric column: "
            f"slice: {{column: {column}, bins: 4}}"
        )
        out.append(
            error(
                f"{where}: every segment of {column!r} has fewer than min_rows "
                f"({gate.min_rows}) rows ({len(parts)} segments, the largest {largest} rows), so "
                f"nothing was gated; {fix}, or lower min_rows"
            )
        )
    return out


__all__ = ["KIND", "MlgateError"]
