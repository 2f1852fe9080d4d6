"""Realistic reports built in Python: blocked, passing, error-only, slices, drift, perf, hostile.

A module with a unique name (not conftest) so test modules can import it unambiguously.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mlgate.records import Check, GateResult, Report

GOLD = Path(__file__).parents[1] / "report" / "gold"
UPDATE_GOLD = os.environ.get("MLGATE_UPDATE_GOLD") == "1"

# Markup and Markdown that must show as text in every output, never act.
HOSTILE = "<img src=x onerror=alert(1)>|**x**"
SCRIPT = "<script>alert('pwned')</script>"
HOSTILE_VALUES = (
    HOSTILE,
    SCRIPT,
    "@octocat please look",
    "</details><!-- mlgate:report -->",
    "[click](javascript:alert(1))",
    "]]>&amp;\x1b[31mred\x00",
    "a\nb|c`d`",
)


def _curves(seed: int, quality: float) -> dict:
    """ROC, PR, calibration and confusion of a synthetic binary classifier (numpy, seeded)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 1000)
    score = 1 / (1 + np.exp(-(quality * (2 * y - 1) + rng.normal(0, 1, 1000))))
    order = np.argsort(-score)
    ys = y[order]
    tp, fp = np.cumsum(ys), np.cumsum(1 - ys)
    tpr, fpr = tp / ys.sum(), fp / (1 - ys).sum()
    precision = tp / np.arange(1, len(ys) + 1)
    xs, ys_ = np.r_[0, fpr], np.r_[0, tpr]
    auc = float(np.sum(np.diff(xs) * (ys_[1:] + ys_[:-1]) / 2))
    bins = np.clip((score * 10).astype(int), 0, 9)
    mean_pred = [float(score[bins == b].mean()) for b in range(10) if (bins == b).any()]
    frac_pos = [float(y[bins == b].mean()) for b in range(10) if (bins == b).any()]
    pred = (score >= 0.5).astype(int)
    confusion = [[int(((y == t) & (pred == p)).sum()) for p in (0, 1)] for t in (0, 1)]
    return {
        "roc": {
            "fpr": [0.0, *fpr.round(4).tolist()],
            "tpr": [0.0, *tpr.round(4).tolist()],
            "auc": round(auc, 4),
        },
        "pr": {"recall": tpr.round(4).tolist(), "precision": precision.round(4).tolist()},
        "calibration": {
            "mean_predicted": np.round(mean_pred, 4).tolist(),
            "fraction_positive": np.round(frac_pos, 4).tolist(),
        },
        "confusion": confusion,
    }


def _samples(seed: int, center: float, n: int = 60) -> list[float]:
    rng = np.random.default_rng(seed)
    return np.round(center * rng.lognormal(0, 0.12, n), 3).tolist()


def context(**extra: object) -> dict:
    base = {
        "ci": "github",
        "commit": "3f2a9c1d5e7b8a90c1d2e3f4a5b6c7d8e9f0a1b2",
        "ref": "refs/pull/42/merge",
        "config": "mlgate.yaml",
        "mlgate_version": "0.1.0",
        "baseline": {
            "spec": "git:origin/main:models/model.skops",
            "kind": "model",
            "paired": True,
            "note": "",
        },
        "eval": {
            "path": "data/holdout.parquet",
            "rows": 1000,
            "fingerprint": "sha256:9f8e7d6c5b4a",
        },
        "job_url": "https://github.com/acme/churn/actions/runs/123456",
        "report_url": "https://github.com/acme/churn/actions/runs/123456/artifacts/987",
        "duration_s": 12.4,
        "alpha": 0.05,
        "mode": "default",
    }
    base.update(extra)
    return base


def roc_auc_fail() -> GateResult:
    return GateResult(
        id="model.roc_auc",
        kind="model",
        status="fail",
        blocking=True,
        name="roc_auc",
        message="roc_auc dropped 0.031 (95% CI −0.041…−0.022), allowed 0.005",
        candidate=0.871,
        baseline=0.902,
        delta=-0.031,
        ci=(-0.041, -0.022),
        threshold={"min": 0.85, "max_drop": 0.005},
        checks=(Check(">=", 0.85, 0.871, True), Check("max_drop", 0.005, 0.031, False)),
        details={
            "n": 1000,
            "method": "DeLong",
            "alpha": 0.05,
            "detectable": 0.012,
            "higher_is_better": True,
        },
    )


