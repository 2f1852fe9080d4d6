"""Loading models — skops (safe), ONNX, trusted joblib/pickle, factories, prediction files."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import ConfigError, InputError, require
from mlgate.support.text import reason as _reason

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlgate.load.predictions import Predictions

FORMATS_BY_SUFFIX = {
    ".skops": "skops",
    ".onnx": "onnx",
    ".joblib": "joblib",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".json": "xgboost",
    ".ubj": "xgboost",
    ".xgb": "xgboost",
    ".txt": "lightgbm",
    ".lgb": "lightgbm",
    ".cbm": "catboost",
    ".cb": "catboost",
}


@dataclass(frozen=True)
class ModelRef:
    """Everything needed to load a model, picklable (the perf gate reloads it in a child)."""

    key: str  # config key, e.g. "models.candidate"
    where: str  # "mlgate.yaml: models.candidate" for messages
    source: str  # the spec as the user wrote it
    path: Path | None = None  # local artifact (model file or predictions file)
    format: str | None = None  # skops | onnx | joblib | pickle | factory | predictions
    factory: str | None = None
    trust: bool | tuple[str, ...] = False
    root: Path | None = None  # the config's folder (factories import from there)


class Model:
    """A loaded model: predictions on a frame, plus what the perf gate needs (size, load time)."""

    def __init__(self, ref: ModelRef, impl: Any, load_ms: float) -> None:
        self.ref = ref
        self.impl = impl
        self.load_ms = load_ms

    @property
    def format(self) -> str:
        return self.ref.format or "?"

    @property
    def size_bytes(self) -> int | None:
        path = self.ref.path
        return path.stat().st_size if path is not None and path.is_file() else None

    @property
    def is_predictions_file(self) -> bool:
        return isinstance(self.impl, PredictionFile)

    @property
    def classes(self) -> np.ndarray | None:
        import numpy as np

        classes = getattr(self.impl, "classes_", None)
        return None if classes is None else np.asarray(classes)

    @property
    def can_predict_proba(self) -> bool:
        return callable(getattr(self.impl, "predict_proba", None))

    def predict_raw(self, features: pd.DataFrame) -> Any:
        """Call the model's predict on a frame (the timing primitive of the perf gate)."""
        return self.impl.predict(features)

    def predictions(self, features: pd.DataFrame, *, task: str) -> Predictions:
        """The model's predictions on the rows of `features`, validated (no NaN, right length)."""
        import numpy as np

        from mlgate.load.predictions import Predictions

        where = self.ref.where
        n = len(features)
        try:
            shared = _one_pass(self.impl, features) if task != "regression" else None
            if shared is not None:
                label, proba = shared
            else:
                label = np.asarray(self.impl.predict(features))
                proba = None
                if task != "regression" and self.can_predict_proba:
                    proba = self.impl.predict_proba(features)
            proba = None if proba is None else np.asarray(proba, dtype=float)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{where}: the model failed to predict: {_reason(exc)}") from None
        if label.ndim > 1 and label.shape[-1] == 1:
            label = label.reshape(-1)
        if label.shape[0] != n or (proba is not None and proba.shape[0] != n):
            raise InputError(
                f"{where}: the model returned {label.shape[0]} predictions for {n} eval rows"
            )
        if label.dtype.kind in "fc" and not np.isfinite(label).all():
            bad = int((~np.isfinite(label)).sum())
            raise InputError(f"{where}: the model predicted NaN or inf for {bad} of {n} rows")
        if proba is not None and not np.isfinite(proba).all():
            bad = int((~np.isfinite(proba).all(axis=1)).sum())
            raise InputError(f"{where}: the model's probabilities are NaN or inf for {bad} rows")
        if proba is not None and proba.ndim == 1:
            proba = np.column_stack([1 - proba, proba])
        return Predictions(label=label, proba=proba, classes=self.classes)


# scikit-learn classifiers whose predict is, in scikit-learn's own code, a function of the very
# pass predict_proba makes: labels and probabilities then come from one pass over the rows
_FORESTS = {
    ("sklearn.ensemble._forest", "RandomForestClassifier"),
    ("sklearn.ensemble._forest", "ExtraTreesClassifier"),
}
_HGB = (
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
    "HistGradientBoostingClassifier",
)
CHECK_ROWS = 256  # rows on which the one-pass labels are checked against the model's predict


