"""Performance budgets measured on real scikit-learn models: what blocks, what passes, what can't.

Timings are never asserted against numbers here (benchmarks/perf_gate_stability.py measures
stability); the tests assert verdicts that hold by a wide margin (10x slower) and the shape of
what the report carries. Time budgets are small to keep the suite fast.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from support.projects import Project

from mlgate.config import load_config
from mlgate.errors import ConfigError
from mlgate.measure.performance.gate import KIND
from mlgate.pipeline import RunOptions, execute
from mlgate.records import GateResult, Report

# Factories in the user's project (trusted code, as `factory:` is): the production model doing
# its work ten times (same predictions, ten times slower), and one that refuses single rows.
FACTORIES = textwrap.dedent("""\
    from pathlib import Path

    import skops.io as sio

    HERE = Path(__file__).parent


    def production():
        path = HERE / "models" / "production.skops"
        return sio.load(path, trusted=sio.get_untrusted_types(file=path))


    class Repeated:
        def __init__(self, inner, times):
            self.inner, self.times = inner, times
            self.classes_ = inner.classes_

        def predict(self, X):
            for _ in range(self.times - 1):
                self.inner.predict(X)
            return self.inner.predict(X)

        def predict_proba(self, X):
            return self.inner.predict_proba(X)


    class BatchesOnly(Repeated):
        def predict(self, X):
            if len(X) < 2:
                raise ValueError("this model scores batches of at least 2 rows")
            return self.inner.predict(X)


    def ten_times_slower():
        return Repeated(production(), 10)


    def batches_only():
        return BatchesOnly(production(), 1)
""")


def config(
    candidate: Any,
    *budgets: dict[str, Any],
    baseline: Any = "models/production.skops",
    budget_s: float = 3,
    **perf: Any,
) -> dict[str, Any]:
    models = {"candidate": candidate}
    if baseline is not None:
        models["baseline"] = baseline
    return {
        "version": 1,
        "data": {"eval": "data/holdout.parquet", "target": "label"},
        "models": models,
        "gates": {"performance": list(budgets)},
        "policy": {"performance": {"time_budget_s": budget_s, **perf}},
    }


def run(project: Project, doc: dict[str, Any]) -> Report:
    (project.root / "factories.py").write_text(FACTORIES)
    project.config(doc)
    loaded = load_config("mlgate.yaml", cwd=project.root)
    return execute(loaded, RunOptions(out_dir=project.root / "out", env={}))


def gates(report: Report) -> dict[str, GateResult]:
    return {g.id: g for g in report.gates}


# --- the two verdicts of the issue ------------------------------------------------------------


@pytest.mark.slow
def test_ten_times_slower_candidate_is_blocked_with_both_figures_and_ratio(
    project: Project,
) -> None:
    report = run(
        project,
        config(
            {"factory": "factories:ten_times_slower"},
            {"latency_p95_ms": {"max_increase": "10%"}},
            budget_s=120,  # a ceiling: the sequential rule stops once decided (under load too)
        ),
    )
    gate = gates(report)["perf.latency_p95_ms"]
    assert gate.status == "fail" and gate.blocking, gate.message
    assert gate.kind == "performance" and gate.unit == "ms"
    assert gate.candidate > gate.baseline > 0  # type: ignore[operator]
    details = gate.details
    assert details["ratio"] == pytest.approx(gate.candidate / gate.baseline)  # type: ignore[operator]
    lo, hi = details["ratio_ci"]
    assert 1.1 < lo <= details["ratio"] <= hi  # proven beyond the 10% budget
    assert gate.ci is not None and gate.ci[0] > 0.1 * gate.baseline  # type: ignore[operator]
    assert set(details) >= {"samples", "ratio", "ratio_ci", "rounds", "noise_floor", "batch_size"}
    assert details["batch_size"] == 1 and details["rounds"] >= 6
    assert 0 < len(details["samples"]["candidate"]) <= 200
    assert 0 < len(details["samples"]["baseline"]) <= 200
    assert any("pairs of turns" in n and "time budget 120 s" in n for n in gate.notes)
    json.dumps(report.to_dict())  # what the renderers read is plain JSON


@pytest.mark.slow
def test_same_speed_retrain_passes(project: Project) -> None:
    report = run(
        project,
        config(
            "models/retrain.skops",
            {"latency_p95_ms": {"max_increase": "10%"}},
            {"latency_p50_ms": {"max_increase": "10%"}},
            budget_s=20,  # the default: under load, 3 s fit fewer than the 6 blocks a comparison needs
        ),
    )
    assert report.verdict == "pass", [g.message for g in report.gates]
    for gate in report.gates:
        assert gate.baseline is not None and gate.details["ratio_ci"] is not None


@pytest.mark.slow
def test_a_same_speed_retrain_stops_as_soon_as_it_is_decided(project: Project) -> None:
    """A 100% budget is decided long before the time budget: the sequential rule stops there."""
    report = run(
        project,
        config(
            "models/retrain.skops",
            {"latency_p95_ms": {"max_increase": "100%"}},
            {"throughput_rows_per_s": {"max_drop": "50%"}},
            budget_s=60,
        ),
    )
    assert report.verdict == "pass", [g.message for g in report.gates]
    for gate in report.gates:
        details = gate.details
        assert details["stopped"] == "decided", gate.notes
        assert 1 <= details["looks"] < 8
        assert details["look_alpha"] == pytest.approx(0.025 / 7)
        [note] = [n for n in gate.notes if n.startswith("sequential: ")]
        assert note.startswith(f"sequential: stopped after {details['looks']} round")
        assert note.endswith(
            "every budget was decided; interval at level 0.0036 (docs/performance.md, When it "
            "stops)"
        )


def test_a_size_budget_alone_never_calls_the_model(project: Project) -> None:
    """model_size_mb reads the artifact only: a model that cannot predict these rows passes."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    other = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])  # other features
    sio.dump(other, project.root / "models" / "other.skops")
    report = run(project, config("models/other.skops", {"model_size_mb": {"max": 200}}))
    [gate] = report.gates
    assert gate.status == "pass", gate.message
    assert "pairs" not in gate.details and gate.details["rounds"] == 1
    assert gate.notes == ("size of the serialized artifact",)


