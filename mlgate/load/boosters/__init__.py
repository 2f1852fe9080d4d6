"""Native gradient-boosting model files: XGBoost (.json/.ubj), LightGBM (.txt), CatBoost (.cbm).

Each is loaded through its own library (an optional extra) from a data-only format: no pickle,
so no `trust:` is needed. The loaded model predicts like a scikit-learn estimator (`predict`,
and `predict_proba` + `classes_` for classifiers), so the task is inferred as for scikit-learn.
The per-library modules import their library at the top: the perf gate's memory probe preloads
a model's module, so library code is never counted as the model's memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlgate.errors import InputError, require
from mlgate.support.text import reason

# format -> (importable module, extra, display name)
LIBRARIES = {
    "xgboost": ("xgboost", "xgboost", "XGBoost"),
    "lightgbm": ("lightgbm", "lightgbm", "LightGBM"),
    "catboost": ("catboost", "catboost", "CatBoost"),
}


def load(path: Path, fmt: str, *, where: str, shown: str) -> Any:
    """Open the `fmt` booster file at `path` (checked to exist); `shown` names it in messages."""
    module, extra, name = LIBRARIES[fmt]
    require(module, extra, f"{where}: the {name} model {path.name}")
    if fmt == "xgboost":
        from mlgate.load.boosters import xgb as lib
    elif fmt == "lightgbm":
        from mlgate.load.boosters import lgbm as lib  # type: ignore[no-redef]
    else:
        from mlgate.load.boosters import cbm as lib  # type: ignore[no-redef]
    try:
        return lib.open_model(path, where, shown)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{where}: {shown} is not a readable {name} model: {reason(exc)}"
        ) from None


def is_xgboost_json(path: Any) -> bool:
    """Whether a .json file is an XGBoost model (its document opens with the "learner" key)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.lstrip().replace(b" ", b"").startswith(b'{"learner"')
