"""Native gradient-boosting model files: XGBoost (.json/.ubj), LightGBM (.txt), CatBoost (.cbm).

Each is loaded through its own library (an optional extra) from a data-only format: no pickle,
so no `trust:` is needed. The loaded model predicts like a scikit-learn estimator (`predict`,
and `predict_proba` + `classes_` for classifiers), so the task is inferred as for scikit-learn.
The per-library modules import their library at the top: the perf gate's memory probe preloads
a model's module, so library code is never counted as the model's memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate.errors import InputError, require

if TYPE_CHECKING:
    from mlgate.load.models import ModelRef

# format -> (importable module, extra, display name)
LIBRARIES = {
    "xgboost": ("xgboost", "xgboost", "XGBoost"),
    "lightgbm": ("lightgbm", "lightgbm", "LightGBM"),
    "catboost": ("catboost", "catboost", "CatBoost"),
}


def load_xgboost(ref: ModelRef, *_: Any) -> Any:
    return _load(ref, "xgboost")


def load_lightgbm(ref: ModelRef, *_: Any) -> Any:
    return _load(ref, "lightgbm")


def load_catboost(ref: ModelRef, *_: Any) -> Any:
    return _load(ref, "catboost")


def _load(ref: ModelRef, fmt: str) -> Any:
    from mlgate.load.models import _check_file, _reason, _shown

    path = _check_file(ref)
    module, extra, name = LIBRARIES[fmt]
    require(module, extra, f"{ref.where}: the {name} model {path.name}")
    if fmt == "xgboost":
        from mlgate.load.boosters import xgb as lib
    elif fmt == "lightgbm":
        from mlgate.load.boosters import lgbm as lib  # type: ignore[no-redef]
    else:
        from mlgate.load.boosters import cbm as lib  # type: ignore[no-redef]
    try:
        return lib.open_model(path, ref.where, _shown(ref))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{ref.where}: {_shown(ref)} is not a readable {name} model: {_reason(exc)}"
        ) from None


def is_xgboost_json(path: Any) -> bool:
    """Whether a .json file is an XGBoost model (its document opens with the "learner" key)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.lstrip().replace(b" ", b"").startswith(b'{"learner"')