# --- the other measures -----------------------------------------------------------------------


@pytest.mark.slow
def test_a_bigger_model_is_blocked_on_size_and_memory(project: Project) -> None:
    import skops.io as sio
    from sklearn.ensemble import RandomForestClassifier

    frame = __import__("pandas").read_parquet(project.root / "data" / "holdout.parquet")
    X, y = frame.drop(columns=["label", "segment"]), frame["label"]
    big = RandomForestClassifier(n_estimators=80, random_state=0).fit(X, y)
    sio.dump(big, project.root / "models" / "big.skops")
    doc = config(
        "models/big.skops",
        {"model_size_mb": {"max_increase": "10%"}},
        {"peak_memory_mb": {"max_increase": "20%"}},
        {"throughput_rows_per_s": {"min": 1}},
        {"load_time_ms": {"max": 600_000}},
        budget_s=30,  # a ceiling: under load, 4 s fit too few memory probes and timing blocks
    )
    doc["data"]["features"] = list(X.columns)
    report = run(project, doc)
    found = gates(report)
    size = found["perf.model_size_mb"]
    assert size.status == "fail" and size.unit == "MB"
    assert size.candidate == (project.root / "models" / "big.skops").stat().st_size / 1e6
    memory = found["perf.peak_memory_mb"]
    assert memory.status == "fail", memory.message
    assert memory.candidate > memory.baseline > 0  # type: ignore[operator]
    assert memory.details["probes"] >= 3 and memory.details["batch_size"] == 1000
    assert found["perf.throughput_rows_per_s"].status == "pass"
    assert found["perf.throughput_rows_per_s"].unit == "rows/s"
    assert found["perf.load_time_ms"].status == "pass"
    assert found["perf.load_time_ms"].candidate > 0  # type: ignore[operator]


