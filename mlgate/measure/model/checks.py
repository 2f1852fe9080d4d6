"""Model-gate config checks before anything loads: metric names, direction, task, slice columns.

Only cheap reads happen here: the eval file's header, and the values of the target column (to
know the task when `models.task` is not set) and of unbinned slice columns (to refuse a
continuous column as a slice). Neither numpy nor scikit-learn is imported, except
for a metric name outside mlgate's own table (looked up among sklearn's scorer names).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlgate.support.text import close_matches, did_you_mean

if TYPE_CHECKING:
    from mlgate.config import LoadedConfig, ModelGate

# a numeric slice column with more distinct values than this is a config error: cut it into bins
MAX_SLICE_VALUES = 20
MISSING_TEXT = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "<NA>", "#N/A"})


def problems(loaded: LoadedConfig) -> list[str]:
    """Every model-gate problem of the config, located, in config order."""
    from mlgate.load.tables import read_columns, read_header

    config = loaded.config
    out: list[str] = []
    path = loaded.resolve(config.data.eval)
    header = read_header(path)
    target = config.data.target
    slices = {
        g.slice_column
        for g in config.gates.model
        if g.slice_column and g.slice_bins is None and header and g.slice_column in header
    }
    wanted = sorted(slices)
    task, why = _configured_task(loaded)
    need_task = task is None and target is not None and header is not None and target in header
    if need_task:
        wanted.append(str(target))
    values = (read_columns(path, wanted) or {}) if wanted else {}
    if need_task and target in values:
        task, why = task_from_target(values[str(target)], str(target))
    for i, gate in enumerate(config.gates.model):
        key = f"gates.model[{i}]"
        out.extend(_metric_problems(gate, task, why, loaded, key))
        out.extend(_slice_problems(gate, loaded, key, header, values))
    return out


def _configured_task(loaded: LoadedConfig) -> tuple[tuple[str, ...] | None, str]:
    models = loaded.config.models
    if models is not None and models.task:
        return (models.task,), f"models.task is {models.task}"
    return None, ""


def task_from_target(values: list[Any], column: str) -> tuple[tuple[str, ...] | None, str]:
    """The tasks the target column allows on its own: non-integer numbers are a regression,
    text or booleans a classification (multiclass beyond two labels). Whole numbers decide
    nothing (counts or class codes): None."""
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) == 1 and kinds <= {int, float, str, bool}:  # one type: equal values, one answer
        values = list(set(values))  # the distinct ones, at C speed (a 1M-row target in ~50 ms)
    numbers = numeric(values)
    if numbers is not None:
        if any(math.isfinite(x) and x != int(x) for x in numbers):
            return ("regression",), f"data.target {column!r} holds non-integer numbers"
        return None, ""
    labels = {str(v) for v in values if not _missing(v)}
    if len(labels) > 2:
        return ("multiclass",), f"data.target {column!r} holds {len(labels)} labels"
    if labels:
        return ("binary", "multiclass"), f"data.target {column!r} holds labels, not numbers"
    return None, ""


def numeric(values: list[Any]) -> list[float] | None:
    """The values as floats (missing ones left out), or None when some value is not a number."""
    out: list[float] = []
    for value in values:
        if _missing(value):
            continue
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            out.append(float(value))
            continue
        if isinstance(value, str):
            try:
                out.append(float(value))
            except ValueError:
                return None
            continue
        return None
    return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and value.strip() in MISSING_TEXT


def _metric_problems(
    gate: ModelGate, tasks: tuple[str, ...] | None, why: str, loaded: LoadedConfig, key: str
) -> list[str]:
    from mlgate.measure.model import registry

    name = gate.metric
    if ":" in name:
        module, _, func = name.partition(":")
        if not (module and func):
            return [f'{loaded.where(key + ".metric")}: expected "module:function", got "{name}"']
        higher = True if gate.greater_is_better is None else gate.greater_is_better
        return _direction(gate, higher, loaded, key)
    entry = registry.REGISTRY.get(name)
    if entry is None:
        from mlgate.measure.model import metrics

        known = metrics.known_names()  # sklearn's scorer names: only for names outside the table
        if name not in known:
            close = close_matches(name, known)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            return [
                f'{loaded.where(key + ".metric")}: unknown metric "{name}"; {hint}'
                "(any scikit-learn scorer name, or module:function)"
            ]
        return _direction(gate, True, loaded, key)  # scorers are greater-is-better by design
    out = _direction(gate, entry.higher, loaded, key)
    if tasks is not None and not set(tasks) & set(entry.tasks):
        task = tasks[0] if len(tasks) == 1 else "classification"
        words = registry._TASK_WORDS[entry.tasks]
        message = f'metric "{name}" is for {words}, but the task is {task}'
        if entry.pos and task == "multiclass":
            message += f'; use "{name}_macro", "{name}_micro" or "{name}_weighted"'
        fix = _metrics_for(task)
        out.append(f"{loaded.where(key + '.metric')}: {message} ({why}; {fix})")
    return out


def _metrics_for(task: str) -> str:
    if task == "regression":
        return "use a regression metric such as mae, rmse or r2, or set models.task"
    if task == "multiclass":
        return (
            "use a multiclass metric such as accuracy, f1_macro or roc_auc_ovr, or set models.task"
        )
    return "use a classification metric such as accuracy, f1 or roc_auc, or set models.task"


def _direction(gate: ModelGate, higher: bool, loaded: LoadedConfig, key: str) -> list[str]:
    wrong = "max_increase" if higher else "max_drop"
    right = "max_drop" if higher else "max_increase"
    if getattr(gate, wrong) is None:
        return []
    better = "higher" if higher else "lower"
    return [
        f"{loaded.where(f'{key}.{wrong}')}: {gate.metric} is better when {better}, so a "
        f"regression is {'a drop' if higher else 'an increase'} (use {right})"
    ]


def _slice_problems(
    gate: ModelGate,
    loaded: LoadedConfig,
    key: str,
    header: list[str] | None,
    values: dict[str, list[Any]],
) -> list[str]:
    column = gate.slice_column
    config = loaded.config
    if column is None:
        return []
    where = loaded.where(key + ".slice")
    if column == config.data.target:
        return [f"{where}: cannot slice by the target column"]
    if header is not None and column not in header:
        hint = did_you_mean(column, header)
        return [f"{where}: column {column!r} is not in {config.data.eval}{hint}"]
    seen = values.get(column)
    if gate.slice_bins is not None or seen is None:
        return []
    numbers = numeric(seen)
    distinct = sorted(set(numbers)) if numbers is not None else []
    if len(distinct) <= MAX_SLICE_VALUES:
        return []
    return [
        f"{where}: column {column!r} is numeric with {len(distinct)} distinct values: as a slice "
        f"it would make {len(distinct)} tiny segments; cut it into bins: "
        f"slice: {{column: {column}, bins: {suggest_edges(sorted(numbers or []))}}} (edges), or "
        f"slice: {{column: {column}, bins: 4}} (quartiles)"
    ]


def suggest_edges(ordered: list[float]) -> str:
    """Round edges near the quartiles of the (sorted) values, e.g. [18, 35, 50, 65, 91]."""
    lo, hi = ordered[0], ordered[-1]
    picks = [ordered[round(q * (len(ordered) - 1))] for q in (0.25, 0.5, 0.75)]
    top = math.ceil(hi) + (1 if hi == int(hi) else 0)  # the last bin includes its upper edge
    edges = [math.floor(lo), *(_round(p) for p in picks), top]
    unique: list[float] = []
    for edge in edges:
        if not unique or edge > unique[-1]:
            unique.append(edge)
    return "[" + ", ".join(f"{e:g}" for e in unique) + "]"


def _round(value: float) -> float:
    """Two significant digits: 37.4 -> 37, 1234 -> 1200, 0.0456 -> 0.046."""
    if value == 0:
        return 0.0
    digits = 1 - math.floor(math.log10(abs(value)))
    return round(value, digits)