def model_gates() -> list[GateResult]:
    return [
        GateResult(
            id="model.accuracy",
            kind="model",
            status="pass",
            blocking=True,
            name="accuracy",
            message="accuracy 0.842 vs 0.846 in production (−0.004, 95% CI −0.013…+0.006), "
            "allowed drop 1%",
            candidate=0.842,
            baseline=0.846,
            delta=-0.004,
            ci=(-0.013, 0.006),
            threshold={"max_drop": "1%"},
            checks=(Check("max_drop", "1%", 0.004, True),),
            details={
                "n": 1000,
                "method": "paired bootstrap (B=1000)",
                "alpha": 0.05,
                "detectable": 0.011,
                "higher_is_better": True,
            },
        ),
        GateResult(
            id="model.log_loss",
            kind="model",
            status="pass",
            blocking=True,
            name="log_loss",
            message="log_loss 0.341 vs 0.337 in production (+0.004), allowed increase 0.02",
            candidate=0.341,
            baseline=0.337,
            delta=0.004,
            ci=(-0.006, 0.013),
            threshold={"max_increase": 0.02},
            details={
                "n": 1000,
                "method": "per-row paired differences",
                "alpha": 0.05,
                "detectable": 0.01,
                "higher_is_better": False,
            },
        ),
    ]


def slice_gates() -> list[GateResult]:
    rows = {"FR": 812, "DE": 640, "US": 1480, "LU": 12}
    out = []
    # Holm: the slices' intervals are at corrected levels (alpha/3, alpha/2, alpha).
    slices = (
        ("FR", 0.801, 0.842, 0.05 / 3),
        ("DE", 0.851, 0.848, 0.025),
        ("US", 0.866, 0.861, 0.05),
    )
    for value, cand, base, alpha in slices:
        delta = round(cand - base, 3)
        status = "warn" if value == "FR" else "pass"
        out.append(
            GateResult(
                id=f"model.accuracy[country={value}]",
                kind="model",
                status=status,
                blocking=value != "FR",
                name="accuracy",
                level="warn" if value == "FR" else "error",
                message=f"accuracy on country={value}: {cand} vs {base} ({delta:+.3f}), "
                "allowed drop 0.02",
                candidate=cand,
                baseline=base,
                delta=delta,
                ci=(round(delta - 0.028, 3), round(delta + 0.026, 3)),
                threshold={"max_drop": 0.02},
                inconclusive=value == "FR",
                notes=("inconclusive: 812 rows can only detect drops of 0.041 or more",)
                if value == "FR"
                else (),
                details={
                    "n": rows[value],
                    "method": "paired bootstrap (B=1000)",
                    "alpha": alpha,
                    "detectable": 0.041 if value == "FR" else 0.03,
                    "higher_is_better": True,
                    "slice": {"column": "country", "value": value, "rows": rows[value]},
                },
            )
        )
    out.append(
        GateResult(
            id="model.accuracy[country=LU]",
            kind="model",
            status="skipped",
            blocking=False,
            name="accuracy",
            message="12 rows, fewer than min_rows 30: reported, not gated",
            candidate=0.75,
            baseline=0.83,
            details={"slice": {"column": "country", "value": "LU", "rows": 12}},
        )
    )
    return out


def data_gates() -> list[GateResult]:
    return [
        GateResult(
            id="data.expect.age.not_null",
            kind="data",
            status="warn",
            blocking=False,
            level="warn",
            name="expect_column_values_to_not_be_null",
            message="age: 12 null values (1.2%)",
            candidate=12,
            details={
                "column": "age",
                "expectation": "expect_column_values_to_not_be_null",
                "observed": 12,
                "unexpected_count": 12,
                "unexpected_percent": 1.2,
                "examples": [None, None],
            },
        ),
        GateResult(
            id="data.expect.plan.in_set",
            kind="data",
            status="pass",
            blocking=True,
            name="expect_column_values_to_be_in_set",
            message="plan: every value in the set",
            details={
                "column": "plan",
                "expectation": "expect_column_values_to_be_in_set",
                "unexpected_count": 0,
                "unexpected_percent": 0.0,
            },
        ),
        GateResult(
            id="data.drift.income",
            kind="data",
            status="pass",
            blocking=True,
            name="psi",
            message="income drift psi 0.041, allowed 0.2",
            candidate=0.041,
            threshold={"max": 0.2},
            details={"column": "income", "method": "psi", "score": 0.041, "threshold": 0.2},
        ),
        GateResult(
            id="data.drift.country",
            kind="data",
            status="warn",
            blocking=False,
            level="warn",
            name="psi",
            message="country drift psi 0.31, allowed 0.2; 2 categories unseen",
            candidate=0.31,
            threshold={"max": 0.2},
            details={
                "column": "country",
                "method": "psi",
                "score": 0.31,
                "threshold": 0.2,
                "unseen": ["XX", "ZZ"],
            },
        ),
        GateResult(
            id="data.drift.tenure",
            kind="data",
            status="pass",
            blocking=True,
            name="psi",
            message="tenure drift psi 0.12, allowed 0.2",
            candidate=0.12,
            threshold={"max": 0.2},
            details={"column": "tenure", "method": "psi", "score": 0.12, "threshold": 0.2},
        ),
        GateResult(
            id="data.schema",
            kind="data",
            status="pass",
            blocking=True,
            name="schema",
            message="schema matches the reference (1 column added, allowed)",
            details={"added": ["signup_channel"], "removed": [], "changed": []},
        ),
    ]