def test_probe_in_one_process_per_measurement(project: Project) -> None:
    """The path used where the peak-RSS counter cannot be reset (macOS): one process each."""
    from mlgate.config import ModelSpec
    from mlgate.load.models import load, ref_for
    from mlgate.measure.performance.memory import probe_memory

    frame = __import__("pandas").read_parquet(project.root / "data" / "holdout.parquet").head(200)
    ref = ref_for(
        ModelSpec(path="models/production.skops"),
        key="models.candidate",
        where="mlgate.yaml: models.candidate",
        root=project.root,
    )
    result = probe_memory(
        {"candidate": load(ref)},
        frame.drop(columns=["label"]),
        budget_s=0,
        mode="process",
        min_pairs=1,
        max_pairs=1,
    )
    assert result.error is None and result.mode == "process"
    assert len(result.observations["candidate"]) == 1
    assert result.observations["candidate"][0] >= 0


@pytest.mark.parametrize("mode", ["auto", "process"])
def test_the_probe_stops_when_asked_and_streams_every_measurement(
    project: Project, mode: str
) -> None:
    """probe_memory asks `stop` after every complete pair as the measurements land (a real
    probe process streams them): True ends it there, however much budget and pairs are left;
    never True runs to max_pairs."""
    from mlgate.config import ModelSpec
    from mlgate.load.models import load, ref_for
    from mlgate.measure.performance.memory import probe_memory

    frame = __import__("pandas").read_parquet(project.root / "data" / "holdout.parquet").head(200)
    arms = {
        label: load(
            ref_for(
                ModelSpec(path=path),
                key=f"models.{label}",
                where=f"mlgate.yaml: models.{label}",
                root=project.root,
            )
        )
        for label, path in (
            ("candidate", "models/retrain.skops"),
            ("baseline", "models/production.skops"),
        )
    }
    X = frame.drop(columns=["label"])
    asked: list[dict[str, int]] = []

    def stop_at_two(observations: dict[str, list[float]]) -> bool:
        asked.append({k: len(v) for k, v in observations.items()})
        return len(observations["candidate"]) == 2

    stopped = probe_memory(
        arms, X, budget_s=120, mode=mode, min_pairs=10, max_pairs=10, stop=stop_at_two
    )
    assert stopped.error is None, stopped.error
    assert asked == [{"candidate": 1, "baseline": 1}, {"candidate": 2, "baseline": 2}]
    assert {k: len(v) for k, v in stopped.observations.items()} == asked[-1]
    assert stopped.mode == ("process" if mode == "process" else "fork")
    assert all(x >= 0 for v in stopped.observations.values() for x in v)
    full = probe_memory(
        arms, X, budget_s=120, mode=mode, min_pairs=1, max_pairs=4, stop=lambda _obs: False
    )
    assert {k: len(v) for k, v in full.observations.items()} == {"candidate": 4, "baseline": 4}


def test_a_far_memory_budget_is_decided_after_three_probes(project: Project) -> None:
    """A budget far from the figures is decided at the first look (3 probes per model), long
    before the time budget; the gate says so."""
    doc = config(
        "models/retrain.skops",
        {"peak_memory_mb": {"max": 100_000, "max_increase": "400%"}},
        budget_s=60,
    )
    [gate] = run(project, doc).gates
    assert gate.status == "pass", gate.message
    assert gate.details["probes"] == 3 and gate.details["stopped"] == "decided"
    assert gate.details["looks"] == 1 and gate.details["look_alpha"] == pytest.approx(0.0125)
    [note] = [n for n in gate.notes if n.startswith("sequential: ")]
    assert note == (
        "sequential: stopped after 1 round (3 probes per model): every budget was decided; "
        "interval at level 0.013 (docs/performance.md, When it stops)"
    )


# --- bad input: never a silent pass ---------------------------------------------------------


def test_a_model_that_cannot_predict_single_rows_is_an_error_naming_it(project: Project) -> None:
    report = run(
        project,
        config(
            {"factory": "factories:batches_only"},
            {"latency_p95_ms": {"max": 1000}},
            {"throughput_rows_per_s": {"min": 1}},
            baseline=None,
            budget_s=2,
        ),
    )
    found = gates(report)
    latency = found["perf.latency_p95_ms"]
    assert latency.status == "error" and latency.blocking
    assert latency.message == (
        "mlgate.yaml: models.candidate: cannot predict a single row: "
        "ValueError: this model scores batches of at least 2 rows"
    )
    assert found["perf.throughput_rows_per_s"].status == "pass"  # batches still work
    assert report.verdict == "error"