def _one_pass(impl: Any, features: Any) -> tuple[Any, Any] | None:
    """(labels, probabilities) from one prediction pass, exactly as predict and predict_proba
    give them, for the exact types above (not subclasses); None for every other model.

    Forests: predict is classes_.take(argmax(predict_proba)). HistGradientBoosting: both are
    functions of _raw_predict (labels: raw > 0, or its argmax). The labels are checked against
    the model's own predict on the first rows, so a scikit-learn that changed either falls back
    to the two calls.
    """
    import numpy as np

    kind = (type(impl).__module__, type(impl).__name__)
    if kind in _FORESTS and getattr(impl, "n_outputs_", None) == 1:
        proba = impl.predict_proba(features)
        label = impl.classes_.take(np.argmax(proba, axis=1), axis=0)
    elif kind == _HGB and hasattr(impl, "_raw_predict") and hasattr(impl, "_loss"):
        raw = impl._raw_predict(features)
        encoded = (raw.ravel() > 0).astype(int) if raw.shape[1] == 1 else np.argmax(raw, axis=1)
        label, proba = impl.classes_[encoded], impl._loss.predict_proba(raw)
    else:
        return None
    head = features.iloc[:CHECK_ROWS] if hasattr(features, "iloc") else features[:CHECK_ROWS]
    if not np.array_equal(np.asarray(impl.predict(head)), label[:CHECK_ROWS]):
        return None
    return np.asarray(label), proba


def ref_for(spec: Any, *, key: str, where: str, root: Path, local: Path | None = None) -> ModelRef:
    """A ModelRef from a config `ModelSpec` (`local` = the resolved file for remote specs)."""
    trust = spec.trust if isinstance(spec.trust, bool) else tuple(spec.trust)
    if spec.factory:
        return ModelRef(key, where, spec.factory, None, "factory", spec.factory, trust, root)
    path = local or _local_path(spec.predictions or spec.path, root)
    if spec.predictions:
        return ModelRef(key, where, spec.predictions, path, "predictions", None, trust, root)
    fmt = spec.format or FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{where}: cannot tell the model format of {path.name!r}",
            hint="use .skops, .onnx, .joblib or .pkl, or set format:",
        )
    return ModelRef(key, where, spec.source, path, fmt, None, trust, root)


def _local_path(relative: str, root: Path) -> Path:
    path = Path(relative).expanduser()
    return path if path.is_absolute() else root / path


def load(ref: ModelRef, *, features: pd.DataFrame | None = None, ids: Any = None) -> Model:
    """Load a model (prediction files need the eval `features` row count and optional `ids`)."""
    start = time.perf_counter()
    loader = LOADERS[ref.format or ""]
    impl = loader(ref, features, ids)
    return Model(ref, impl, (time.perf_counter() - start) * 1000)


def _shown(ref: ModelRef) -> str:
    """The model path as the user would write it (relative to the config when inside it)."""
    assert ref.path is not None
    if ref.root is not None:
        try:
            return str(ref.path.resolve().relative_to(ref.root.resolve()))
        except ValueError:
            pass
    return str(ref.path)


def _check_file(ref: ModelRef) -> Path:
    assert ref.path is not None
    if not ref.path.is_file():
        raise InputError(
            f"{ref.where}: model file not found: {_shown(ref)}",
            hint="paths are relative to the config file",
        )
    return ref.path


def _load_booster(ref: ModelRef, *_: Any, fmt: str) -> Any:
    from mlgate.load import boosters

    return boosters.load(_check_file(ref), fmt, where=ref.where, shown=_shown(ref))