def perf_gates() -> list[GateResult]:
    return [
        GateResult(
            id="perf.latency_p95_ms",
            kind="performance",
            status="pass",
            blocking=True,
            name="latency_p95_ms",
            unit="ms",
            message="latency p95 4.1 ms vs 3.9 ms in production (+5%), allowed +10% and 25 ms",
            candidate=4.1,
            baseline=3.9,
            delta=0.2,
            ci=(0.05, 0.36),
            threshold={"max": 25, "max_increase": "10%"},
            details={
                "samples": {"candidate": _samples(1, 4.0), "baseline": _samples(2, 3.8)},
                "ratio": 1.051,
                "ratio_ci": [1.013, 1.092],
                "rounds": 60,
                "noise_floor": 0.03,
                "higher_is_better": False,
            },
        ),
        GateResult(
            id="perf.model_size_mb",
            kind="performance",
            status="pass",
            blocking=True,
            name="model_size_mb",
            unit="MB",
            message="model size 12.4 MB, allowed 200 MB",
            candidate=12.4,
            baseline=12.1,
            delta=0.3,
            threshold={"max": 200},
        ),
        GateResult(
            id="perf.throughput_rows_per_s",
            kind="performance",
            status="waived",
            blocking=False,
            name="throughput_rows_per_s",
            unit="rows/s",
            message="throughput 4,210 rows/s below 5,000 (waived: known slow CI runner)",
            candidate=4210.0,
            threshold={"min": 5000},
        ),
    ]


def diagnostics() -> dict:
    return {
        "task": "binary",
        "classes": ["stay", "churn"],
        "curves": {"candidate": _curves(3, 1.2), "baseline": _curves(3, 1.45)},
    }


def build_blocked() -> Report:
    gates = [roc_auc_fail(), *model_gates(), *slice_gates(), *data_gates(), *perf_gates()]
    return Report(verdict="fail", gates=tuple(gates), context=context(), diagnostics=diagnostics())


def build_passing() -> Report:
    gates = [*model_gates(), *data_gates()[:3], *perf_gates()[:2]]
    ctx = context(ci="gitlab", job_url="https://gitlab.example.com/acme/churn/-/jobs/77")
    del ctx["report_url"]
    return Report(verdict="pass", gates=tuple(gates), context=ctx)


def build_error() -> Report:
    ctx = {
        "ci": "local",
        "mlgate_version": "0.1.0",
        "config": "mlgate.yaml",
        "baseline": {"spec": "", "kind": "none"},
    }
    return Report(
        verdict="error",
        gates=(),
        context=ctx,
        errors=(
            "data/holdout.parquet: cannot read eval data: file not found "
            "(check data.eval in mlgate.yaml)",
        ),
    )


def build_gate_error() -> Report:
    """A blocking gate errored (and another failed): verdict error, evaluation incomplete."""
    errored = GateResult(
        id="model.f1",
        kind="model",
        status="error",
        blocking=True,
        name="f1",
        message="f1 could not be computed: the baseline model predicts labels "
        "['yes', 'no'] but the target has [0, 1]",
    )
    return Report(
        verdict="error",
        gates=(errored, roc_auc_fail(), *model_gates()),
        context=context(
            baseline={
                "spec": "report:baseline/report.json",
                "kind": "report",
                "paired": False,
                "note": "metrics only: no paired statistics",
            }
        ),
    )


def build_regression() -> Report:
    rng = np.random.default_rng(5)
    gate = GateResult(
        id="model.mean_absolute_error",
        kind="model",
        status="pass",
        blocking=True,
        name="mean_absolute_error",
        message="mean_absolute_error 3.12 vs 3.20 (−0.08)",
        candidate=3.12,
        baseline=3.20,
        delta=-0.08,
        ci=(-0.15, -0.01),
        threshold={"max_increase": "5%"},
        details={"n": 500, "method": "per-row paired differences", "higher_is_better": False},
    )
    from mlgate.load.predictions import Predictions
    from mlgate.measure.model.curves import curves

    # the diagnostics as the model gate computes them (summaries of real predictions)
    actual = rng.normal(50, 10, 500)
    clinic = rng.choice(["east", "west"], 500)
    diag = {
        "task": "regression",
        **curves(
            actual,
            Predictions(np.round(actual + rng.normal(0, 3, 500), 3)),
            Predictions(np.round(actual + rng.normal(0.4, 3.3, 500), 3)),
            task="regression",
            slices={"clinic": [(v, np.flatnonzero(clinic == v)) for v in ("east", "west")]},
        ),
    }
    return Report(verdict="pass", gates=(gate,), context=context(), diagnostics=diag)


