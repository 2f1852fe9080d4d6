"""The metric table: every metric mlgate knows by name, its direction, response and tasks.

Pure data (no numpy, no scikit-learn), so a config can be checked before anything heavy loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Task = Literal["binary", "multiclass", "regression"]
Response = Literal["label", "proba"]

CLS: tuple[Task, ...] = ("binary", "multiclass")
BIN: tuple[Task, ...] = ("binary",)
MULTI: tuple[Task, ...] = ("multiclass",)
REG: tuple[Task, ...] = ("regression",)


@dataclass(frozen=True)
class _Entry:
    """A registry row: a scikit-learn metric function and how mlgate calls it."""

    fn: str  # function name in sklearn.metrics
    higher: bool
    response: Response
    tasks: tuple[Task, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    sign: float = 1.0  # sklearn scorer names ("neg_…") report the negated loss
    family: str | None = (
        None  # fast path in mlgate.measure.model.stats: "rows:LOSS:FINISH", "confusion:HOW"…
    )
    multiclass: dict[str, Any] | None = None  # kwargs that replace `kwargs` on a multiclass task
    pos: bool = False  # a binary label metric: pass pos_label
    needs_both: bool = False  # undefined unless both classes occur in the eval rows


def _prf(fn: str, how: str) -> dict[str, _Entry]:
    """precision/recall/f1/jaccard and their _macro/_micro/_weighted variants."""
    rows = {
        how: _Entry(
            fn,
            True,
            "label",
            BIN,
            {"average": "binary"},
            family=f"confusion:{how}:binary",
            pos=True,
        )
    }
    for avg in ("macro", "micro", "weighted"):
        rows[f"{how}_{avg}"] = _Entry(
            fn, True, "label", CLS, {"average": avg}, family=f"confusion:{how}:{avg}"
        )
    return rows


def _losses(
    short: str,
    long: str,
    fn: str,
    loss: str,
    tasks: tuple[Task, ...],
    response: Response = "label",
    sqrt: bool = False,
) -> dict[str, _Entry]:
    """A loss under its short name, its sklearn name (lower is better) and its neg_ scorer name."""
    finish = "sqrt" if sqrt else ""
    plain = _Entry(fn, False, response, tasks, family=f"rows:{loss}:{finish}")
    neg = replace(plain, higher=True, sign=-1.0, family=f"rows:{loss}:neg{finish}")
    return {name: plain for name in (short, long) if name} | {f"neg_{long}": neg}


# name -> entry. Plain loss names are lower-is-better; sklearn's "neg_…" scorer names keep
# sklearn's sign convention (negated, higher is better) so sklearn users get what they expect.
REGISTRY: dict[str, _Entry] = {
    "accuracy": _Entry("accuracy_score", True, "label", CLS, family="rows:zero_one:"),
    "balanced_accuracy": _Entry(
        "balanced_accuracy_score", True, "label", CLS, family="confusion:balanced_accuracy"
    ),
    **_prf("f1_score", "f1"),
    **_prf("precision_score", "precision"),
    **_prf("recall_score", "recall"),
    **_prf("jaccard_score", "jaccard"),
    "matthews_corrcoef": _Entry("matthews_corrcoef", True, "label", CLS, family="confusion:mcc"),
    "cohen_kappa": _Entry("cohen_kappa_score", True, "label", CLS, family="confusion:kappa"),
    "roc_auc": _Entry(
        "roc_auc_score",
        True,
        "proba",
        CLS,
        family="auc",
        needs_both=True,
        multiclass={"multi_class": "ovr"},
    ),
    "roc_auc_ovr": _Entry(
        "roc_auc_score", True, "proba", MULTI, {"multi_class": "ovr"}, family="rank:ovr:macro"
    ),
    "roc_auc_ovo": _Entry(
        "roc_auc_score", True, "proba", MULTI, {"multi_class": "ovo"}, family="rank:ovo:macro"
    ),
    "roc_auc_ovr_weighted": _Entry(
        "roc_auc_score",
        True,
        "proba",
        MULTI,
        {"multi_class": "ovr", "average": "weighted"},
        family="rank:ovr:weighted",
    ),
    "roc_auc_ovo_weighted": _Entry(
        "roc_auc_score",
        True,
        "proba",
        MULTI,
        {"multi_class": "ovo", "average": "weighted"},
        family="rank:ovo:weighted",
    ),
    "average_precision": _Entry(
        "average_precision_score", True, "proba", BIN, family="rank:ap", needs_both=True
    ),
    **_losses("", "log_loss", "log_loss", "log_loss", CLS, "proba"),
    **_losses("brier_score", "brier_score", "brier_score_loss", "brier", BIN, "proba"),
    "r2": _Entry("r2_score", True, "label", REG, family="sums:r2"),
    "explained_variance": _Entry(
        "explained_variance_score", True, "label", REG, family="sums:explained_variance"
    ),
    **_losses("mse", "mean_squared_error", "mean_squared_error", "squared", REG),
    **_losses(
        "rmse", "root_mean_squared_error", "root_mean_squared_error", "squared", REG, sqrt=True
    ),
    **_losses("mae", "mean_absolute_error", "mean_absolute_error", "absolute", REG),
    **_losses(
        "mape", "mean_absolute_percentage_error", "mean_absolute_percentage_error", "ape", REG
    ),
    "median_absolute_error": _Entry(
        "median_absolute_error", False, "label", REG, family="order:median"
    ),
    "max_error": _Entry("max_error", False, "label", REG, family="order:max"),
}

_TASK_WORDS = {
    BIN: "binary classification",
    MULTI: "multiclass classification",
    CLS: "classification",
    REG: "regression",
}