def _load_skops(ref: ModelRef, *_: Any) -> Any:
    import skops.io as sio

    from mlgate.load.skops_trust import untrusted

    path = _check_file(ref)
    try:
        reported = sio.get_untrusted_types(file=path)  # reads the schema, constructs nothing
    except Exception as exc:
        raise InputError(
            f"{ref.where}: {_shown(ref)} is not a readable skops file: {_reason(exc)}"
        ) from None
    extra = ref.trust if isinstance(ref.trust, tuple) else ()
    unknown = untrusted(reported, extra)
    if unknown:
        listed = ", ".join(_printable(t) for t in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise InputError(
            f"{ref.where}: {_printable(path.name)} contains types mlgate does not trust: "
            f"{listed}{more}",
            hint=f"if you trust them, list them under {ref.key}.trust (exact names)",
        )
    try:
        model = sio.load(path, trusted=reported)  # every name in `reported` was checked above
    except ModuleNotFoundError as exc:  # a trusted type whose code is not installed here
        root = (exc.name or "").split(".")[0]
        types = [t for t in reported if t.split(".")[0] == root] or [f"a type of {root}"]
        raise InputError(
            f"{ref.where}: {_shown(ref)} holds {', '.join(sorted(types))}, and the module "
            f"{exc.name!r} is not importable here",
            hint=f"install the package that provides {root!r} in this environment (the one the "
            "model was trained with), or add its folder to PYTHONPATH",
        ) from None
    except Exception as exc:
        raise InputError(f"{ref.where}: cannot load {_shown(ref)}: {_reason(exc)}") from None
    problem = _check_trees(model)
    if problem:
        raise InputError(f"{ref.where}: {_shown(ref)} holds a malformed tree: {problem}")
    return model


def _printable(text: str) -> str:
    """A name from a file, safe in one line of output (no control characters, bounded)."""
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown if len(shown) <= 120 else shown[:117] + "..."


def _check_trees(model: Any) -> str | None:
    """Why a tree in `model` would make scikit-learn read out of bounds, or None.

    Tree and TreePredictor index their node arrays without bounds checks at predict time, so a
    crafted file could crash the process; every child must come after its parent (no cycles)
    and inside the array, every feature inside the model's inputs.
    """
    import numpy as np

    seen: set[int] = set()
    stack: list[tuple[Any, int | None, int]] = [(model, None, 0)]
    while stack:
        obj, n_features, depth = stack.pop()
        if id(obj) in seen or depth > 64 or isinstance(obj, (str, bytes, int, float)):
            continue
        seen.add(id(obj))
        kind = type(obj).__module__ + "." + type(obj).__name__
        if kind == "sklearn.tree._tree.Tree":
            problem = _tree_problem(obj, n_features)
        elif kind == "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor":
            problem = _predictor_problem(obj, n_features)
        else:
            problem = None
        if problem:
            return problem
        try:
            inner = getattr(obj, "n_features_in_", None)
        except Exception:  # a property of an unfitted step
            inner = None
        if isinstance(inner, (int, np.integer)):
            n_features = int(inner)
        if isinstance(obj, dict):
            children: Any = obj.values()
        elif isinstance(obj, (list, tuple, set)):
            children = obj
        elif isinstance(obj, np.ndarray):
            children = obj.ravel() if obj.dtype == object else ()
        else:
            children = getattr(obj, "__dict__", {}).values()
        stack.extend((child, n_features, depth + 1) for child in children)
    return None


def _tree_problem(tree: Any, n_features: int | None) -> str | None:
    import numpy as np

    count = int(tree.node_count)
    left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    if not (len(left) == len(right) == len(feature) == count) or count < 1:
        return f"{count} nodes but arrays of {len(left)}, {len(right)}, {len(feature)}"
    index = np.arange(count)
    leaf = (left == -1) & (right == -1)
    bad = ~leaf & ((left <= index) | (right <= index) | (left >= count) | (right >= count))
    limit = min(int(tree.n_features), n_features) if n_features else int(tree.n_features)
    bad |= ~leaf & ((feature < 0) | (feature >= limit))
    if np.asarray(tree.value).shape[0] != count:
        return f"{count} nodes but {np.asarray(tree.value).shape[0]} values"
    return f"node {int(np.argmax(bad))} points outside the tree" if bad.any() else None


def _predictor_problem(predictor: Any, n_features: int | None) -> str | None:
    import numpy as np

    nodes = predictor.nodes
    count = len(nodes)
    if count < 1:
        return "a tree without nodes"
    index = np.arange(count)
    inner = nodes["is_leaf"] == 0
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    bad = inner & ((left <= index) | (right <= index) | (left >= count) | (right >= count))
    feature = nodes["feature_idx"].astype(np.int64)
    if n_features is not None:
        bad |= inner & ((feature < 0) | (feature >= n_features))
    categorical = inner & (nodes["is_categorical"] != 0)
    bitsets = len(np.asarray(predictor.raw_left_cat_bitsets))
    bad |= categorical & (nodes["bitset_idx"].astype(np.int64) >= bitsets)
    return f"node {int(np.argmax(bad))} points outside the tree" if bad.any() else None


def _load_pickle(ref: ModelRef, *_: Any) -> Any:
    path = _check_file(ref)
    if ref.trust is not True:
        raise InputError(
            f"{ref.where}: {path.name} is a {ref.format} file: loading it runs arbitrary code",
            hint=f"set {ref.key}.trust: true if you trust it, or save the model with skops",
        )
    try:
        import joblib

        return joblib.load(path)
    except Exception as exc:
        raise InputError(f"{ref.where}: cannot load {_shown(ref)}: {_reason(exc)}") from None


def _load_onnx(ref: ModelRef, *_: Any) -> Any:
    path = _check_file(ref)
    require("onnxruntime", "onnx", f"{ref.where}: the ONNX model {path.name}")
    from mlgate.load.onnx import OnnxModel

    try:
        return OnnxModel(path)
    except Exception as exc:
        raise InputError(
            f"{ref.where}: cannot load ONNX model {_shown(ref)}: {_reason(exc)}"
        ) from None


def _load_factory(ref: ModelRef, *_: Any) -> Any:
    target = ref.factory or ""
    module_name, _sep, attr = target.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"{ref.where}.factory: expected module:function, got {target!r}")
    if ref.root is not None and str(ref.root) not in sys.path:
        sys.path.insert(0, str(ref.root))
    try:
        function = getattr(importlib.import_module(module_name), attr)
        return function()
    except Exception as exc:
        raise InputError(f"{ref.where}.factory: {target} failed: {_reason(exc)}") from None