def build_hostile() -> Report:
    """Every field that can carry text from data or users carries markup and Markdown."""
    h = HOSTILE
    gates = [
        GateResult(
            id=f"model.accuracy[{h}={SCRIPT}]",
            kind="model",
            status="fail",
            blocking=True,
            name=h,
            message=f"accuracy on {h}={SCRIPT} dropped {h}",
            candidate=0.5,
            baseline=0.9,
            delta=-0.4,
            ci=(-0.5, -0.3),
            threshold={"max_drop": h, "min": 0.1},
            checks=(Check(h, h, 0.5, False),),
            notes=HOSTILE_VALUES,
            unit=h,
            details={
                "slice": {"column": h, "value": SCRIPT, "rows": 50},
                "method": h,
                "detectable": 0.1,
                h: SCRIPT,
            },
        ),
        GateResult(
            id=f"data.expect.{h}",
            kind="data",
            status="fail",
            blocking=True,
            name=h,
            message=f"{h}: unexpected values",
            details={
                "column": h,
                "expectation": SCRIPT,
                "observed": h,
                "unexpected_count": 3,
                "unexpected_percent": 0.3,
                "examples": list(HOSTILE_VALUES),
            },
        ),
        GateResult(
            id=f"data.drift.{h}",
            kind="data",
            status="warn",
            blocking=False,
            name="psi",
            message=h,
            candidate=0.5,
            threshold={"max": 0.2},
            details={
                "column": h,
                "method": SCRIPT,
                "score": 0.5,
                "threshold": 0.2,
                "unseen": list(HOSTILE_VALUES),
            },
        ),
        GateResult(
            id="data.schema",
            kind="data",
            status="skipped",
            blocking=False,
            name="schema",
            message=SCRIPT,
            details={
                "added": [h],
                "removed": [SCRIPT],
                "changed": [{"column": h, "reference": SCRIPT, "eval": h}],
            },
        ),
        GateResult(
            id=f"perf.{h}",
            kind="performance",
            status="error",
            blocking=True,
            name=h,
            unit=h,
            message=f"could not time {SCRIPT}",
            details={"samples": {"candidate": [1.0, 2.0, 3.0], "baseline": [1.5, 2.5]}},
        ),
    ]
    ctx = context(
        commit=h,
        ref=SCRIPT,
        config=h,
        mode=SCRIPT,
        ci=h,
        baseline={"spec": h, "kind": "model", "paired": True, "note": SCRIPT},
        eval={"path": h, "rows": 10, "fingerprint": SCRIPT},
        job_url="javascript:alert(1)",
        report_url=f"https://example.com/{h}",
    )
    diag = {
        "task": "binary",
        "classes": [h, SCRIPT],
        "curves": {
            "candidate": {
                "confusion": [[1, 2], [3, 4]],
                "roc": {"fpr": [0, 0.5, 1], "tpr": [0, 0.7, 1], "auc": h},
            }
        },
    }
    return Report(
        verdict="error", gates=tuple(gates), context=ctx, errors=HOSTILE_VALUES, diagnostics=diag
    )


def build_huge() -> Report:
    """Hundreds of failing checks with long messages: the comment must be shortened."""
    gates = [
        GateResult(
            id=f"data.expect.segment_s{i:04d}.in_set",
            kind="data",
            status="fail",
            blocking=True,
            name="expect_column_values_to_be_in_set",
            message=f"segment_s{i:04d}: " + "values outside the allowed set " * 8,
            notes=(f"note for s{i:04d}",),
            details={
                "column": f"segment_s{i:04d}",
                "unexpected_count": 40,
                "examples": ["zz", "yy", "xx"],
            },
        )
        for i in range(600)
    ] + [
        GateResult(id=f"data.expect.c{i}", kind="data", status="pass", blocking=True, message="ok")
        for i in range(300)
    ]
    return Report(verdict="fail", gates=tuple(gates), context=context())


BUILDERS = {
    "blocked": build_blocked,
    "passing": build_passing,
    "error": build_error,
    "gate_error": build_gate_error,
    "regression": build_regression,
    "hostile": build_hostile,
}


def check_gold(name: str, text: str) -> None:
    """Compare `text` with tests/report/gold/<name>; MLGATE_UPDATE_GOLD=1 rewrites the file."""
    path = GOLD / name
    if UPDATE_GOLD or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        if not UPDATE_GOLD:
            pytest.fail(f"gold file {path.name} was missing and has been written: review it")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its gold file (MLGATE_UPDATE_GOLD=1 rewrites it after review)"
    )