def test_a_batch_larger_than_the_eval_set_is_an_error(project: Project) -> None:
    report = run(
        project,
        config(
            "models/retrain.skops",
            {"throughput_rows_per_s": {"min": 1, "batch_size": 5000}},
            baseline=None,
            budget_s=1,
        ),
    )
    gate = report.gates[0]
    assert gate.status == "error"
    assert gate.message == (
        "mlgate.yaml: gates.performance[0].throughput_rows_per_s.batch_size: 5000 rows per call, "
        "but the eval set (data/holdout.parquet) has only 3000 rows; lower batch_size"
    )


def test_the_default_batch_shrinks_to_a_small_eval_set_and_says_so(project: Project) -> None:
    frame = __import__("pandas").read_parquet(project.root / "data" / "holdout.parquet")
    frame.head(300).to_csv(project.root / "data" / "small.csv", index=False)
    doc = config(
        "models/retrain.skops", {"throughput_rows_per_s": {"min": 1}}, baseline=None, budget_s=1
    )
    doc["data"]["eval"] = "data/small.csv"
    gate = run(project, doc).gates[0]
    assert gate.status == "pass" and gate.details["batch_size"] == 300
    assert (
        "batches of 300 rows, the whole eval set (policy.performance.batch_size asks for 1000)"
        in gate.notes
    )


def test_a_relative_budget_without_production_is_a_config_error(project: Project) -> None:
    with pytest.raises(ConfigError) as caught:
        run(
            project,
            config(
                "models/retrain.skops",
                {"latency_p95_ms": {"max": 50}},
                {"latency_p99_ms": {"max_increase": "10%"}},
                baseline=None,
            ),
        )
    assert caught.value.lines() == [
        "mlgate.yaml: gates.performance[1].latency_p99_ms: a relative budget "
        "(max_increase/max_drop) needs the production model, and there is no models.baseline "
        "(set models.baseline, or pass --baseline SPEC)",
    ]


def test_a_saved_report_baseline_cannot_be_timed(project: Project) -> None:
    saved = project.root / "prod-report.json"
    saved.write_text(json.dumps({"schema": "mlgate.report/v1", "verdict": "pass", "gates": []}))
    report = run(
        project,
        config(
            "models/retrain.skops",
            {"latency_p50_ms": {"max_increase": "10%"}},
            {"latency_p95_ms": {"max": 10_000}},
            baseline="prod-report.json",
            budget_s=1,
        ),
    )
    found = gates(report)
    relative = found["perf.latency_p50_ms"]
    assert relative.status == "error"
    assert relative.message == (
        "mlgate.yaml: models.baseline: the production baseline prod-report.json is a saved "
        "report: there is no model to time (point models.baseline at the model file)"
    )
    absolute = found["perf.latency_p95_ms"]
    assert absolute.status == "pass" and absolute.baseline is None
    assert any(n.startswith("production not measured: ") for n in absolute.notes)


def test_too_few_rounds_for_a_relative_budget_is_an_error_not_a_pass(project: Project) -> None:
    report = run(
        project,
        config(
            {"factory": "factories:ten_times_slower"},
            {"latency_p99_ms": {"max_increase": "10%"}},
            budget_s=0.05,
        ),
    )
    gate = report.gates[0]
    assert gate.status == "error" and gate.blocking
    assert gate.message.startswith("only ")
    assert gate.message.endswith(
        "blocks fit the time budget (6 are needed to compare with production); raise "
        "mlgate.yaml: policy.performance.time_budget_s (now 0.05 s)"
    )


def test_an_unreadable_candidate_errors_every_budget(project: Project) -> None:
    # unreadable, not missing: a missing candidate path is a config error found before the run
    (project.root / "models" / "missing.skops").write_bytes(b"PK\x03\x04 not really a zip")
    report = run(
        project,
        config(
            "models/missing.skops",
            {"latency_p50_ms": {"max": 10}},
            {"model_size_mb": {"max": 10}},
            baseline=None,
        ),
    )
    assert [g.status for g in report.gates] == ["error", "error"]
    assert all(
        "models.candidate" in g.message and "missing.skops" in g.message for g in report.gates
    )


