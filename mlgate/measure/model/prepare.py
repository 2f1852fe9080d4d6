"""What both engines do before scoring a model gate: ids, metric, direction, model, thresholds.

The pandas engine (gate.py) and the Spark engine (spark.py) share these, so a gate is resolved
and refused the same way whichever engine scores it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError
from mlgate.records import FROM_BEST_KEYS, THRESHOLD_KEYS, from_best_key, relative_key

if TYPE_CHECKING:
    from mlgate.config import ModelGate
    from mlgate.load.inputs import Inputs
    from mlgate.load.models import Model
    from mlgate.measure.model.metrics import Metric


def base_ids(gates: Any) -> list[tuple[str, ModelGate]]:
    """Each gate's id: `id:`, else `model.<metric>`; a repeat gets `#2`, `#3`..."""
    seen: dict[str, int] = {}
    out = []
    for gate in gates:
        base_id = gate.id or f"model.{gate.metric}"
        seen[base_id] = seen.get(base_id, 0) + 1
        out.append((base_id if seen[base_id] == 1 else f"{base_id}#{seen[base_id]}", gate))
    return out


def resolve(gate: ModelGate, task: str, inputs: Inputs, key: str) -> Metric:
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
            pos_label=pos_label(inputs),
        )
    except metrics.UnknownMetric as exc:
        raise ConfigError(f"{inputs.loaded.where(key + '.metric')}: {exc}") from None


def check_direction(gate: ModelGate, metric: Metric, inputs: Inputs, key: str) -> None:
    for lookup in (relative_key, from_best_key):
        check_key_direction(gate, metric, inputs, key, lookup)


def check_key_direction(
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


def check_model(model: Model, X: Any, inputs: Inputs, key: str, task: str) -> None:
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
        if missing or (extra and rejects_extra_columns(impl)):
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
    kind = estimator_kind(impl)
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


def estimator_kind(impl: Any) -> str | None:
    """ "regressor" / "classifier" for a scikit-learn estimator, else None (ONNX, files...)."""
    if not type(impl).__module__.startswith("sklearn"):
        return None
    try:
        from sklearn.base import is_classifier, is_regressor

        return "regressor" if is_regressor(impl) else "classifier" if is_classifier(impl) else None
    except Exception:  # an estimator sklearn cannot tag: say nothing rather than guess
        return None


def rejects_extra_columns(impl: Any) -> bool:
    """Whether columns the model was not fitted on would break it: a scikit-learn estimator
    does, unless it is (or starts with) a ColumnTransformer that drops the rest. A user's own
    class (a factory's subclass, a wrapper) or another library's model may select its columns
    itself: only missing ones are sure to break it."""
    if not type(impl).__module__.startswith("sklearn."):
        return False
    steps = getattr(impl, "steps", None)
    first = steps[0][1] if steps else impl
    return getattr(first, "remainder", None) != "drop"


def thresholds(gate: ModelGate) -> dict[str, Any]:
    keys = (*THRESHOLD_KEYS, *FROM_BEST_KEYS)
    return {k: getattr(gate, k) for k in keys if getattr(gate, k) is not None}


def pos_label(inputs: Inputs) -> Any:
    models = inputs.config.models
    return models.pos_label if models is not None else None


def nothing_gated(where: str, gate: ModelGate, column: str, segments: int, largest: int) -> str:
    """The error of a slice gate whose every segment is below min_rows (no silent pass)."""
    fix = (
        f"use fewer bins, e.g. slice: {{column: {column}, bins: 4}}"
        if gate.slice_bins is not None
        else f"group it into fewer values, or bin a numeric column: "
        f"slice: {{column: {column}, bins: 4}}"
    )
    return (
        f"{where}: every segment of {column!r} has fewer than min_rows "
        f"({gate.min_rows}) rows ({segments} segments, the largest {largest} rows), so "
        f"nothing was gated; {fix}, or lower min_rows"
    )