def _load_predictions(ref: ModelRef, features: Any, ids: Any) -> Any:
    path = _check_file(ref)
    from mlgate.load.tables import read_table

    return PredictionFile(read_table(path, where=ref.where), ref.where, features, ids)


LOADERS: dict[str, Callable[..., Any]] = {
    "skops": _load_skops,
    "onnx": _load_onnx,
    "joblib": _load_pickle,
    "pickle": _load_pickle,
    "factory": _load_factory,
    "predictions": _load_predictions,
    "xgboost": partial(_load_booster, fmt="xgboost"),
    "lightgbm": partial(_load_booster, fmt="lightgbm"),
    "catboost": partial(_load_booster, fmt="catboost"),
}


class PredictionFile:
    """Predictions made outside Python, aligned to the eval rows (by `data.id`, else by order).

    Columns: `prediction` (label or value) and, for classifiers, `proba_<class>` per class (or a
    single `proba` / `score` column for the positive class of a binary task).
    """

    def __init__(self, frame: Any, where: str, features: Any, ids: Any) -> None:
        import numpy as np

        if "prediction" not in frame.columns:
            cols = ", ".join(map(str, frame.columns[:8]))
            raise InputError(
                f"{where}: the predictions file has no 'prediction' column (has {cols})"
            )
        n = len(features) if features is not None else len(frame)
        if ids is not None:
            id_col = ids.name
            if id_col not in frame.columns:
                raise InputError(f"{where}: the predictions file has no id column {id_col!r}")
            indexed = frame.set_index(id_col)
            missing = ~ids.isin(indexed.index)
            if missing.any():
                raise InputError(
                    f"{where}: {int(missing.sum())} eval rows have no prediction "
                    f"(e.g. {id_col}={ids[missing].iloc[0]!r})"
                )
            if not indexed.index.is_unique:
                raise InputError(f"{where}: the id column {id_col!r} has duplicates")
            frame = indexed.loc[ids.to_numpy()].reset_index()
        elif len(frame) != n:
            raise InputError(
                f"{where}: {len(frame)} predictions for {n} eval rows",
                hint="give one row per eval row in the same order, or set data.id",
            )
        self._label = frame["prediction"].to_numpy()
        proba_cols = [c for c in frame.columns if c.startswith("proba_")]
        self.classes_: Any = None
        self._proba: Any = None
        if proba_cols:
            labels = [c.removeprefix("proba_") for c in proba_cols]
            self.classes_ = _typed_classes(labels, self._label)
            self._proba = frame[proba_cols].to_numpy(dtype=float)
        else:
            single = next((c for c in ("proba", "score") if c in frame.columns), None)
            if single:
                classes = np.unique(self._label)
                self.classes_ = classes if len(classes) == 2 else None
                positive = frame[single].to_numpy(dtype=float)
                self._proba = np.column_stack([1 - positive, positive])

    def predict(self, _features: Any) -> Any:
        return self._label

    def predict_proba(self, _features: Any) -> Any:
        return self._proba


def _typed_classes(labels: list[str], predicted: Any) -> Any:
    """Class names from `proba_<class>` headers, cast to the prediction column's type."""
    import numpy as np

    try:
        return np.asarray(labels).astype(predicted.dtype)
    except (TypeError, ValueError):
        return np.asarray(labels)