# --- config problems (exit 2), located ------------------------------------------------------


def problems(project: Project, doc: dict[str, Any]) -> list[str]:
    project.config(doc)
    return KIND.validate(load_config("mlgate.yaml", cwd=project.root))


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (
            {"latency_p95_ms": {"max_drop": "10%"}},
            "mlgate.yaml: gates.performance[0].latency_p95_ms.max_drop: latency_p95_ms is better when "
            "lower, so a regression is an increase; use max_increase",
        ),
        (
            {"throughput_rows_per_s": {"max_increase": "10%"}},
            "mlgate.yaml: gates.performance[0].throughput_rows_per_s.max_increase: "
            "throughput_rows_per_s is better when higher, so a regression is a drop; use max_drop",
        ),
        (
            {"load_time_ms": {"level": "warn"}},
            "mlgate.yaml: gates.performance[0].load_time_ms: no budget: add max, min or max_increase",
        ),
        (
            {"model_size_mb": {"max": 10, "batch_size": 100}},
            "mlgate.yaml: gates.performance[0].model_size_mb.batch_size: model_size_mb does not "
            "predict, so batch_size does not apply",
        ),
        (
            {"throughput_rows_per_s": {"min": 500, "max": 100}},
            "mlgate.yaml: gates.performance[0].throughput_rows_per_s: min 500 is above max 100",
        ),
        (
            {"peak_memory_mb": {"max": -1}},
            "mlgate.yaml: gates.performance[0].peak_memory_mb.max: expected a number >= 0, got -1",
        ),
    ],
)
def test_budgets_that_cannot_mean_anything(
    project: Project, budget: dict[str, Any], expected: str
) -> None:
    assert problems(project, config("models/retrain.skops", budget)) == [expected]


def test_predictions_files_cannot_be_timed(project: Project) -> None:
    doc = config(
        {"predictions": "preds.csv"},
        {"latency_p50_ms": {"max_increase": "5%"}},
        baseline={"predictions": "base.csv"},
    )
    assert problems(project, doc) == [
        "mlgate.yaml: models.candidate.predictions: performance budgets need a model to time, "
        "not a predictions file (use path: or factory:)",
        "mlgate.yaml: gates.performance[0].latency_p50_ms: a relative budget needs the production "
        "model to time, and models.baseline is a predictions file (use max:/min:, or point "
        "models.baseline at the model)",
    ]


def test_an_unknown_measure_suggests_the_right_one(project: Project) -> None:
    project.config(config("models/retrain.skops", {"latency_p95ms": {"max": 5}}))
    with pytest.raises(ConfigError) as caught:
        load_config("mlgate.yaml", cwd=project.root)
    assert caught.value.lines() == [
        'mlgate.yaml: gates.performance[0].latency_p95ms: unknown measure "latency_p95ms"; '
        'did you mean "latency_p95_ms"?'
    ]


def test_ids_and_overrides(project: Project) -> None:
    from mlgate.measure.performance.gate import parse

    project.config(
        config(
            "models/retrain.skops",
            {"latency_p95_ms": {"max": 5}},
            {"latency_p95_ms": {"max": 9, "batch_size": 32}},
            {"throughput_rows_per_s": {"min": 1, "id": "perf.bulk"}},
        )
    )
    ids = [g.id for g in parse(load_config("mlgate.yaml", cwd=project.root))]
    assert ids == ["perf.latency_p95_ms", "perf.latency_p95_ms#2", "perf.bulk"]


@pytest.mark.slow
def test_cli_exit_code_for_a_relative_budget_without_production(project: Project) -> None:
    project.config(
        config("models/retrain.skops", {"latency_p95_ms": {"max_increase": "10%"}}, baseline=None)
    )
    done = project.run("run")
    assert done.returncode == 2, done.stderr
    assert (
        "mlgate.yaml: gates.performance[0].latency_p95_ms: a relative budget "
        "(max_increase/max_drop) needs the production model"
    ) in done.stderr
    assert "Traceback" not in done.stderr
