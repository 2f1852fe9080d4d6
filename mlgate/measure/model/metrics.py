"""Metrics by name: a registry with directions, scikit-learn scorer names, module:function."""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from mlgate.load.predictions import Predictions as Predictions  # what load produces
from mlgate.measure.model.registry import (
    _TASK_WORDS,
    REGISTRY,
    Response,
    Task,
    _Entry,
)
from mlgate.support.text import close_matches

HINT = "(any scikit-learn scorer name, or module:function)"


class MetricError(Exception):
    """A metric cannot be computed on these rows (the caller turns it into a gate error)."""


class UnknownMetric(Exception):
    """A metric name (or its options) does not resolve for this task; str() is the message."""

    def __init__(
        self, name: str, suggestions: tuple[str, ...] | list[str] = (), message: str | None = None
    ) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        if message is None:
            guess = f'; did you mean "{self.suggestions[0]}"?' if self.suggestions else ""
            message = f'unknown metric "{name}"{guess} {HINT}'
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Metric:
    """A resolved metric: how to call it, its direction, and what predictions it needs."""

    name: str  # as the user wrote it, e.g. "roc_auc", "f1_macro", "mymod:myfn"
    higher_is_better: bool
    response: Response
    task: Task = "binary"
    fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    kwargs: tuple[tuple[str, Any], ...] = ()
    sign: float = 1.0
    family: str | None = (
        None  # a vectorised/closed-form path in mlgate.measure.model.stats; None = generic
    )
    pos_label: Any = None  # binary: the positive class (None = the greater class)
    binarize: bool = False  # registry probability metrics on binary: y -> (y == pos_label)
    pass_pos_label: bool = False
    needs_both: bool = False
    source: Literal["registry", "scorer", "function"] = "registry"

    def score(self, y: np.ndarray, pred: Predictions) -> float:
        """The metric on all rows given; MetricError (naming the metric and reason) if undefined."""
        y_used, resp, labels = self.inputs(y, pred)
        kwargs = dict(self.kwargs)
        if self.pass_pos_label:
            kwargs.setdefault("pos_label", self.positive(y, pred))
        if labels is not None:
            kwargs.setdefault("labels", labels)
        assert self.fn is not None
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # zero division etc.: sklearn defines them as 0
                value = self.fn(y_used, resp, **kwargs)
            value = self.sign * float(value)
        except MetricError:
            raise
        except Exception as exc:  # the metric function's own complaint, e.g. a class missing
            raise MetricError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if not math.isfinite(value):
            raise MetricError(f"{self.name}: the value is not finite ({value}) on these rows")
        return value

    def inputs(
        self, y: np.ndarray, pred: Predictions
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Validated (y_true, response, labels) as the metric function receives them.

        `labels`: the class list for multiclass probabilities (columns sorted by class), else None.
        """
        y = np.asarray(y)
        n = len(y)
        if n == 0:
            raise MetricError(f"{self.name}: there are no eval rows to score")
        if len(pred) != n:
            raise MetricError(f"{self.name}: {len(pred)} predictions for {n} eval rows")
        _no_nan(self.name, "the target holds", y)
        if self.response == "label":
            label = np.asarray(pred.label)
            _no_nan(self.name, "the predictions hold", label)
            return y, label, None
        if pred.proba is None:
            raise MetricError(
                f"{self.name}: needs predicted probabilities, but the model gives "
                "none (no predict_proba)"
            )
        proba = np.asarray(pred.proba)
        _no_nan(self.name, "the predicted probabilities hold", proba)
        classes = (
            np.asarray(pred.classes)
            if pred.classes is not None
            else np.arange(1 if proba.ndim == 1 else proba.shape[1])
        )
        if self.task == "binary":
            pos = self.positive(y, pred)
            if proba.ndim == 1:  # already the positive-class probability
                column = proba
            else:
                where = np.flatnonzero(classes == pos)
                if len(where) != 1:
                    raise MetricError(
                        f"{self.name}: the positive class {pos} is not among the "
                        f"model's classes {list(classes)}"
                    )
                column = proba[:, where[0]]
            if not self.binarize:
                return y, column, None
            y_bin = (y == pos).astype(np.int64)
            if self.needs_both and y_bin.min() == y_bin.max():
                raise MetricError(
                    f"{self.name}: the eval rows hold a single class ({y[0]}); "
                    "it needs both classes"
                )
            return y_bin, column, (np.array([0, 1]) if self.fn_takes("labels") else None)
        order = np.argsort(classes, kind="stable")  # sklearn reads proba columns in sorted order
        labels = classes[order] if self.fn_takes("labels") else None
        return y, proba[:, order], labels

    def positive(self, y: np.ndarray, pred: Predictions) -> Any:
        """The positive class of a binary task: pos_label, else the model's greater class."""
        if self.pos_label is not None:
            return self.pos_label
        if pred.classes is not None and len(pred.classes) == 2:
            return np.asarray(pred.classes)[1]
        seen = np.unique(np.concatenate([np.unique(np.asarray(y)), np.unique(pred.label)]))
        if set(seen.tolist()) <= {0, 1}:
            return 1
        return seen[-1]

    def bind(self, y: np.ndarray, *preds: Predictions) -> Metric:
        """This metric with its positive class fixed (so every resample/slice uses the same one)."""
        if self.task != "binary" or self.pos_label is not None or not preds:
            return self
        return replace(self, pos_label=self.positive(y, preds[0]))

    def fn_takes(self, param: str) -> bool:
        """Whether the metric function accepts the keyword `param` (and the user did not set it)."""
        if any(k == param for k, _ in self.kwargs) or self.fn is None:
            return False
        return param in _parameters(self.fn)[0]


def _no_nan(name: str, what: str, values: np.ndarray) -> None:
    """Refuse NaN (and None) in target or predictions: they would silently skew the metric."""
    if values.dtype.kind == "f":
        mask = np.isnan(values)
    elif values.dtype.kind == "O":
        # NaN is the one value that differs from itself
        mask = (values != values) | np.equal(values, np.array(None))
    else:
        return
    bad = int(np.count_nonzero(mask.reshape(len(values), -1).any(axis=1)))
    if bad:
        raise MetricError(f"{name}: {what} NaN in {bad} of {len(values)} rows")


def _parameters(fn: Callable[..., Any]) -> tuple[list[str], bool]:
    """(keyword parameter names, accepts **kwargs) of a metric function."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return [], True
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


def known_names() -> list[str]:
    """Every metric name `resolve` knows: the registry and scikit-learn's scorer names."""
    from sklearn.metrics import get_scorer_names

    return sorted(set(REGISTRY) | set(get_scorer_names()))


def resolve(
    name: str,
    *,
    task: Task,
    params: dict[str, Any] | None = None,
    greater_is_better: bool | None = None,
    response: str | None = None,
    pos_label: Any = None,
) -> Metric:
    """The Metric for `name` on `task`; UnknownMetric (one clear line) if it does not resolve."""
    if response not in (None, "label", "proba"):
        raise UnknownMetric(
            name, message=f'metric "{name}": response must be "label" or "proba", got "{response}"'
        )
    if ":" in name:
        metric = _from_function(
            name,
            task,
            response or "label",
            True if greater_is_better is None else greater_is_better,
        )
    else:
        entry = REGISTRY.get(name)
        metric = _from_entry(name, entry, task) if entry else _from_scorer(name, task)
        if response is not None and response != metric.response:
            raise UnknownMetric(
                name,
                message=f'metric "{name}" uses {_RESPONSE[metric.response]}; '
                f"response: {response} does not apply to it",
            )
        if greater_is_better is not None and greater_is_better != metric.higher_is_better:
            better = "higher" if metric.higher_is_better else "lower"
            raise UnknownMetric(
                name,
                message=f'metric "{name}" is {better}-is-better; '
                "greater_is_better is only for module:function "
                "metrics",
            )
    if params:
        metric = _with_params(metric, params)
    return replace(metric, pos_label=pos_label) if pos_label is not None else metric


_RESPONSE = {"label": "predicted labels", "proba": "predicted probabilities"}


def _from_entry(name: str, entry: _Entry, task: Task) -> Metric:
    import sklearn.metrics

    if task not in entry.tasks:
        message = f'metric "{name}" is for {_TASK_WORDS[entry.tasks]}, but the task is {task}'
        if entry.pos and task == "multiclass":
            message += f'; use "{name}_macro", "{name}_micro" or "{name}_weighted"'
        raise UnknownMetric(name, message=message)
    kwargs = entry.kwargs
    family = entry.family
    if task == "multiclass" and entry.multiclass is not None:
        kwargs, family = entry.multiclass, "rank:ovr:macro"  # multiclass AUC: no DeLong
    fn = getattr(sklearn.metrics, entry.fn)
    return Metric(
        name=name,
        higher_is_better=entry.higher,
        response=entry.response,
        task=task,
        fn=fn,
        kwargs=tuple(kwargs.items()),
        sign=entry.sign,
        family=family,
        binarize=entry.response == "proba",
        pass_pos_label=entry.pos,
        needs_both=entry.needs_both,
    )


def _from_scorer(name: str, task: Task) -> Metric:
    """Any other scikit-learn scorer name, read from the scorer object (sign, kwargs, response)."""
    from sklearn.metrics import get_scorer, get_scorer_names

    if name not in get_scorer_names():
        raise UnknownMetric(name, _suggest(name))
    scorer = get_scorer(name)
    try:
        fn, sign = scorer._score_func, float(scorer._sign)
        kwargs, methods = dict(scorer._kwargs), scorer._response_method
    except AttributeError as exc:  # sklearn's private scorer layout changed
        raise UnknownMetric(
            name,
            message=f'metric "{name}": cannot read this scikit-learn '
            f"scorer ({exc}); use module:function instead",
        ) from exc
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if "predict" in methods:
        response: Response = "label"
    elif {"predict_proba", "decision_function"} & set(methods):
        response = "proba"
    else:
        raise UnknownMetric(
            name,
            message=f'metric "{name}": scorer needs {methods}, which '
            "mlgate does not provide; use module:function instead",
        )
    if response == "proba" and task == "regression":
        raise UnknownMetric(
            name, message=f'metric "{name}" needs class probabilities, but the task is regression'
        )
    # a scorer is greater-is-better by construction: `sign` already negated the losses
    return Metric(
        name=name,
        higher_is_better=True,
        response=response,
        task=task,
        fn=fn,
        kwargs=tuple(kwargs.items()),
        sign=sign,
        source="scorer",
    )


def _from_function(name: str, task: Task, response: str, higher: bool) -> Metric:
    """A user metric "module:function" (function(y_true, y_pred) -> float)."""
    import importlib

    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        raise UnknownMetric(name, message=f'metric "{name}": expected "module:function"')
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # user code: any import-time failure is a config problem
        raise UnknownMetric(
            name,
            message=f'metric "{name}": cannot import module '
            f'"{module_name}": {type(exc).__name__}: {exc}',
        ) from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UnknownMetric(
                name, message=f'metric "{name}": module "{module_name}" has no function "{attr}"'
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UnknownMetric(name, message=f'metric "{name}": "{attr}" is not a function')
    return Metric(
        name=name,
        higher_is_better=higher,
        response="proba" if response == "proba" else "label",
        task=task,
        fn=obj,
        source="function",
    )


def _with_params(metric: Metric, params: dict[str, Any]) -> Metric:
    """Pass `params` to the metric function as kwargs (checked against its signature)."""
    assert metric.fn is not None
    names, var_kw = _parameters(metric.fn)
    unknown = [p for p in params if p not in names and not var_kw]
    if unknown:
        valid = ", ".join(n for n in names[2:]) or "none"
        raise UnknownMetric(
            metric.name,
            message=f'metric "{metric.name}": unknown parameter "{unknown[0]}" (valid: {valid})',
        )
    kwargs = dict(metric.kwargs) | params
    # user parameters change the definition: only the generic (loop) bootstrap is exact then
    return replace(
        metric,
        kwargs=tuple(kwargs.items()),
        family=None,
        pass_pos_label=metric.pass_pos_label and "pos_label" not in params,
    )


def _suggest(name: str) -> list[str]:
    return close_matches(name, known_names(), n=3)
